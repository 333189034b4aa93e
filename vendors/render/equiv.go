package render

import (
	"fmt"

	"github.com/fwpol/fwpol/policy"
)

// Check is the equivalence verdict for one original filter.
type Check struct {
	Filter string `json:"filter"`
	// Rendered names the reparsed filters compared with it.
	Rendered []string `json:"rendered"`
	// Equivalent is true when every packet gets the same verdict.
	Equivalent bool `json:"equivalent"`
	// Missing lists families of the original no reparsed filter covers.
	Missing []string           `json:"missing,omitempty"`
	Changes []policy.Change    `json:"changes,omitempty"`
	Summary policy.DiffSummary `json:"summary"`
}

// Verify compares each original filter with the filters of reparsed that
// carry its name (family qualifiers aside): each must decide every packet of
// their common family the same way, and together they must cover the
// original's families.
func Verify(orig *policy.Config, fs []*policy.Filter, reparsed *policy.Config, opt policy.DiffOptions) []Check {
	var out []Check
	for _, f := range fs {
		name := BaseName(f.Name)
		if f.Meta["name"] != "" {
			name = f.Meta["name"]
		}
		c := Check{Filter: f.Name, Equivalent: true}
		v4, v6 := false, false
		for _, g := range reparsed.Filters {
			gn := BaseName(g.Name)
			if g.Meta["name"] != "" {
				gn = g.Meta["name"]
			}
			if gn != name || !overlap(f.Family, g.Family) {
				continue
			}
			c.Rendered = append(c.Rendered, g.Name)
			v4 = v4 || g.Family != policy.FamilyIPv6
			v6 = v6 || g.Family != policy.FamilyIPv4
			d := policy.DiffFiltersWith(orig, f, reparsed, g, opt)
			if len(d.Changes) > 0 {
				c.Equivalent = false
				c.Changes = append(c.Changes, d.Changes...)
				c.Summary.Changes += d.Summary.Changes
				c.Summary.Regions += d.Summary.Regions
				c.Summary.NewlyPermitted += d.Summary.NewlyPermitted
				c.Summary.NewlyBlocked += d.Summary.NewlyBlocked
				c.Summary.Other += d.Summary.Other
			}
		}
		if f.Family != policy.FamilyIPv6 && !v4 {
			c.Missing = append(c.Missing, "inet")
		}
		if f.Family != policy.FamilyIPv4 && !v6 {
			c.Missing = append(c.Missing, "inet6")
		}
		if len(c.Missing) > 0 {
			c.Equivalent = false
		}
		out = append(out, c)
	}
	return out
}

func overlap(a, b policy.Family) bool {
	return a == policy.FamilyAny || b == policy.FamilyAny || a == b
}

// String summarizes a check in one line.
func (c Check) String() string {
	if c.Equivalent {
		return fmt.Sprintf("%s: equivalent (%v)", c.Filter, c.Rendered)
	}
	if len(c.Missing) > 0 && len(c.Changes) == 0 {
		return fmt.Sprintf("%s: NOT equivalent: no rendered filter for family %v", c.Filter, c.Missing)
	}
	s := fmt.Sprintf("%s: NOT equivalent: %d changes, %d regions (%d newly permitted, %d newly blocked, %d other)",
		c.Filter, c.Summary.Changes, c.Summary.Regions, c.Summary.NewlyPermitted, c.Summary.NewlyBlocked, c.Summary.Other)
	if len(c.Missing) > 0 {
		s += fmt.Sprintf("; no rendered filter for family %v", c.Missing)
	}
	return s
}
