package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"go4.org/netipx"
)

// Region is one readable piece of a PacketSet: the product of a value set per
// field, for one address family. A PacketSet is the disjoint-or-overlapping
// union of its regions (Regions never loses or adds a packet).
type Region struct {
	Family Family `json:"family"`
	// Protocols is nil for any protocol.
	Protocols Ranges `json:"protocols,omitempty"`
	// Src/Dst are CIDRs and, for patterns too irregular to expand,
	// Cisco-style "addr wildcard" strings; nil means any address of the
	// family. When SrcExcept/DstExcept is set the field is every address of
	// the family except those listed.
	Src       []string `json:"src,omitempty"`
	SrcExcept bool     `json:"src_except,omitempty"`
	Dst       []string `json:"dst,omitempty"`
	DstExcept bool     `json:"dst_except,omitempty"`
	// SrcPorts/DstPorts are nil for any (or for protocols without ports).
	SrcPorts Ranges `json:"src_ports,omitempty"`
	DstPorts Ranges `json:"dst_ports,omitempty"`
	// ICMP lists type/code ranges for ICMP/ICMPv6 regions; nil for any.
	ICMP []ICMPRange `json:"icmp,omitempty"`
	// Sample is a flow inside the region (the values PacketSet.Sample
	// prefers where the region allows them, else the lowest).
	Sample Flow `json:"sample"`
}

// ICMPRange is a range of ICMP types with a range of codes.
type ICMPRange struct {
	Types Range `json:"types"`
	Codes Range `json:"codes"`
}

func (r ICMPRange) String() string {
	s := "icmp-type " + r.Types.String()
	if r.Codes != (Range{0, 255}) {
		s += " code " + r.Codes.String()
	}
	return s
}

// String renders the region as e.g.
// "tcp src 10.0.0.0/8 dst 203.0.113.0/28 dport 80,443".
func (r Region) String() string {
	var b strings.Builder
	b.WriteString(protoString(r.Protocols, r.Family))
	addr := func(label string, vals []string, except bool) {
		b.WriteString(" " + label + " ")
		switch {
		case vals == nil && !except:
			b.WriteString("any")
		case except:
			b.WriteString("any except " + strings.Join(vals, ","))
		default:
			b.WriteString(strings.Join(vals, ","))
		}
	}
	addr("src", r.Src, r.SrcExcept)
	addr("dst", r.Dst, r.DstExcept)
	if r.SrcPorts != nil {
		b.WriteString(" sport " + r.SrcPorts.String())
	}
	if r.DstPorts != nil {
		b.WriteString(" dport " + r.DstPorts.String())
	}
	if r.ICMP != nil {
		b.WriteString(" " + icmpText(r.ICMP))
	}
	return b.String()
}

// icmpText writes ICMP ranges compactly, types grouped by their codes:
// "icmp-type 0,10,15-20" (every code), "icmp-type 1-9,11,21-255 code
// 0,30,35-40".
func icmpText(irs []ICMPRange) string {
	var order []string // code lists, in order of first appearance
	types := map[string][]string{}
	for i := 0; i < len(irs); {
		t := irs[i].Types
		j := i
		var codes []string
		for j < len(irs) && irs[j].Types == t {
			if irs[j].Codes != (Range{0, 255}) {
				codes = append(codes, irs[j].Codes.String())
			}
			j++
		}
		k := strings.Join(codes, ",")
		if _, seen := types[k]; !seen {
			order = append(order, k)
		}
		types[k] = append(types[k], t.String())
		i = j
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = "icmp-type " + strings.Join(types[k], ",")
		if k != "" {
			parts[i] += " code " + k
		}
	}
	return strings.Join(parts, ", ")
}

func protoString(ps Ranges, fam Family) string {
	if ps == nil {
		if fam == FamilyIPv6 {
			return "ip6"
		}
		return "ip"
	}
	list := func(rs Ranges) string {
		parts := make([]string, len(rs))
		for i, r := range rs {
			if r.Lo == r.Hi {
				parts[i] = ProtoName(uint8(r.Lo))
			} else {
				parts[i] = r.String()
			}
		}
		return strings.Join(parts, ",")
	}
	if c := ps.Complement(MaxProto); len(c) < len(ps) {
		base := "ip"
		if fam == FamilyIPv6 {
			base = "ip6"
		}
		return base + " except " + list(c)
	}
	return list(ps)
}

// cube is a set of field values: bits set in care must equal val.
type cube struct{ val, care u128 }

type ival struct{ lo, hi u128 }

