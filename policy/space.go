package policy

import (
	"encoding/binary"
	"net/netip"
	"sort"
)

// PacketSet is an exact set of first packets over (family, protocol, source
// and destination address, source and destination port, ICMP type/code), for
// IPv4 and IPv6, stored as a node of a Manager's BDD.
//
// Encoding (documented because regions and samples follow it):
//   - IPv4 packets use the first 32 address variables; IPv6 packets all 128.
//   - For TCP, UDP, SCTP and DCCP (HasPorts) the port fields are the ports.
//   - For ICMP and ICMPv6 (IsICMP) the destination-port field holds
//     type<<8|code and the source-port field is unused.
//   - For every other protocol both port fields are unused.
//
// "Unused" fields are never constrained by any set built from a Match, so
// every such set is a cylinder over them and a Flow is a member exactly when
// its used fields are. Interface conditions cannot be represented (a flow
// without interfaces matches only rules without interface conditions, as in
// Match.Matches), so a Match with InIface/OutIface maps to the empty set, as
// does a Match with NotInitial. Unresolved references contribute nothing,
// exactly like Match.Matches: an address condition follows its resolved Set.
//
// Sets from different managers must not be combined.
type PacketSet struct {
	m *Manager
	n uint32
}

// u128 is an address (or small field) value; IPv4 uses the low 32 bits.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }
func (a u128) or(b u128) u128   { return u128{a.hi | b.hi, a.lo | b.lo} }

// lowMask has the low n bits set (0 ≤ n ≤ 128).
func lowMask(n int) u128 {
	switch {
	case n >= 128:
		return u128{^uint64(0), ^uint64(0)}
	case n > 64:
		return u128{1<<(n-64) - 1, ^uint64(0)}
	case n == 64:
		return u128{0, ^uint64(0)}
	}
	return u128{0, 1<<n - 1}
}

// bitAt reports bit n (0 = least significant).
func (a u128) bitAt(n int) bool {
	if n >= 64 {
		return a.hi>>(n-64)&1 == 1
	}
	return a.lo>>n&1 == 1
}

func (a u128) setBit(n int) u128 {
	if n >= 64 {
		a.hi |= 1 << (n - 64)
	} else {
		a.lo |= 1 << n
	}
	return a
}

func addrValue(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func valueAddr(v u128, v6 bool) netip.Addr {
	if !v6 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(v.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], v.hi)
	binary.BigEndian.PutUint64(b[8:], v.lo)
	return netip.AddrFrom16(b)
}

func famWidth(v6 bool) int {
	if v6 {
		return 128
	}
	return 32
}

// seg maps the inclusive value interval [lo, hi] to a leaf node.
type seg struct {
	lo, hi u128
	leaf   uint32
}

// segTree builds the diagram over the width variables starting at level that
// maps each value to the leaf of the segment holding it, or out. segs must be
// sorted and disjoint. Work is O(len(segs) · width).
func (m *Manager) segTree(level int32, width int, segs []seg, out uint32) uint32 {
	return m.segRec(level, width, 0, u128{}, segs, out)
}

func (m *Manager) segRec(level int32, width, k int, base u128, segs []seg, out uint32) uint32 {
	if len(segs) == 0 {
		return out
	}
	if k >= width {
		// a single value (reached only with unnormalized input)
		for _, s := range segs {
			if !base.less(s.lo) && !s.hi.less(base) {
				return s.leaf
			}
		}
		return out
	}
	end := base.or(lowMask(width - k))
	if len(segs) == 1 && !base.less(segs[0].lo) && !segs[0].hi.less(end) {
		return segs[0].leaf
	}
	mid := base.setBit(width - k - 1)
	// low half: segments starting below mid; high half: segments ending at or above mid
	nLow := sort.Search(len(segs), func(i int) bool { return !segs[i].lo.less(mid) })
	iHigh := sort.Search(len(segs), func(i int) bool { return !segs[i].hi.less(mid) })
	lo := m.segRec(level, width, k+1, base, segs[:nLow], out)
	hi := m.segRec(level, width, k+1, mid, segs[iHigh:], out)
	return m.mk(level+int32(k), lo, hi)
}

// rangesTree maps values of rs (clipped to the field width) to in, others to out.
func (m *Manager) rangesTree(level int32, width int, rs Ranges, in, out uint32) uint32 {
	max := uint16(1<<width - 1)
	if !normalized(rs) {
		rs = NewRanges(rs...)
	}
	segs := make([]seg, 0, len(rs))
	for _, r := range rs {
		if r.Lo > max {
			break
		}
		segs = append(segs, seg{u128{0, uint64(r.Lo)}, u128{0, uint64(min(r.Hi, max))}, in})
	}
	return m.segTree(level, width, segs, out)
}

