package policy

import (
	"container/heap"
	"sort"
	"strings"
)

// FindingKind classifies a lint finding.
type FindingKind string

const (
	// FindingEmpty: the rule matches no packet by itself (contradictory
	// conditions, empty groups, unresolved references, wrong family).
	FindingEmpty FindingKind = "empty"
	// FindingShadowed: the rule matches packets but decides none, because
	// earlier rules decide all of them.
	FindingShadowed FindingKind = "shadowed"
	// FindingRedundant: the rule decides packets, but removing it changes no
	// verdict (later rules or the default decide them the same way).
	FindingRedundant FindingKind = "redundant"
)

// RuleRef names a rule (or the default, with Rule empty) in a finding.
type RuleRef struct {
	Filter string `json:"filter"`
	Rule   string `json:"rule,omitempty"`
	Line   int    `json:"line,omitempty"`
	Action Action `json:"action"`
}

func (r RuleRef) String() string {
	if r.Rule == "" {
		return "default " + r.Action.String()
	}
	return r.Rule + " (line " + itoa(r.Line) + ", " + r.Action.String() + ")"
}

// Finding is one lint result about a rule of the linted filter.
type Finding struct {
	Kind   FindingKind `json:"kind"`
	Filter string      `json:"filter"`
	Rule   string      `json:"rule"`
	Line   int         `json:"line"`
	Pos    Pos         `json:"pos"`
	Action Action      `json:"action"`
	// Conflict (shadowed rules): some of the rule's packets get a verdict
	// different from its own action.
	Conflict bool   `json:"conflict,omitempty"`
	Message  string `json:"message"`
	// Related are, for shadowed rules, the earlier rules that decide its
	// packets; for redundant rules, the later rules (or default) that would
	// decide them without it. Capped at maxRelated (RelatedMore counts the rest).
	Related     []RuleRef `json:"related,omitempty"`
	RelatedMore int       `json:"related_more,omitempty"`
}

const maxRelated = 16

// LintFilter reports the empty, shadowed and redundant rules of filter f
// (evaluated as an entry filter of c, following jumps; only f's own rules
// are reported). Rules that never see a first packet by design (NotInitial,
// interface conditions), Next rules and inactive rules are not reported.
func LintFilter(c *Config, f *Filter) []Finding {
	return NewManager(sizeHintFor(c, f)).LintFilter(c, f)
}

// LintFilter is LintFilter in manager m.
func (m *Manager) LintFilter(c *Config, f *Filter) []Finding {
	if f == nil {
		return nil
	}
	b := newBuilder(m, c, f, true, bddTrue)
	b.summary(f, 1) // fills b.steps: verdict diagram from each rule on
	m.setClass(m.actionClass(f.Default))
	l := &linter{m: m, b: b, f: f, taken: make(map[int]uint32), remAt: make([]uint32, len(f.Rules))}
	l.index()
	var out []Finding
	rem := m.universe(f.Family)
	for i, r := range f.Rules {
		l.remAt[i] = rem
		if r == nil || r.Inactive || r.Action == Next || r.Action > Return || r.Match.NotInitial || r.Match.InIface != "" || r.Match.OutIface != "" {
			continue
		}
		ms := b.ruleSet(r)
		fd := Finding{Filter: f.Name, Rule: r.Name, Line: r.Pos.Line, Pos: r.Pos, Action: r.Action}
		switch {
		case ms == bddFalse:
			fd.Kind = FindingEmpty
			fd.Message = "matches nothing: " + l.emptyReason(r)
			out = append(out, fd)
			continue
		case !m.intersects(ms, rem):
			fd.Kind = FindingShadowed
			fd.Related, fd.RelatedMore = l.deciders(i, ms, true)
			if r.Action.Terminating() {
				fd.Conflict = m.differsOn(ms, bddTrue, b.steps[0], m.leafFor(leafKey{o: Outcome{Action: r.Action}, verdict: true}))
			}
			fd.Message = "never decides a packet: earlier rules " + refList(fd.Related, fd.RelatedMore) + " cover it"
			if r.Action.Terminating() {
				if fd.Conflict {
					fd.Message += ", with a different verdict for some of its packets (conflict)"
				} else {
					fd.Message += " with the same verdict"
				}
			}
			out = append(out, fd)
			continue
		}
		if !m.differsOn(ms, rem, b.steps[i], b.steps[i+1]) {
			fd.Kind = FindingRedundant
			fd.Related, fd.RelatedMore = l.deciders(i, m.and(ms, rem), false)
			fd.Message = "removing it changes no verdict: its packets would be decided the same way by " + refList(fd.Related, fd.RelatedMore)
			out = append(out, fd)
		}
		rem = m.diff(rem, l.takenBy(i))
	}
	return out
}