// fieldGroups walks the field's variables from n and groups the field values
// by the node they lead to (the first node at or below level end).
func (m *Manager) fieldGroups(n uint32, start int32, width int, end int32) (targets []uint32, cubes [][]cube) {
	idx := map[uint32]int{}
	var walk func(x uint32, c cube)
	walk = func(x uint32, c cube) {
		if x == bddFalse {
			return
		}
		nd := m.nodes[x]
		switch lv := nd.level; {
		case lv >= end:
			i, ok := idx[x]
			if !ok {
				i = len(targets)
				idx[x] = i
				targets = append(targets, x)
				cubes = append(cubes, nil)
			}
			cubes[i] = append(cubes[i], c)
		case lv < start || lv >= start+int32(width):
			// a variable outside the field (only in sets never built from
			// matches, e.g. IPv4 testing address bit 40): ignore it, which
			// can only over-approximate the printed text, never panic
			walk(nd.lo, c)
			walk(nd.hi, c)
		default:
			bit := width - 1 - int(lv-start)
			c.care = c.care.setBit(bit)
			walk(nd.lo, c)
			c.val = c.val.setBit(bit)
			walk(nd.hi, c)
		}
	}
	walk(n, cube{})
	return targets, cubes
}

// maxExpandBits bounds the expansion of a cube's inner don't-care bits into
// intervals; larger patterns are printed as address/wildcard.
const maxExpandBits = 8

// cubesToIntervals converts cubes to sorted merged intervals, returning
// irregular patterns separately.
func cubesToIntervals(cs []cube, width int) (ivs []ival, patterns []cube) {
	for _, c := range cs {
		low := 0 // trailing don't-care bits
		for low < width && !c.care.bitAt(low) {
			low++
		}
		var free []int
		for i := low; i < width; i++ {
			if !c.care.bitAt(i) {
				free = append(free, i)
			}
		}
		if len(free) > maxExpandBits && width > 16 {
			patterns = append(patterns, c)
			continue
		}
		base := u128{c.val.hi & c.care.hi, c.val.lo & c.care.lo}
		for combo := 0; combo < 1<<len(free); combo++ {
			v := base
			for k, pos := range free {
				if combo>>k&1 == 1 {
					v = v.setBit(pos)
				}
			}
			ivs = append(ivs, ival{v, v.or(lowMask(low))})
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo.less(ivs[j].lo) })
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			next := last.hi.inc()
			if !last.hi.less(iv.lo) || next == iv.lo && last.hi != lowMask(128) {
				if last.hi.less(iv.hi) {
					last.hi = iv.hi
				}
				continue
			}
		}
		out = append(out, iv)
	}
	return out, patterns
}

func (a u128) inc() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func (a u128) dec() u128 {
	if a.lo == 0 {
		return u128{a.hi - 1, ^uint64(0)}
	}
	return u128{a.hi, a.lo - 1}
}

func complementIvals(ivs []ival, width int) []ival {
	var out []ival
	next, max := u128{}, lowMask(width)
	done := false
	for _, iv := range ivs {
		if next.less(iv.lo) {
			out = append(out, ival{next, iv.lo.dec()})
		}
		if iv.hi == max {
			done = true
			break
		}
		next = iv.hi.inc()
	}
	if !done {
		out = append(out, ival{next, max})
	}
	return out
}

func ivalsToRanges(ivs []ival) Ranges {
	out := make(Ranges, len(ivs))
	for i, iv := range ivs {
		out[i] = Range{uint16(iv.lo.lo), uint16(iv.hi.lo)}
	}
	return out
}

func isFull(ivs []ival, patterns []cube, width int) bool {
	return len(patterns) == 0 && len(ivs) == 1 && ivs[0].lo == (u128{}) && ivs[0].hi == lowMask(width)
}

func addrStrings(ivs []ival, patterns []cube, v6 bool) []string {
	var out []string
	for _, iv := range ivs {
		r := netipx.IPRangeFrom(valueAddr(iv.lo, v6), valueAddr(iv.hi, v6))
		for _, p := range r.Prefixes() {
			out = append(out, p.String())
		}
	}
	w := famWidth(v6)
	for _, c := range patterns {
		mask := lowMask(w)
		mask = u128{mask.hi &^ c.care.hi, mask.lo &^ c.care.lo}
		out = append(out, Wildcard{valueAddr(u128{c.val.hi & c.care.hi, c.val.lo & c.care.lo}, v6), valueAddr(mask, v6)}.String())
	}
	return out
}

// addrField renders an address value set, choosing "any except" when shorter.
func addrField(ivs []ival, patterns []cube, v6 bool) (vals []string, except bool, low u128) {
	w := famWidth(v6)
	low = lowMask(w)
	if len(ivs) > 0 {
		low = ivs[0].lo
	}
	for _, c := range patterns {
		if v := (u128{c.val.hi & c.care.hi, c.val.lo & c.care.lo}); v.less(low) {
			low = v
		}
	}
	if len(patterns) == 0 && len(ivs) > 0 && ivs[0].lo.less(ivs[0].hi) {
		// the sample: not a network address (as PacketSet.Sample)
		low = u128{ivs[0].lo.hi, ivs[0].lo.lo + 1}
		if low.lo == 0 {
			low.hi++
		}
	}
	if isFull(ivs, patterns, w) {
		return nil, false, low
	}
	pos := addrStrings(ivs, patterns, v6)
	if len(patterns) == 0 {
		if neg := addrStrings(complementIvals(ivs, w), nil, v6); len(neg) < len(pos) {
			return neg, true, low
		}
	}
	return pos, false, low
}