func normalized(rs Ranges) bool {
	for i, r := range rs {
		if r.Lo > r.Hi || i > 0 && uint32(rs[i-1].Hi)+1 >= uint32(r.Lo) {
			return false
		}
	}
	return true
}

// wildChain is the chain of nodes matching pattern w (width bits) to leaf.
func (m *Manager) wildChain(level int32, w Wildcard, leaf uint32) uint32 {
	v6 := !w.Addr.Is4()
	width := famWidth(v6)
	a, mask := addrValue(w.Addr), addrValue(w.Mask)
	n := leaf
	for i := width - 1; i >= 0; i-- {
		bit := width - 1 - i
		if mask.bitAt(bit) {
			continue
		}
		if a.bitAt(bit) {
			n = m.mk(level+int32(i), bddFalse, n)
		} else {
			n = m.mk(level+int32(i), n, bddFalse)
		}
	}
	return n
}

// addrTree is the diagram of address condition am for one family, with
// matching addresses leading to leaf and others to false.
func (m *Manager) addrTree(level int32, am *AddrMatch, v6 bool, leaf uint32) uint32 {
	if am.Any {
		if am.Negate {
			return bddFalse
		}
		return leaf
	}
	segs, wild := m.addrSegs(am.Set, v6)
	width := famWidth(v6)
	if len(wild) == 0 {
		in, out := leaf, bddFalse
		if am.Negate {
			in, out = out, in
		}
		return m.segTree(level, width, m.withLeaf(segs, in), out)
	}
	s := m.segTree(level, width, m.withLeaf(segs, bddTrue), bddFalse)
	for _, w := range wild {
		s = m.or(s, m.wildChain(level, w, bddTrue))
	}
	if am.Negate {
		return m.ite(s, bddFalse, leaf)
	}
	return m.ite(s, leaf, bddFalse)
}

type addrSegKey struct {
	s  *AddrSet
	v6 bool
}

type addrSegVal struct {
	segs []seg
	wild []Wildcard
}

// addrSegs converts the family's part of an address set to segments (leaf
// unset) and wildcard patterns, cached per set: vendors share sets between rules.
func (m *Manager) addrSegs(set *AddrSet, v6 bool) ([]seg, []Wildcard) {
	if set == nil {
		return nil, nil
	}
	k := addrSegKey{set, v6}
	if v, ok := m.segCache[k]; ok {
		return v.segs, v.wild
	}
	var v addrSegVal
	for _, r := range set.IPSet().Ranges() {
		if r.From().Is4() == v6 {
			continue
		}
		v.segs = append(v.segs, seg{lo: addrValue(r.From()), hi: addrValue(r.To())})
	}
	for _, w := range set.Wildcards() {
		if w.Addr.IsValid() && w.Mask.IsValid() && w.Addr.Is4() != v6 && w.Mask.Is4() == w.Addr.Is4() {
			v.wild = append(v.wild, w)
		}
	}
	if m.segCache == nil {
		m.segCache = make(map[addrSegKey]addrSegVal)
	}
	m.segCache[k] = v
	return v.segs, v.wild
}

// withLeaf returns segs with every leaf set to leaf (in a scratch buffer).
func (m *Manager) withLeaf(segs []seg, leaf uint32) []seg {
	buf := m.segBuf[:0]
	for _, s := range segs {
		s.leaf = leaf
		buf = append(buf, s)
	}
	m.segBuf = buf
	return buf
}

// protocol classes, by how the port fields are used
// (sorted by number)
var protoSpecial = [...]uint8{ProtoICMP, ProtoTCP, ProtoUDP, ProtoDCCP, ProtoICMPv6, ProtoSCTP}

