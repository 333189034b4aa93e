package estate

import (
	"net/netip"
	"sort"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// Footprint is every address a config's rules and objects name, kept in the
// parse cache so an address search decodes only the configs that can match.
type Footprint struct {
	Ranges []netipx.IPRange // sorted, merged
	// Always is set when the config names addresses Ranges cannot hold:
	// symbolic wildcard patterns, or references (ipsets) that another file
	// resolves at link time; and for files of objects only (ipset saves),
	// which other files resolve against.
	Always bool
}

// Overlaps reports whether any named address may lie in p.
func (f *Footprint) Overlaps(p netip.Prefix) bool {
	if f.Always {
		return true
	}
	q := netipx.RangeOfPrefix(p.Masked())
	rr := f.Ranges
	i := sort.Search(len(rr), func(i int) bool { return !rr[i].To().Less(q.From()) })
	return i < len(rr) && !q.To().Less(rr[i].From())
}

func footprintOf(c *policy.Config) Footprint {
	var b policy.AddrSetBuilder
	// A file of objects only (an ipset save) completes other files at link
	// time: leaving it out would leave their references unresolved.
	always := len(c.Filters) == 0 && len(c.Objects) > 0
	add := func(s *policy.AddrSet) {
		if s == nil {
			return
		}
		b.AddSet(s)
		always = always || len(s.Wildcards()) > 0
	}
	for _, o := range c.Objects {
		add(o.Addrs)
	}
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			add(r.Match.Src.Set)
			add(r.Match.Dst.Set)
			always = always || len(r.Match.Src.Unresolved) > 0 || len(r.Match.Dst.Unresolved) > 0
		}
	}
	return Footprint{Ranges: b.Set().Ranges(), Always: always}
}