// RefList writes rules as a finding names them: "10 (line 3, deny), 20
// (line 4, permit) and 3 more".
func RefList(rs []RuleRef, more int) string { return refList(rs, more) }

func refList(rs []RuleRef, more int) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	s := strings.Join(parts, ", ")
	if more > 0 {
		s += " and " + itoa(more) + " more"
	}
	return s
}

type linter struct {
	m     *Manager
	b     *builder
	f     *Filter
	taken map[int]uint32
	// remAt[j] is what no rule before j decides (set as the walk reaches
	// j): rule j decides takenBy(j) ∧ remAt[j].
	remAt []uint32
	idx   [2]map[int]*idxLevel // per family: hull prefix length -> rules by prefix
}

// takenBy is the set of packets rule i removes from further evaluation of
// the entry filter when they reach it: everything it matches, except what
// returns from a jump.
func (l *linter) takenBy(i int) uint32 {
	if t, ok := l.taken[i]; ok {
		return t
	}
	r := l.f.Rules[i]
	if r == nil {
		return bddFalse
	}
	t := l.b.ruleSet(r)
	if r.Inactive || r.Action == Next || r.Action > Return {
		t = bddFalse
	} else if r.Action == Jump {
		if tg := l.b.c.Filter(r.Target); tg != nil {
			t = l.m.diff(t, l.b.returned(tg, 2))
		}
	}
	l.taken[i] = t
	return t
}

// hull is the smallest prefix holding the rule's destinations of one family.
func (l *linter) hull(am *AddrMatch, v6 bool) (p u128, plen int, ok bool) {
	if am.Any || am.Negate {
		return u128{}, 0, true
	}
	segs, wild := l.m.addrSegs(am.Set, v6)
	w := famWidth(v6)
	first := true
	var lo, hi u128
	add := func(a, b u128) {
		if first || a.less(lo) {
			lo = a
		}
		if first || hi.less(b) {
			hi = b
		}
		first = false
	}
	for _, s := range segs {
		add(s.lo, s.hi)
	}
	for _, wc := range wild {
		a, mk := addrValue(wc.Addr), addrValue(wc.Mask)
		add(u128{a.hi &^ mk.hi, a.lo &^ mk.lo}, a.or(mk))
	}
	if first {
		return u128{}, 0, false
	}
	plen = 0
	for plen < w && lo.bitAt(w-1-plen) == hi.bitAt(w-1-plen) {
		plen++
	}
	return maskTop(lo, plen, w), plen, true
}

func maskTop(v u128, plen, w int) u128 {
	hm := lowMask(w - plen)
	return u128{v.hi &^ hm.hi, v.lo &^ hm.lo}
}

func (l *linter) index() {
	for fi := range l.idx {
		l.idx[fi] = map[int]*idxLevel{}
	}
	for i, r := range l.f.Rules {
		if r == nil {
			continue
		}
		for fi, v6 := range []bool{false, true} {
			if p, plen, ok := l.hull(&r.Match.Dst, v6); ok {
				lv := l.idx[fi][plen]
				if lv == nil {
					lv = &idxLevel{byVal: map[u128][]int32{}}
					l.idx[fi][plen] = lv
				}
				if _, seen := lv.byVal[p]; !seen {
					lv.vals = append(lv.vals, p)
				}
				lv.byVal[p] = append(lv.byVal[p], int32(i))
			}
		}
	}
	for fi := range l.idx {
		for _, lv := range l.idx[fi] {
			sort.Slice(lv.vals, func(a, b int) bool { return lv.vals[a].less(lv.vals[b]) })
		}
	}
}

// candidates calls yield, in increasing rule order, for the rules before
// (earlier) or after rule i whose destinations may overlap rule i's, until
// yield returns false.
func (l *linter) candidates(i int, earlier bool, yield func(j int) bool) {
	r := l.f.Rules[i]
	var lists [][]int32
	for fi, v6 := range []bool{false, true} {
		p, plen, ok := l.hull(&r.Match.Dst, v6)
		if !ok {
			continue
		}
		w := famWidth(v6)
		for l2, lv := range l.idx[fi] {
			var lo, hi u128
			if l2 <= plen {
				lo = maskTop(p, l2, w)
				hi = lo
			} else {
				lo, hi = p, p.or(lowMask(w-plen))
			}
			k := sort.Search(len(lv.vals), func(x int) bool { return !lv.vals[x].less(lo) })
			for ; k < len(lv.vals) && !hi.less(lv.vals[k]); k++ {
				rs := lv.byVal[lv.vals[k]]
				cut := sort.Search(len(rs), func(x int) bool { return int(rs[x]) >= i })
				if earlier {
					rs = rs[:cut]
				} else {
					if cut < len(rs) && int(rs[cut]) == i {
						cut++
					}
					rs = rs[cut:]
				}
				if len(rs) > 0 {
					lists = append(lists, rs)
				}
			}
		}
	}
	h := mergeHeap(lists)
	heap.Init(&h)
	last := -1
	for h.Len() > 0 {
		j := int(h[0][0])
		if h[0] = h[0][1:]; len(h[0]) == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
		if j == last {
			continue
		}
		last = j
		if !yield(j) {
			return
		}
	}
}

