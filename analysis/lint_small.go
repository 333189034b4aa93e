package analysis

import (
	"github.com/fwpol/fwpol/policy"
)

// Small filters (host firewalls: tens of thousands of filters of a few
// rules each) are split into components of rules whose matches may overlap:
// the verdict of a packet matched by rule i depends only on the rules that
// also match it, so lint findings about rule i are the same in the filter
// made of i's component alone. A rule that overlaps no other rule needs no
// decision diagram at all: it cannot be shadowed, and removing it hands its
// packets to the default.

// smallFilterRules bounds the pairwise overlap test (quadratic).
const smallFilterRules = 256

// participates reports whether a rule can decide or redirect a first packet.
func participates(r *policy.Rule) bool {
	return r != nil && !r.Inactive && r.Action != policy.Next && r.Action <= policy.Return &&
		!r.Match.NotInitial && r.Match.InIface == "" && r.Match.OutIface == "" && len(r.Match.Unresolved) == 0
}

// lintSmall returns the per-filter findings of f (as policy.LintFilter does).
func (l *configLinter) lintSmall(c *policy.Config, f *policy.Filter) []policy.Finding {
	n := len(f.Rules)
	ok := make([]bool, n)
	for i, r := range f.Rules {
		ok[i] = participates(r)
	}
	uf := newUnionFind(n)
	for i := 0; i < n; i++ {
		if !ok[i] {
			continue
		}
		for j := i + 1; j < n; j++ {
			if ok[j] && policy.MayOverlap(&f.Rules[i].Match, &f.Rules[j].Match) {
				uf.union(i, j)
			}
		}
	}
	return l.lintComponents(c, f, ok, uf)
}

// unionFind groups rules whose matches may overlap.
type unionFind []int32

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = int32(i)
	}
	return u
}

func (u unionFind) find(i int) int {
	for int(u[i]) != i {
		u[i] = u[u[i]]
		i = int(u[i])
	}
	return i
}

func (u unionFind) union(i, j int) {
	if a, b := u.find(i), u.find(j); a != b {
		if b < a {
			a, b = b, a
		}
		u[b] = int32(a)
	}
}

// lintComponents lints each component of f's rules (ok marks the rules
// that take part; uf groups them) on its own and returns every finding.
func (l *configLinter) lintComponents(c *policy.Config, f *policy.Filter, ok []bool, uf unionFind) []policy.Finding {
	find := uf.find
	comps := map[int][]*policy.Rule{}
	var order []int
	for i, r := range f.Rules {
		if !ok[i] {
			if r != nil && len(r.Match.Unresolved) > 0 && !r.Inactive && r.Action != policy.Next && !r.Match.NotInitial && r.Match.InIface == "" && r.Match.OutIface == "" {
				// matches nothing: reported as empty by the full lint
				comps[-1-i] = []*policy.Rule{r}
				order = append(order, -1-i)
			}
			continue
		}
		k := find(i)
		if _, seen := comps[k]; !seen {
			order = append(order, k)
		}
		comps[k] = append(comps[k], r)
	}
	var out []policy.Finding
	for _, k := range order {
		rules := comps[k]
		if len(rules) == 1 && rules[0].Action.Terminating() && len(rules[0].Match.Unresolved) == 0 {
			r := rules[0]
			if nonEmpty(&r.Match, f.Family) || !l.manager(1024).MatchSet(&r.Match, f.Family).IsEmpty() {
				if f.Entry && r.Action == f.Default {
					def := policy.RuleRef{Filter: f.Name, Action: f.Default}
					out = append(out, policy.Finding{Kind: policy.FindingRedundant, Filter: f.Name, Rule: r.Name, Line: r.Pos.Line, Pos: r.Pos,
						Action: r.Action, Related: []policy.RuleRef{def},
						Message: "removing it changes no verdict: its packets would be decided the same way by " + def.String()})
				}
				continue
			}
		}
		sub := f.Clone()
		sub.Rules = rules
		total := 0
		for _, r := range rules {
			total += 1
			if r.Action == policy.Jump || r.Action == policy.Goto {
				if t := c.Filter(r.Target); t != nil {
					total += len(t.Rules)
				}
			}
		}
		out = append(out, l.lintComponent(c, sub, 200*total+1024)...)
	}
	return out
}

// nonEmpty is a quick sufficient test that a match admits some packet of
// family fam (false means "unknown": ask the decision diagram).
func nonEmpty(m *policy.Match, fam policy.Family) bool {
	if m.Src.Negate || m.Dst.Negate || policy.MatchesNoProtocol(m) {
		return false
	}
	for _, rs := range []*policy.Ranges{m.Protocols, m.SrcPorts, m.DstPorts, m.ICMPTypes, m.ICMPCodes} {
		if rs != nil && len(*rs) == 0 {
			return false
		}
	}
	if m.Protocols != nil {
		for _, r := range *m.Protocols {
			if (r.Lo <= policy.ProtoICMP && policy.ProtoICMP <= r.Hi) || (r.Lo <= policy.ProtoICMPv6 && policy.ProtoICMPv6 <= r.Hi) {
				return false // ICMP vs ICMPv6 per family: leave it to the diagram
			}
		}
	}
	fams := func(a *policy.AddrMatch) (v4, v6 bool) {
		if a.Any {
			return true, true
		}
		if a.Set == nil || len(a.Set.Wildcards()) > 0 {
			return false, false
		}
		for _, r := range a.Set.Ranges() {
			if r.From().Is4() {
				v4 = true
			} else {
				v6 = true
			}
		}
		return v4, v6
	}
	s4, s6 := fams(&m.Src)
	d4, d6 := fams(&m.Dst)
	v4 := s4 && d4 && fam != policy.FamilyIPv6
	v6 := s6 && d6 && fam != policy.FamilyIPv4
	return v4 || v6
}