// matchFamily builds m's set for one family (the family variable excluded).
func (m *Manager) matchFamily(mt *Match, v6 bool) uint32 {
	hasPort := mt.SrcPorts != nil || mt.DstPorts != nil
	hasICMP := mt.ICMPTypes != nil || mt.ICMPCodes != nil
	var tailPort, tailICMP, tailOther uint32
	if !hasICMP {
		tailPort = bddTrue
		if mt.SrcPorts != nil {
			tailPort = m.rangesTree(lvSport, 16, *mt.SrcPorts, tailPort, bddFalse)
		}
		if mt.DstPorts != nil {
			tailPort = m.rangesTree(lvDport, 16, *mt.DstPorts, tailPort, bddFalse)
		}
	}
	if !hasPort {
		tailICMP = bddTrue
		if mt.ICMPCodes != nil {
			tailICMP = m.rangesTree(lvDport+8, 8, *mt.ICMPCodes, tailICMP, bddFalse)
		}
		if mt.ICMPTypes != nil {
			tailICMP = m.rangesTree(lvDport, 8, *mt.ICMPTypes, tailICMP, bddFalse)
		}
	}
	if !hasPort && !hasICMP {
		tailOther = bddTrue
	}
	addr := func(tail uint32) uint32 {
		if tail == bddFalse {
			return bddFalse
		}
		s := m.addrTree(lvSrc, &mt.Src, v6, tail)
		if s == bddFalse {
			return bddFalse
		}
		return m.addrTree(lvDst, &mt.Dst, v6, s)
	}
	// addresses are built at most once per distinct tail
	aPort := addr(tailPort)
	aICMP := aPort
	if tailICMP != tailPort {
		aICMP = addr(tailICMP)
	}
	aOther := aPort
	if tailOther != tailPort {
		aOther = aICMP
		if tailOther != tailICMP {
			aOther = addr(tailOther)
		}
	}
	if aPort == bddFalse && aICMP == bddFalse && aOther == bddFalse {
		return bddFalse
	}
	if aPort == aICMP && aICMP == aOther && mt.Protocols == nil {
		return aPort
	}
	classLeaf := func(p uint8) uint32 {
		switch {
		case HasPorts(p):
			return aPort
		case IsICMP(p):
			return aICMP
		}
		return aOther
	}
	var protos Ranges
	if mt.Protocols == nil {
		protos = Ranges{{0, 255}}
	} else {
		protos = *mt.Protocols
	}
	var segs []seg
	add := func(lo, hi int, leaf uint32) {
		if lo > hi || leaf == bddFalse {
			return
		}
		if n := len(segs); n > 0 && segs[n-1].leaf == leaf && segs[n-1].hi.lo+1 == uint64(lo) {
			segs[n-1].hi.lo = uint64(hi)
			return
		}
		segs = append(segs, seg{u128{0, uint64(lo)}, u128{0, uint64(hi)}, leaf})
	}
	for _, r := range protos {
		if r.Lo > 255 {
			break
		}
		lo, hi := int(r.Lo), int(min(r.Hi, 255))
		cur := lo
		for _, s := range protoSpecial {
			if int(s) < cur || int(s) > hi {
				continue
			}
			add(cur, int(s)-1, aOther)
			add(int(s), int(s), classLeaf(s))
			cur = int(s) + 1
		}
		add(cur, hi, aOther)
	}
	return m.segTree(lvProto, 8, segs, bddFalse)
}

// matchNode builds the set of packets of family fam (FamilyAny = both) that
// rule match mt matches, cached per rule.
func (m *Manager) matchNode(mt *Match, fam Family) uint32 {
	if mt.NotInitial || mt.InIface != "" || mt.OutIface != "" {
		return bddFalse
	}
	var v4, v6 uint32
	if fam != FamilyIPv6 {
		v4 = m.matchFamily(mt, false)
	}
	if fam != FamilyIPv4 {
		v6 = m.matchFamily(mt, true)
	}
	return m.mk(lvFam, v4, v6)
}

func (m *Manager) ruleNode(r *Rule, fam Family) uint32 {
	k := matchKey{r, fam}
	if n, ok := m.matchCache[k]; ok {
		return n
	}
	n := m.matchNode(&r.Match, fam)
	m.matchCache[k] = n
	return n
}

func (m *Manager) universe(fam Family) uint32 {
	switch fam {
	case FamilyIPv4:
		return m.mk(lvFam, bddTrue, bddFalse)
	case FamilyIPv6:
		return m.mk(lvFam, bddFalse, bddTrue)
	}
	return bddTrue
}

func (m *Manager) set(n uint32) PacketSet { return PacketSet{m, n} }

// None is the empty set.
func (m *Manager) None() PacketSet { return m.set(bddFalse) }

// All is every packet of both families.
func (m *Manager) All() PacketSet { return m.set(bddTrue) }

// Universe is every packet a filter of family fam sees.
func (m *Manager) Universe(fam Family) PacketSet { return m.set(m.universe(fam)) }

