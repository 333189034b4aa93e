package policy

// A hand-written reduced ordered BDD (with extra terminal leaves for
// multi-terminal decision diagrams), built for one analysis job and thrown
// away after: no garbage collection, a pre-sized unique table and a small
// direct-mapped operation cache. See ../shared/notes/packet-space.md for the
// measurements behind these choices.
//
// Variable order (level 0 is the root):
//
//	0         family (0 = IPv4, 1 = IPv6)
//	1..8      IP protocol, MSB first
//	9..136    destination address, MSB first (IPv4 uses levels 9..40 only)
//	137..264  source address (IPv4 uses 137..168 only)
//	265..280  destination port; for ICMP/ICMPv6 packets type<<8|code
//	281..296  source port (unused for non-port protocols)
//
// Fields that are often "any" (source, ports) come late, which the notes
// measured as the decisive factor for size.

const (
	lvFam     = 0
	lvProto   = 1
	lvDst     = 9
	lvSrc     = lvDst + 128
	lvDport   = lvSrc + 128
	lvSport   = lvDport + 16
	numLevels = lvSport + 16
)

// node is one BDD node; terminals have level numLevels.
type node struct {
	lo, hi uint32
	level  int32
}

const (
	bddFalse uint32 = 0
	bddTrue  uint32 = 1
)

// uslot is a unique-table slot holding its key, so a lookup touches one
// cache line instead of two (id 0 = empty: node 0 is a terminal).
type uslot struct {
	lo, hi uint32
	level  int32
	id     uint32
}

type cacheEntry struct {
	a, b, c, d, op, res uint32
}

const (
	opAnd uint32 = iota + 1
	opOr
	opDiff
	opXor
	opIte
	opIntersects
	opSubst
	opLeafSet
	opNeq
	opDiffers
	opIntersects3
)

// Manager owns the nodes of one analysis job. It is not safe for concurrent use.
type Manager struct {
	nodes  []node
	unique []uslot
	umask  uint32
	cache  []cacheEntry
	cmask  uint32
	leaves map[uint32]uint32 // leaf id -> terminal node

	// rule match sets, per (rule, family) of the filter
	matchCache map[matchKey]uint32
	segCache   map[addrSegKey]addrSegVal
	segBuf     []seg
	// multi-terminal leaves (outcomes, verdicts), by id-2
	leafKeys map[leafKey]uint32
	leafInfo []leafKey
	// class maps terminals to comparable classes for neq/differsOn; cache
	// entries of those ops are tagged with classEpoch.
	class      func(uint32) int
	classEpoch uint32
}

type matchKey struct {
	r   *Rule
	fam Family
}

// NewManager returns a manager with room for about sizeHint nodes before the
// unique table grows (0 picks a default suited to ~20K-rule filters).
func NewManager(sizeHint int) *Manager {
	if sizeHint <= 0 {
		sizeHint = 1 << 20
	}
	usize := 1
	for usize < sizeHint*4/3 {
		usize <<= 1
	}
	// the notes measured a 2^12-entry cache as good as 2^22 on 20K rules;
	// small managers get a smaller one so that Reset stays cheap
	csize := min(max(usize/8, 1<<8), 1<<16)
	m := &Manager{
		nodes:      make([]node, 2, sizeHint),
		unique:     make([]uslot, usize),
		umask:      uint32(usize - 1),
		cache:      make([]cacheEntry, csize),
		cmask:      uint32(csize - 1),
		leaves:     make(map[uint32]uint32),
		matchCache: make(map[matchKey]uint32),
	}
	m.nodes[0] = node{level: numLevels}
	m.nodes[1] = node{level: numLevels, lo: 1, hi: 1}
	return m
}

