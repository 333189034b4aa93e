package blocklist

import (
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/search"
)

// Cut is a currently permitted region a block would drop: the packets a
// permit rule (or a permitting default) of a bound filter decides today
// whose source is in the blocked source set or whose destination is in
// the blocked destination set. It is computed with the exact packet-space
// algebra, so rules shadowed by earlier ones never appear.
type Cut struct {
	Site   string `json:"site,omitempty"`
	Device string `json:"device"`
	Vendor string `json:"vendor"`
	File   string `json:"file"`
	Filter string `json:"filter"`
	// Rule is the permitting rule (its filter may be a jump target), ""
	// for the filter's default.
	Rule    string `json:"rule"`
	InChain string `json:"in_chain,omitempty"`
	Line    int    `json:"line"`
	Default bool   `json:"default"`
	// Example is one region of the traffic cut, e.g. "tcp 203.0.113.0/24 -> 10.1.2.3 dport 443".
	Example string `json:"example"`
}

// Impact returns what blocking src (as source) and dst (as destination)
// would cut on the bound entry filters of cfgs in scope.
func Impact(cfgs []*policy.Config, scope Scope, src, dst *policy.AddrSet) []Cut {
	out := []Cut{}
	if src.IsEmpty() && dst.IsEmpty() {
		return out
	}
	for _, c := range cfgs {
		if !scope.Matches(c.Site, c.Device, c.Role) {
			continue
		}
		names, _ := BoundFilters(c)
		bound := map[string]bool{}
		for _, n := range names {
			bound[n] = true
		}
		var m *policy.Manager
		for _, f := range c.Filters {
			if !f.Entry || !bound[f.Name] || !mayPermitBlocked(c, f, src, dst) {
				continue
			}
			if m == nil {
				n := 0
				for _, g := range c.Filters {
					n += len(g.Rules)
				}
				m = policy.NewManager(1<<14 + 100*n)
			}
			// a host's filters only see its own traffic (search.Visible)
			visible, sees := search.Visible(m, c, f)
			if !sees {
				continue
			}
			blocked := m.MatchSet(&policy.Match{Src: policy.AddrMatch{Set: src}, Dst: policy.AnyAddr()}, f.Family).
				Union(m.MatchSet(&policy.Match{Src: policy.AnyAddr(), Dst: policy.AddrMatch{Set: dst}}, f.Family)).
				Intersect(visible)
			if blocked.IsEmpty() {
				continue
			}
			dm := m.Decisions(c, f)
			for _, o := range dm.Outcomes {
				if o.Action != policy.Permit {
					continue
				}
				x := o.Set.Intersect(blocked)
				if x.IsEmpty() {
					continue
				}
				cut := Cut{Site: c.Site, Device: c.Device, Vendor: c.Vendor, File: c.File, Filter: f.Name, Default: o.Default}
				if o.Rule != nil {
					cut.Rule, cut.Line = o.Rule.Name, o.Rule.Pos.Line
					if o.Filter != nil && o.Filter != f {
						cut.InChain = o.Filter.Name
					}
				} else {
					cut.Line = f.Pos.Line
				}
				if rs, _ := x.Regions(1); len(rs) > 0 {
					cut.Example = rs[0].String()
				}
				out = append(out, cut)
			}
		}
	}
	return out
}

// mayPermitBlocked is a cheap pre-check: some permit rule (or a permitting
// default, or a jump) of the config could match a blocked address.
func mayPermitBlocked(c *policy.Config, f *policy.Filter, src, dst *policy.AddrSet) bool {
	if f.Default == policy.Permit {
		return true
	}
	touches := func(m *policy.AddrMatch, s *policy.AddrSet) bool {
		if s.IsEmpty() {
			return false
		}
		if m.Any || m.Negate {
			return true
		}
		return setsOverlap(m.Set, s)
	}
	for _, g := range c.Filters {
		for _, r := range g.Rules {
			if r.Action != policy.Permit && r.Action != policy.Jump && r.Action != policy.Goto {
				continue
			}
			if touches(&r.Match.Src, src) || touches(&r.Match.Dst, dst) {
				return true
			}
		}
	}
	return false
}

// setsOverlap reports whether two sets may share an address (symbolic
// wildcard patterns count as overlapping: this is only a pre-check).
func setsOverlap(a, b *policy.AddrSet) bool {
	if a.IsEmpty() || b.IsEmpty() {
		return false
	}
	if len(a.Wildcards()) > 0 || len(b.Wildcards()) > 0 {
		return true
	}
	ra, rb := a.Ranges(), b.Ranges()
	i, j := 0, 0
	for i < len(ra) && j < len(rb) {
		if overlaps(ra[i], rb[j]) {
			return true
		}
		if ra[i].To().Less(rb[j].To()) {
			i++
		} else {
			j++
		}
	}
	return false
}