// Regions lists s as at most limit readable regions (limit ≤ 0: no limit);
// truncated reports that more exist. Values of each field are grouped by
// the rest of the set they lead to, so the count stays small for sets made
// of rules (it is not the number of BDD paths).
func (s PacketSet) Regions(limit int) (out []Region, truncated bool) {
	if s.m == nil || s.n == bddFalse {
		return nil, false
	}
	m := s.m
	for _, v6 := range []bool{false, true} {
		n := s.n
		if nd := m.nodes[n]; nd.level == lvFam {
			n = nd.lo
			if v6 {
				n = nd.hi
			}
		}
		if n == bddFalse {
			continue
		}
		w := famWidth(v6)
		fam := FamilyIPv4
		if v6 {
			fam = FamilyIPv6
		}
		pts, pcs := m.fieldGroups(n, lvProto, 8, lvDst)
		for pi, pt := range pts {
			pivs, _ := cubesToIntervals(pcs[pi], 8)
			protos := ivalsToRanges(pivs)
			dts, dcs := m.fieldGroups(pt, lvDst, w, lvSrc)
			for di, dt := range dts {
				divs, dpat := cubesToIntervals(dcs[di], w)
				dvals, dexc, dlow := addrField(divs, dpat, v6)
				sts, scs := m.fieldGroups(dt, lvSrc, w, lvDport)
				for si, st := range sts {
					sivs, spat := cubesToIntervals(scs[si], w)
					svals, sexc, slow := addrField(sivs, spat, v6)
					dpts, dpcs := m.fieldGroups(st, lvDport, 16, lvSport)
					for dpi, dpt := range dpts {
						dpivs, _ := cubesToIntervals(dpcs[dpi], 16)
						spts, spcs := m.fieldGroups(dpt, lvSport, 16, numLevels)
						for spi := range spts {
							spivs, _ := cubesToIntervals(spcs[spi], 16)
							base := Region{Family: fam, Dst: dvals, DstExcept: dexc, Src: svals, SrcExcept: sexc}
							base.Sample.Dst, base.Sample.Src = valueAddr(dlow, v6), valueAddr(slow, v6)
							for _, r := range splitByPortUse(base, protos, dpivs, spivs) {
								if limit > 0 && len(out) >= limit {
									return out, true
								}
								out = append(out, r)
							}
						}
					}
				}
			}
		}
	}
	return out, false
}