// Reset empties m for the next job, keeping its tables: many tiny jobs
// (host firewalls) then run in a manager that stays in the CPU caches
// instead of each touching fresh megabytes.
func (m *Manager) Reset() {
	if len(m.nodes)*8 < len(m.unique) {
		// few nodes: clear just their slots
		for id := 2; id < len(m.nodes); id++ {
			n := m.nodes[id]
			if n.level == numLevels {
				continue
			}
			i := hash3(uint32(n.level), n.lo, n.hi) & m.umask
			for m.unique[i].id != uint32(id) {
				i = (i + 1) & m.umask
			}
			m.unique[i] = uslot{}
		}
	} else {
		clear(m.unique)
	}
	m.nodes = m.nodes[:2]
	clear(m.cache)
	clear(m.leaves)
	clear(m.matchCache)
	clear(m.segCache)
	clear(m.leafKeys)
	m.leafInfo = m.leafInfo[:0]
	m.class = nil
	m.classEpoch = 0
}

// NodeCount is the number of nodes created so far (for benchmarks).
func (m *Manager) NodeCount() int { return len(m.nodes) }

func (m *Manager) isTerminal(n uint32) bool { return m.nodes[n].level == numLevels }

func hash3(a, b, c uint32) uint32 {
	h := uint64(a)*0x9E3779B97F4A7C15 ^ uint64(b)*0xC2B2AE3D27D4EB4F ^ uint64(c)*0x165667B19E3779F9
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	return uint32(h ^ h>>32)
}

// mk returns the unique node (level, lo, hi).
func (m *Manager) mk(level int32, lo, hi uint32) uint32 {
	if lo == hi {
		return lo
	}
	i := hash3(uint32(level), lo, hi) & m.umask
	for {
		x := &m.unique[i]
		if x.id == 0 {
			break
		}
		if x.lo == lo && x.hi == hi && x.level == level {
			return x.id
		}
		i = (i + 1) & m.umask
	}
	id := uint32(len(m.nodes))
	m.nodes = append(m.nodes, node{lo: lo, hi: hi, level: level})
	m.unique[i] = uslot{lo, hi, level, id}
	if uint64(len(m.nodes))*4 > uint64(m.umask)*3 {
		m.grow()
	}
	return id
}

func (m *Manager) grow() {
	size := len(m.unique) * 2
	m.unique = make([]uslot, size)
	m.umask = uint32(size - 1)
	for id := 2; id < len(m.nodes); id++ {
		n := m.nodes[id]
		if n.level == numLevels {
			continue
		}
		i := hash3(uint32(n.level), n.lo, n.hi) & m.umask
		for m.unique[i].id != 0 {
			i = (i + 1) & m.umask
		}
		m.unique[i] = uslot{n.lo, n.hi, n.level, uint32(id)}
	}
}

// leaf returns the terminal node for a multi-terminal leaf id (ids are the
// caller's; id values 0 and 1 are reserved for false and true).
func (m *Manager) leaf(id uint32) uint32 {
	if n, ok := m.leaves[id]; ok {
		return n
	}
	n := uint32(len(m.nodes))
	m.nodes = append(m.nodes, node{lo: id, hi: id, level: numLevels})
	m.leaves[id] = n
	return n
}

// leafValue is the id of terminal n (false = 0, true = 1).
func (m *Manager) leafValue(n uint32) uint32 { return m.nodes[n].lo }

func (m *Manager) cacheGet(op, a, b, c uint32) (uint32, bool) {
	e := &m.cache[hash3(a^op<<27, b, c)&m.cmask]
	if e.op == op && e.a == a && e.b == b && e.c == c {
		return e.res, true
	}
	return 0, false
}

func (m *Manager) cachePut(op, a, b, c, res uint32) {
	m.cache[hash3(a^op<<27, b, c)&m.cmask] = cacheEntry{a: a, b: b, c: c, op: op, res: res}
}

// top returns the smallest level of a and b and the cofactors.
func (m *Manager) split2(a, b uint32) (lv int32, a0, a1, b0, b1 uint32) {
	na, nb := m.nodes[a], m.nodes[b]
	lv = min(na.level, nb.level)
	a0, a1, b0, b1 = a, a, b, b
	if na.level == lv {
		a0, a1 = na.lo, na.hi
	}
	if nb.level == lv {
		b0, b1 = nb.lo, nb.hi
	}
	return
}