// MatchSet is the set of first packets of family fam that mt matches:
// flow ∈ MatchSet(mt, fam) ⇔ mt.Matches(flow) for every flow of fam without
// interfaces.
func (m *Manager) MatchSet(mt *Match, fam Family) PacketSet { return m.set(m.matchNode(mt, fam)) }

// point is one packet in the variable encoding.
type point struct {
	v6             bool
	proto          uint8
	dst, src       u128
	dport, sport   uint16
	useDp, useSp   bool
	icmpAsDstPorts bool
}

func flowPoint(f *Flow) point {
	p := point{v6: !f.Src.Is4(), proto: f.Proto, dst: addrValue(f.Dst), src: addrValue(f.Src)}
	switch {
	case HasPorts(f.Proto):
		p.dport, p.sport, p.useDp, p.useSp = f.DstPort, f.SrcPort, true, true
	case IsICMP(f.Proto):
		p.dport, p.useDp = uint16(f.ICMPType)<<8|uint16(f.ICMPCode), true
	}
	return p
}

// bit is the value of the variable at level lv for point p.
func (p *point) bit(lv int32) bool {
	switch {
	case lv == lvFam:
		return p.v6
	case lv < lvDst:
		return p.proto>>(7-(lv-lvProto))&1 == 1
	case lv < lvSrc:
		i := int(lv - lvDst)
		w := famWidth(p.v6)
		return i < w && p.dst.bitAt(w-1-i)
	case lv < lvDport:
		i := int(lv - lvSrc)
		w := famWidth(p.v6)
		return i < w && p.src.bitAt(w-1-i)
	case lv < lvSport:
		return p.dport>>(15-(lv-lvDport))&1 == 1
	}
	return p.sport>>(15-(lv-lvSport))&1 == 1
}

// eval follows the diagram for point p and returns the terminal reached.
func (m *Manager) eval(n uint32, p *point) uint32 {
	for !m.isTerminal(n) {
		nd := m.nodes[n]
		if p.bit(nd.level) {
			n = nd.hi
		} else {
			n = nd.lo
		}
	}
	return n
}

// FlowSet is the set holding flow f (with the fields its protocol does not
// use left free, so it is a cylinder like every match set). Flows whose Src
// and Dst families differ are not packets; FlowSet returns the empty set.
func (m *Manager) FlowSet(f *Flow) PacketSet {
	if !f.Src.IsValid() || !f.Dst.IsValid() || f.Src.Is4() != f.Dst.Is4() {
		return m.None()
	}
	p := flowPoint(f)
	n := bddTrue
	for lv := int32(numLevels - 1); lv >= 0; lv-- {
		switch {
		case lv >= lvSport && !p.useSp, lv >= lvDport && lv < lvSport && !p.useDp:
			continue
		case lv >= lvDst && lv < lvSrc && lv-lvDst >= int32(famWidth(p.v6)),
			lv >= lvSrc && lv < lvDport && lv-lvSrc >= int32(famWidth(p.v6)):
			continue
		}
		if p.bit(lv) {
			n = m.mk(lv, bddFalse, n)
		} else {
			n = m.mk(lv, n, bddFalse)
		}
	}
	return m.set(n)
}

// Contains reports whether flow f (interfaces ignored) is in the set.
func (s PacketSet) Contains(f *Flow) bool {
	if !f.Src.IsValid() || !f.Dst.IsValid() || f.Src.Is4() != f.Dst.Is4() {
		return false
	}
	p := flowPoint(f)
	return s.m.eval(s.n, &p) == bddTrue
}

func (s PacketSet) Union(o PacketSet) PacketSet     { return s.m.set(s.m.or(s.n, o.n)) }
func (s PacketSet) Intersect(o PacketSet) PacketSet { return s.m.set(s.m.and(s.n, o.n)) }
func (s PacketSet) Diff(o PacketSet) PacketSet      { return s.m.set(s.m.diff(s.n, o.n)) }
func (s PacketSet) SymDiff(o PacketSet) PacketSet   { return s.m.set(s.m.xor(s.n, o.n)) }

// Complement is every packet of both families not in s.
func (s PacketSet) Complement() PacketSet { return s.m.set(s.m.not(s.n)) }

func (s PacketSet) IsEmpty() bool               { return s.n == bddFalse }
func (s PacketSet) Equal(o PacketSet) bool      { return s.n == o.n && (s.m == o.m || s.n <= bddTrue) }
func (s PacketSet) Intersects(o PacketSet) bool { return s.m.intersects(s.n, o.n) }
func (s PacketSet) SubsetOf(o PacketSet) bool   { return s.m.subset(s.n, o.n) }