type idxLevel struct {
	vals  []u128
	byVal map[u128][]int32
}

// mergeHeap merges ascending rule lists.
type mergeHeap [][]int32

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(a, b int) bool { return h[a][0] < h[b][0] }
func (h mergeHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.([]int32)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// deciders lists the rules that decide the packets of set s in first-match
// order: the earlier rules (before i) or, with earlier false, the later ones
// and finally the default. Every listed rule decides a non-empty part of s.
func (l *linter) deciders(i int, s uint32, earlier bool) ([]RuleRef, int) {
	m := l.m
	var refs []RuleRef
	more := 0
	rest := s
	ri := &l.f.Rules[i].Match
	l.candidates(i, earlier, func(j int) bool {
		if !MayOverlap(ri, &l.f.Rules[j].Match) {
			return true // s is within rule i's match: j takes none of it
		}
		if earlier {
			// the earlier rules that decide part of s are those whose
			// decided region meets s, and once no packet of s is left
			// undecided after rule j, none later: intersection tests,
			// nothing built
			if !m.intersects3(s, l.takenBy(j), l.remAt[j]) {
				return true
			}
			r := l.f.Rules[j]
			if len(refs) < maxRelated {
				refs = append(refs, RuleRef{Filter: l.f.Name, Rule: r.Name, Line: r.Pos.Line, Action: r.Action})
			} else {
				more++
			}
			return m.intersects(s, l.remAt[j+1])
		}
		t := l.takenBy(j)
		if !m.intersects(rest, t) {
			return true
		}
		if m.subset(rest, t) {
			rest = bddFalse // covered: skip building the difference
		} else {
			rest = m.diff(rest, t)
		}
		r := l.f.Rules[j]
		if len(refs) < maxRelated {
			refs = append(refs, RuleRef{Filter: l.f.Name, Rule: r.Name, Line: r.Pos.Line, Action: r.Action})
		} else {
			more++
		}
		return rest != bddFalse
	})
	if rest != bddFalse && !earlier {
		refs = append(refs, RuleRef{Filter: l.f.Name, Action: l.f.Default})
	}
	return refs, more
}

// emptyReason explains why a rule's match is empty.
func (l *linter) emptyReason(r *Rule) string {
	m, mt, fam := l.m, &r.Match, l.f.Family
	var why []string
	var unres []string
	unres = append(unres, mt.Src.Unresolved...)
	unres = append(unres, mt.Dst.Unresolved...)
	unres = append(unres, mt.Unresolved...)
	if len(unres) > 0 {
		why = append(why, "unresolved references "+strings.Join(unres, ", "))
	}
	only := func(x Match) bool { return m.matchNode(&x, fam) == bddFalse }
	addrWhy := func(label string, am AddrMatch) {
		switch {
		case am.Any && am.Negate:
			why = append(why, label+" is negated \"any\"")
		case !am.Any && !am.Negate && am.Set.IsEmpty():
			why = append(why, label+" is empty")
		case only(Match{Src: am, Dst: AnyAddr()}):
			why = append(why, label+" matches no address of the filter's family")
		}
	}
	addrWhy("source", mt.Src)
	addrWhy("destination", mt.Dst)
	if only(Match{Src: mt.Src, Dst: mt.Dst}) && len(why) == 0 {
		why = append(why, "source and destination are of different families")
	}
	if only(Match{Src: AnyAddr(), Dst: AnyAddr(), Protocols: mt.Protocols}) {
		why = append(why, "empty protocol set")
	}
	if only(Match{Src: AnyAddr(), Dst: AnyAddr(), Protocols: mt.Protocols, SrcPorts: mt.SrcPorts, DstPorts: mt.DstPorts, ICMPTypes: mt.ICMPTypes, ICMPCodes: mt.ICMPCodes}) && len(why) == 0 {
		why = append(why, "protocol, port and ICMP conditions contradict each other")
	}
	if len(why) == 0 {
		why = append(why, "conditions contradict each other")
	}
	return strings.Join(why, "; ")
}