// cof returns the cofactors of x at level lv (x itself on both sides when
// its top variable is below lv).
func (m *Manager) cof(x uint32, lv int32) (lo, hi uint32) {
	if n := m.nodes[x]; n.level == lv {
		return n.lo, n.hi
	}
	return x, x
}

func b2u(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// and is a ∧ b (boolean operands).
func (m *Manager) and(a, b uint32) uint32 {
	switch {
	case a == bddFalse || b == bddFalse:
		return bddFalse
	case a == bddTrue:
		return b
	case b == bddTrue || a == b:
		return a
	}
	if a > b {
		a, b = b, a
	}
	if r, ok := m.cacheGet(opAnd, a, b, 0); ok {
		return r
	}
	lv, a0, a1, b0, b1 := m.split2(a, b)
	r := m.mk(lv, m.and(a0, b0), m.and(a1, b1))
	m.cachePut(opAnd, a, b, 0, r)
	return r
}

// or is a ∨ b (boolean operands).
func (m *Manager) or(a, b uint32) uint32 {
	switch {
	case a == bddTrue || b == bddTrue:
		return bddTrue
	case a == bddFalse:
		return b
	case b == bddFalse || a == b:
		return a
	}
	if a > b {
		a, b = b, a
	}
	if r, ok := m.cacheGet(opOr, a, b, 0); ok {
		return r
	}
	lv, a0, a1, b0, b1 := m.split2(a, b)
	r := m.mk(lv, m.or(a0, b0), m.or(a1, b1))
	m.cachePut(opOr, a, b, 0, r)
	return r
}

// diff is a ∧ ¬b (boolean operands).
func (m *Manager) diff(a, b uint32) uint32 {
	switch {
	case a == bddFalse || b == bddTrue || a == b:
		return bddFalse
	case b == bddFalse:
		return a
	case a == bddTrue:
		return m.not(b)
	}
	if r, ok := m.cacheGet(opDiff, a, b, 0); ok {
		return r
	}
	lv, a0, a1, b0, b1 := m.split2(a, b)
	r := m.mk(lv, m.diff(a0, b0), m.diff(a1, b1))
	m.cachePut(opDiff, a, b, 0, r)
	return r
}

// xor is a ⊕ b (boolean operands), with its own recursion (as ITE it is ~1000× slower).
func (m *Manager) xor(a, b uint32) uint32 {
	switch {
	case a == b:
		return bddFalse
	case a == bddFalse:
		return b
	case b == bddFalse:
		return a
	case a == bddTrue:
		return m.not(b)
	case b == bddTrue:
		return m.not(a)
	}
	if a > b {
		a, b = b, a
	}
	if r, ok := m.cacheGet(opXor, a, b, 0); ok {
		return r
	}
	lv, a0, a1, b0, b1 := m.split2(a, b)
	r := m.mk(lv, m.xor(a0, b0), m.xor(a1, b1))
	m.cachePut(opXor, a, b, 0, r)
	return r
}

// not is ¬a (boolean operand).
func (m *Manager) not(a uint32) uint32 {
	switch a {
	case bddFalse:
		return bddTrue
	case bddTrue:
		return bddFalse
	}
	if r, ok := m.cacheGet(opXor, a, bddTrue, 1); ok {
		return r
	}
	n := m.nodes[a]
	r := m.mk(n.level, m.not(n.lo), m.not(n.hi))
	m.cachePut(opXor, a, bddTrue, 1, r)
	return r
}

// intersects reports a ∧ b ≠ ∅ without building it.
func (m *Manager) intersects(a, b uint32) bool {
	switch {
	case a == bddFalse || b == bddFalse:
		return false
	case a == bddTrue || b == bddTrue || a == b:
		return true
	}
	if a > b {
		a, b = b, a
	}
	if r, ok := m.cacheGet(opIntersects, a, b, 0); ok {
		return r == 1
	}
	lv, a0, a1, b0, b1 := m.split2(a, b)
	_ = lv
	res := m.intersects(a0, b0) || m.intersects(a1, b1)
	m.cachePut(opIntersects, a, b, 0, b2u(res))
	return res
}

// intersects3 reports a ∧ b ∧ c ≠ ∅ (boolean operands) without building it.
func (m *Manager) intersects3(a, b, c uint32) bool {
	switch {
	case a == bddFalse || b == bddFalse || c == bddFalse:
		return false
	case a == bddTrue || a == b:
		return m.intersects(b, c)
	case b == bddTrue || b == c:
		return m.intersects(a, c)
	case c == bddTrue || a == c:
		return m.intersects(a, b)
	}
	// order the operands: the cache key is the sorted triple
	if a > b {
		a, b = b, a
	}
	if b > c {
		b, c = c, b
	}
	if a > b {
		a, b = b, a
	}
	if r, ok := m.cacheGet(opIntersects3, a, b, c); ok {
		return r == 1
	}
	lv := min(m.nodes[a].level, m.nodes[b].level, m.nodes[c].level)
	a0, a1 := m.cof(a, lv)
	b0, b1 := m.cof(b, lv)
	c0, c1 := m.cof(c, lv)
	res := m.intersects3(a0, b0, c0) || m.intersects3(a1, b1, c1)
	m.cachePut(opIntersects3, a, b, c, b2u(res))
	return res
}

// subset reports a ⊆ b (a ∧ ¬b = ∅) without building anything.
func (m *Manager) subset(a, b uint32) bool {
	switch {
	case a == bddFalse || b == bddTrue || a == b:
		return true
	case b == bddFalse:
		return false
	case a == bddTrue:
		return false // b is not true and not false, so it misses something
	}
	if r, ok := m.cacheGet(opIntersects, a, b, 1); ok {
		return r == 1
	}
	_, a0, a1, b0, b1 := m.split2(a, b)
	res := m.subset(a0, b0) && m.subset(a1, b1)
	m.cachePut(opIntersects, a, b, 1, b2u(res))
	return res
}

// ite is if f then g else h, where f is boolean and g, h may be multi-terminal.
func (m *Manager) ite(f, g, h uint32) uint32 {
	switch {
	case f == bddTrue || g == h:
		return g
	case f == bddFalse:
		return h
	case g == bddTrue && h == bddFalse:
		return f
	case g == bddFalse && h == bddTrue:
		return m.not(f)
	}
	if r, ok := m.cacheGet(opIte, f, g, h); ok {
		return r
	}
	nf, ng, nh := m.nodes[f], m.nodes[g], m.nodes[h]
	lv := min(nf.level, ng.level, nh.level)
	f0, f1, g0, g1, h0, h1 := f, f, g, g, h, h
	if nf.level == lv {
		f0, f1 = nf.lo, nf.hi
	}
	if ng.level == lv {
		g0, g1 = ng.lo, ng.hi
	}
	if nh.level == lv {
		h0, h1 = nh.lo, nh.hi
	}
	r := m.mk(lv, m.ite(f0, g0, h0), m.ite(f1, g1, h1))
	m.cachePut(opIte, f, g, h, r)
	return r
}

// subst composes: the result is to(p) where a(p) is the terminal from, and a(p)
// elsewhere. to may test any variable, so this is a binary apply.
func (m *Manager) subst(a, from, to uint32) uint32 {
	if a == from {
		return to
	}
	if m.isTerminal(a) {
		return a
	}
	if r, ok := m.cacheGet(opSubst, a, from, to); ok {
		return r
	}
	// a tests a variable; to may test the same or earlier variables, so
	// recurse on the smaller level of the two like a binary apply.
	na, nt := m.nodes[a], m.nodes[to]
	var r uint32
	if nt.level < na.level {
		r = m.mk(nt.level, m.subst(a, from, nt.lo), m.subst(a, from, nt.hi))
	} else if nt.level == na.level {
		r = m.mk(na.level, m.subst(na.lo, from, nt.lo), m.subst(na.hi, from, nt.hi))
	} else {
		r = m.mk(na.level, m.subst(na.lo, from, to), m.subst(na.hi, from, to))
	}
	m.cachePut(opSubst, a, from, to, r)
	return r
}

// leafSet is the boolean set of points where multi-terminal a reaches leaf terminal t.
func (m *Manager) leafSet(a, t uint32) uint32 {
	if a == t {
		return bddTrue
	}
	if m.isTerminal(a) {
		return bddFalse
	}
	if r, ok := m.cacheGet(opLeafSet, a, t, 0); ok {
		return r
	}
	n := m.nodes[a]
	r := m.mk(n.level, m.leafSet(n.lo, t), m.leafSet(n.hi, t))
	m.cachePut(opLeafSet, a, t, 0, r)
	return r
}

// neq is the boolean set where the terminal classes of a and b differ, as
// decided by m.class (class < 0 means "no value", which never differs).
func (m *Manager) setClass(class func(uint32) int) {
	m.class = class
	m.classEpoch++
}

func (m *Manager) neq(a, b uint32) uint32 {
	class := m.class
	if a == b {
		return bddFalse
	}
	if m.isTerminal(a) && m.isTerminal(b) {
		ca, cb := class(a), class(b)
		if ca < 0 || cb < 0 || ca == cb {
			return bddFalse
		}
		return bddTrue
	}
	if a > b {
		a, b = b, a
	}
	op := opNeq | m.classEpoch<<4
	if r, ok := m.cacheGet(op, a, b, 0); ok {
		return r
	}
	lv, a0, a1, b0, b1 := m.split2(a, b)
	r := m.mk(lv, m.neq(a0, b0), m.neq(a1, b1))
	m.cachePut(op, a, b, 0, r)
	return r
}

// differsOn reports whether some point of e ∧ f (boolean sets) has
// different m.class classes in multi-terminal a and b, without building anything.
func (m *Manager) differsOn(e, f, a, b uint32) bool {
	if e == bddFalse || f == bddFalse || a == b {
		return false
	}
	if e == bddTrue && f == bddTrue && m.isTerminal(a) && m.isTerminal(b) {
		return m.class(a) != m.class(b)
	}
	op := opDiffers | m.classEpoch<<4
	slot := &m.cache[hash3(e^op<<27, f^a*0x9E3779B9, b)&m.cmask]
	if slot.op == op && slot.a == e && slot.b == f && slot.c == a && slot.d == b {
		return slot.res == 1
	}
	lv := min(m.nodes[e].level, m.nodes[f].level, m.nodes[a].level, m.nodes[b].level)
	e0, e1 := m.cof(e, lv)
	f0, f1 := m.cof(f, lv)
	a0, a1 := m.cof(a, lv)
	b0, b1 := m.cof(b, lv)
	res := m.differsOn(e0, f0, a0, b0) || m.differsOn(e1, f1, a1, b1)
	*slot = cacheEntry{a: e, b: f, c: a, d: b, op: op, res: b2u(res)}
	return res
}

// terminals appends the distinct terminals reachable from a.
func (m *Manager) terminals(a uint32) []uint32 {
	seen := make(map[uint32]bool)
	var out []uint32
	var walk func(uint32)
	walk = func(x uint32) {
		if seen[x] {
			return
		}
		seen[x] = true
		if m.isTerminal(x) {
			out = append(out, x)
			return
		}
		n := m.nodes[x]
		walk(n.lo)
		walk(n.hi)
	}
	walk(a)
	return out
}

// pairs collects the distinct (terminal of a, terminal of b) pairs over
// points where neither is false.
func (m *Manager) pairs(a, b uint32) [][2]uint32 {
	type pk struct{ a, b uint32 }
	seen := make(map[pk]bool)
	var out [][2]uint32
	var walk func(a, b uint32)
	walk = func(a, b uint32) {
		if a == bddFalse || b == bddFalse || seen[pk{a, b}] {
			return
		}
		seen[pk{a, b}] = true
		if m.isTerminal(a) && m.isTerminal(b) {
			out = append(out, [2]uint32{a, b})
			return
		}
		_, a0, a1, b0, b1 := m.split2(a, b)
		walk(a0, b0)
		walk(a1, b1)
	}
	walk(a, b)
	return out
}