// Manager returns the manager the set belongs to.
func (s PacketSet) Manager() *Manager { return s.m }

// Sample returns a flow in the set, and false when the set is empty. It
// reads like traffic: each field takes a preferred value where the set
// allows it (IPv4, TCP, source port 49152, the first address after a
// range's start), and otherwise the lowest value the set allows.
func (s PacketSet) Sample() (Flow, bool) {
	if s.n == bddFalse || s.m == nil {
		return Flow{}, false
	}
	m := s.m
	var p point
	n, lv := s.n, int32(0)
	// the family (level 0) first: IPv4 unless the set has none
	if nd := m.nodes[n]; nd.level == lvFam {
		n, lv = nd.lo, 1
		if n == bddFalse {
			n, p.v6 = nd.hi, true
		}
	}
	// Only the nodes on the path are visited; a level the path skips is
	// free and takes its preferred bit (the few 1s are listed in ones).
	ones, next1 := sampleOnes(p.v6), 0
	free := func(to int32) {
		for ; next1 < len(ones) && ones[next1] < to; next1++ {
			if ones[next1] >= lv {
				p.setBit(ones[next1])
			}
		}
	}
	for !m.isTerminal(n) {
		nd := m.nodes[n]
		free(nd.level)
		want := samplePref(nd.level, p.v6)
		next, bit := nd.lo, false
		if want {
			next, bit = nd.hi, true
		}
		if next == bddFalse {
			next, bit = nd.lo, false
			if !want {
				next, bit = nd.hi, true
			}
		}
		if bit {
			p.setBit(nd.level)
		}
		n, lv = next, nd.level+1
	}
	free(numLevels)
	return p.flow(), true
}

// setBit sets the bit of level lv in p.
func (p *point) setBit(lv int32) {
	switch {
	case lv == lvFam:
		p.v6 = true
	case lv < lvDst:
		p.proto |= 1 << (7 - (lv - lvProto))
	case lv < lvSrc:
		if i := famWidth(p.v6) - 1 - int(lv-lvDst); i >= 0 {
			p.dst = p.dst.setBit(i)
		}
	case lv < lvDport:
		if i := famWidth(p.v6) - 1 - int(lv-lvSrc); i >= 0 {
			p.src = p.src.setBit(i)
		}
	case lv < lvSport:
		p.dport |= 1 << (15 - (lv - lvDport))
	default:
		p.sport |= 1 << (15 - (lv - lvSport))
	}
}

// sampleOnes lists, in order, the levels whose preferred bit is 1.
func sampleOnes(v6 bool) []int32 {
	if v6 {
		return sampleOnes6
	}
	return sampleOnes4
}

var sampleOnes4, sampleOnes6 = sampleOnesFor(false), sampleOnesFor(true)

func sampleOnesFor(v6 bool) []int32 {
	var out []int32
	for lv := int32(0); lv < numLevels; lv++ {
		if samplePref(lv, v6) {
			out = append(out, lv)
		}
	}
	return out
}

const (
	sampleProto = ProtoTCP
	sampleSport = 49152 // the first ephemeral port
)

// samplePref is the bit Sample prefers at level lv (in an IPv6 flow when v6).
func samplePref(lv int32, v6 bool) bool {
	switch {
	case lv == lvFam:
		return false
	case lv < lvDst:
		return sampleProto&(1<<(7-(lv-lvProto))) != 0
	case lv < lvDport:
		// addresses: lowest, then the last bit set (10.0.0.0/24 gives
		// 10.0.0.1; IPv4 uses the first 32 levels of each field)
		off := lv - lvDst
		if lv >= lvSrc {
			off = lv - lvSrc
		}
		return int(off) == famWidth(v6)-1
	case lv < lvSport:
		return false
	default:
		return sampleSport&(1<<(15-(lv-lvSport))) != 0
	}
}

func (p *point) flow() Flow {
	f := Flow{Proto: p.proto, Src: valueAddr(p.src, p.v6), Dst: valueAddr(p.dst, p.v6)}
	switch {
	case HasPorts(p.proto):
		f.SrcPort, f.DstPort = p.sport, p.dport
	case IsICMP(p.proto):
		f.ICMPType, f.ICMPCode = uint8(p.dport>>8), uint8(p.dport)
	}
	return f
}