// splitByPortUse emits the region for the protocol set, splitting it by how
// protocols use the port fields when those are constrained.
func splitByPortUse(base Region, protos Ranges, dport, sport []ival) []Region {
	dfull, sfull := isFull(dport, nil, 16), isFull(sport, nil, 16)
	setProtos := func(r *Region, ps Ranges) {
		if ps.IsFull(MaxProto) {
			r.Protocols = nil
		} else {
			r.Protocols = ps
		}
		if len(ps) > 0 {
			r.Sample.Proto = uint8(ps[0].Lo)
			if ps.Contains(sampleProto) {
				r.Sample.Proto = sampleProto
			}
		}
	}
	if dfull && sfull {
		r := base
		setProtos(&r, protos)
		return []Region{r}
	}
	var portP, icmpP, otherP []Range
	for _, pr := range protos {
		for v := uint32(pr.Lo); v <= uint32(pr.Hi) && v <= 255; v++ {
			p := uint8(v)
			switch {
			case HasPorts(p):
				portP = append(portP, Range{uint16(p), uint16(p)})
			case IsICMP(p):
				icmpP = append(icmpP, Range{uint16(p), uint16(p)})
			default:
				otherP = append(otherP, Range{uint16(p), uint16(p)})
			}
		}
	}
	var out []Region
	lowPort := func(ivs []ival) uint16 {
		if len(ivs) == 0 {
			return 0
		}
		return uint16(ivs[0].lo.lo)
	}
	for cls, ps := range [][]Range{portP, icmpP, otherP} {
		if len(ps) == 0 {
			continue
		}
		r := base
		setProtos(&r, NewRanges(ps...))
		if !sfull {
			r.SrcPorts = ivalsToRanges(sport)
		}
		switch cls {
		case 1:
			if !dfull {
				r.ICMP = icmpRanges(ivalsToRanges(dport))
			}
			v := lowPort(dport)
			r.Sample.ICMPType, r.Sample.ICMPCode = uint8(v>>8), uint8(v)
		default:
			if !dfull {
				r.DstPorts = ivalsToRanges(dport)
			}
			if cls == 0 {
				r.Sample.DstPort, r.Sample.SrcPort = lowPort(dport), lowPort(sport)
				for _, iv := range sport {
					if iv.lo.lo <= sampleSport && sampleSport <= iv.hi.lo {
						r.Sample.SrcPort = sampleSport
					}
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// icmpRanges splits type<<8|code intervals into type/code rectangles.
func icmpRanges(rs Ranges) []ICMPRange {
	return mergeICMPTypes(icmpRangesByType(rs))
}

// mergeICMPTypes joins consecutive types with the same codes: "types 1-255,
// codes 0 and 30" is two entries, not 510.
func mergeICMPTypes(in []ICMPRange) []ICMPRange {
	type group struct {
		types Range
		codes []Range
	}
	var groups []group
	for i := 0; i < len(in); {
		t := in[i].Types
		j := i
		var codes []Range
		for j < len(in) && in[j].Types == t {
			codes = append(codes, in[j].Codes)
			j++
		}
		if n := len(groups); n > 0 && groups[n-1].types.Hi+1 == t.Lo && slices.Equal(groups[n-1].codes, codes) {
			groups[n-1].types.Hi = t.Hi
		} else {
			groups = append(groups, group{t, codes})
		}
		i = j
	}
	out := make([]ICMPRange, 0, len(in))
	for _, g := range groups {
		for _, c := range g.codes {
			out = append(out, ICMPRange{g.types, c})
		}
	}
	return out
}

// icmpRangesByType splits type<<8|code ranges into per-type entries (whole
// runs of types with every code as one).
func icmpRangesByType(rs Ranges) []ICMPRange {
	var out []ICMPRange
	for _, r := range rs {
		lo, hi := int(r.Lo), int(r.Hi)
		for lo <= hi {
			t := lo >> 8
			if lo&0xff == 0 && hi >= lo|0xff {
				// whole types from t up to the last complete one
				last := hi >> 8
				if hi&0xff != 0xff {
					last--
				}
				out = append(out, ICMPRange{Range{uint16(t), uint16(last)}, Range{0, 255}})
				lo = (last + 1) << 8
				continue
			}
			end := min(hi, lo|0xff)
			out = append(out, ICMPRange{Range{uint16(t), uint16(t)}, Range{uint16(lo & 0xff), uint16(end & 0xff)}})
			lo = end + 1
		}
	}
	return out
}

// String renders the set as its regions, one per line.
func (s PacketSet) String() string {
	rs, trunc := s.Regions(50)
	if len(rs) == 0 {
		return "(empty)"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	if trunc {
		parts = append(parts, "... (more regions)")
	}
	return strings.Join(parts, "\n")
}

// RegionSet converts a region back into a set (the inverse of Regions, for
// regions Regions produced).
func (m *Manager) RegionSet(r Region) (PacketSet, error) {
	addr := func(vals []string, except bool) (AddrMatch, error) {
		if vals == nil && !except {
			return AnyAddr(), nil
		}
		var b AddrSetBuilder
		for _, v := range vals {
			if a, mask, ok := strings.Cut(v, " "); ok {
				w, err1 := netip.ParseAddr(a)
				mk, err2 := netip.ParseAddr(mask)
				if err1 != nil || err2 != nil {
					return AddrMatch{}, fmt.Errorf("bad wildcard %q", v)
				}
				b.AddWildcard(Wildcard{w, mk})
				continue
			}
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return AddrMatch{}, err
			}
			b.AddPrefix(p)
		}
		return AddrMatch{Set: b.Set(), Negate: except}, nil
	}
	src, err := addr(r.Src, r.SrcExcept)
	if err != nil {
		return m.None(), err
	}
	dst, err := addr(r.Dst, r.DstExcept)
	if err != nil {
		return m.None(), err
	}
	mt := Match{Src: src, Dst: dst}
	if r.Protocols != nil {
		mt.Protocols = r.Protocols.Ptr()
	}
	if r.SrcPorts != nil {
		mt.SrcPorts = r.SrcPorts.Ptr()
	}
	if r.DstPorts != nil {
		mt.DstPorts = r.DstPorts.Ptr()
	}
	fam := r.Family
	if r.ICMP == nil {
		return m.MatchSet(&mt, fam), nil
	}
	out := m.None()
	for _, ir := range r.ICMP {
		x := mt
		x.ICMPTypes, x.ICMPCodes = Ranges{ir.Types}.Ptr(), Ranges{ir.Codes}.Ptr()
		out = out.Union(m.MatchSet(&x, fam))
	}
	return out, nil
}
