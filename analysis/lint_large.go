package analysis

import (
	"net/netip"
	"sort"

	"github.com/fwpol/fwpol/policy"
)

// Large filters (router ACLs, firewall policies of thousands of rules) get
// the same component split as small ones, with the overlap pairs found by a
// sweep over address hulls instead of the quadratic test. Two things make
// that work on real rule bases:
//
//   - A trailing catch-all rule ("deny ip any any") overlaps every rule and
//     would join them all into one component. In an entry filter without
//     jumps, gotos or returns it decides exactly what the default would, so
//     the rest is linted with the catch-all's action as the default and the
//     findings name the catch-all where they would name the default. Its
//     own finding is decided without a diagram when an earlier-rule-free
//     protocol proves some packet reaches it.
//   - Hull overlap is counted first on destinations and on sources; the
//     sweep runs on the dimension with fewer candidate pairs, and a filter
//     whose rules overlap too much is linted whole (policy.LintFilter).
//
// The findings are identical to policy.LintFilter's (TestLintLargeMatchesLintFilter).

// maxRelatedRefs is policy's cap on Finding.Related.
const maxRelatedRefs = 16

// lintLarge lints f by components; ok is false when f does not split well
// (the caller then lints it whole).
func (l *configLinter) lintLarge(c *policy.Config, f *policy.Filter) ([]policy.Finding, bool) {
	sub := f
	tail, tailFinding, hasTail := l.catchAllTail(f)
	if hasTail {
		sub = f.Clone()
		sub.Rules = f.Rules[:len(f.Rules)-1]
		sub.Default = tail.Action
	}
	n := len(sub.Rules)
	ok := make([]bool, n)
	var ivs [2][]interval // by source, by destination
	for i, r := range sub.Rules {
		ok[i] = participates(r)
		if !ok[i] {
			continue
		}
		slo, shi, sok := hull(&r.Match.Src)
		dlo, dhi, dok := hull(&r.Match.Dst)
		if !sok || !dok {
			continue // matches no address: overlaps nothing
		}
		ivs[0] = append(ivs[0], interval{slo, shi, int32(i)})
		ivs[1] = append(ivs[1], interval{dlo, dhi, int32(i)})
	}
	dim, pairs := 0, overlapPairs(ivs[0])
	if p := overlapPairs(ivs[1]); p < pairs {
		dim, pairs = 1, p
	}
	if pairs > 64*n+200000 {
		return nil, false
	}
	uf := newUnionFind(n)
	sweepOverlaps(ivs[dim], func(i, j int) {
		if policy.MayOverlap(&sub.Rules[i].Match, &sub.Rules[j].Match) {
			uf.union(i, j)
		}
	})
	found := l.lintComponents(c, sub, ok, uf)
	if !hasTail {
		return found, true
	}
	ref := policy.RuleRef{Filter: f.Name, Rule: tail.Name, Line: tail.Pos.Line, Action: tail.Action}
	for k := range found {
		fd := &found[k]
		changed := false
		for x, r := range fd.Related {
			if r.Rule == "" {
				fd.Related = append(append([]policy.RuleRef(nil), fd.Related[:x]...), ref)
				if len(fd.Related) > maxRelatedRefs {
					fd.Related = fd.Related[:maxRelatedRefs]
					fd.RelatedMore++
				}
				changed = true
				break
			}
		}
		if changed && fd.Kind == policy.FindingRedundant {
			fd.Message = "removing it changes no verdict: its packets would be decided the same way by " + policy.RefList(fd.Related, fd.RelatedMore)
		}
	}
	if tailFinding != nil {
		found = append(found, *tailFinding)
	}
	return found, true
}

// catchAllTail reports whether f ends in a rule matching every packet of
// its family that may stand in for the default (see lintLarge), with that
// rule's own finding (nil if none). It proves the rule is reached by some
// packet: a protocol no earlier rule can match.
func (l *configLinter) catchAllTail(f *policy.Filter) (*policy.Rule, *policy.Finding, bool) {
	n := len(f.Rules)
	if !f.Entry || n == 0 {
		return nil, nil, false
	}
	t := f.Rules[n-1]
	if !participates(t) || !t.Action.Terminating() {
		return nil, nil, false
	}
	var blocked [256]bool
	for _, r := range f.Rules[:n-1] {
		if r == nil {
			continue
		}
		if r.Action == policy.Jump || r.Action == policy.Goto || r.Action == policy.Return {
			return nil, nil, false
		}
		if !policy.MayAdmitOther(&r.Match) {
			continue // admits only port-carrying or ICMP protocols
		}
		if r.Match.Protocols == nil {
			return nil, nil, false // may match any protocol
		}
		for _, pr := range *r.Match.Protocols {
			for p := int(pr.Lo); p <= int(pr.Hi); p++ {
				blocked[p] = true
			}
		}
	}
	witness := false
	for p := 0; p < 256 && !witness; p++ {
		witness = !blocked[p] && !policy.HasPorts(uint8(p)) && !policy.IsICMP(uint8(p))
	}
	if !witness {
		return nil, nil, false
	}
	m := l.manager(1024)
	if !m.MatchSet(&t.Match, f.Family).Equal(m.Universe(f.Family)) {
		return nil, nil, false
	}
	if t.Action != f.Default {
		return t, nil, true // it decides packets the default would decide otherwise
	}
	def := policy.RuleRef{Filter: f.Name, Action: f.Default}
	return t, &policy.Finding{Kind: policy.FindingRedundant, Filter: f.Name, Rule: t.Name, Line: t.Pos.Line, Pos: t.Pos,
		Action: t.Action, Related: []policy.RuleRef{def},
		Message: "removing it changes no verdict: its packets would be decided the same way by " + def.String()}, true
}

type interval struct {
	lo, hi netip.Addr
	rule   int32
}

var (
	minAddr = netip.IPv4Unspecified()
	maxAddr = netip.AddrFrom16([16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
)

// hull is an address interval holding every address a may match (IPv4
// sorts before IPv6); ok is false when a matches no address at all.
func hull(a *policy.AddrMatch) (lo, hi netip.Addr, ok bool) {
	if a.Any || a.Negate || (a.Set != nil && len(a.Set.Wildcards()) > 0) {
		return minAddr, maxAddr, true
	}
	if a.Set == nil {
		return lo, hi, false
	}
	rs := a.Set.Ranges()
	if len(rs) == 0 {
		return lo, hi, false
	}
	return rs[0].From(), rs[len(rs)-1].To(), true
}

// overlapPairs counts the pairs of overlapping intervals.
func overlapPairs(ivs []interval) int {
	los := make([]netip.Addr, len(ivs))
	his := make([]netip.Addr, len(ivs))
	for i, iv := range ivs {
		los[i], his[i] = iv.lo, iv.hi
	}
	less := func(s []netip.Addr) func(i, j int) bool { return func(i, j int) bool { return s[i].Less(s[j]) } }
	sort.Slice(los, less(los))
	sort.Slice(his, less(his))
	// interval k (in lo order) overlaps every earlier one except those
	// ending before it starts
	total := 0
	for k, lo := range los {
		ended := sort.Search(len(his), func(x int) bool { return !his[x].Less(lo) })
		total += k - ended
	}
	return total
}

// sweepOverlaps calls pair for every two rules whose intervals overlap.
func sweepOverlaps(ivs []interval, pair func(i, j int)) {
	sort.Slice(ivs, func(a, b int) bool { return ivs[a].lo.Less(ivs[b].lo) })
	var active []interval
	for _, iv := range ivs {
		keep := active[:0]
		for _, a := range active {
			if !a.hi.Less(iv.lo) {
				keep = append(keep, a)
				pair(int(a.rule), int(iv.rule))
			}
		}
		active = append(keep, iv)
	}
}
