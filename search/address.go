package search

import (
	"net/netip"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// Relation is how a referenced address set must relate to the query.
type Relation int

const (
	// Overlap: the set and the query share at least one address.
	Overlap Relation = iota
	// Contains: the set holds every address of the query.
	Contains
	// Exact: the set's content is exactly the query.
	Exact
	// Within: the set is non-empty and inside the query.
	Within
)

// AddressHit is one place an address is referenced.
type AddressHit struct {
	File   string `json:"file"`
	Site   string `json:"site,omitempty"`
	Device string `json:"device"`
	Vendor string `json:"vendor"`
	// Kind is "rule" or the object kind (prefix-list, address-set, ipset, ...).
	Kind   string `json:"kind"`
	Filter string `json:"filter,omitempty"`
	Rule   string `json:"rule,omitempty"`
	Object string `json:"object,omitempty"`
	// Field is "src", "dst" or "members".
	Field string `json:"field"`
	// Action is the rule's action ("" for objects).
	Action string `json:"action,omitempty"`
	Line   int    `json:"line"`
	// Via names the objects a rule's matching field was built from.
	Via []string `json:"via,omitempty"`
	// Matched lists the referenced prefixes that relate to the query
	// (at most a few, for display).
	Matched []string `json:"matched"`
	Negated bool     `json:"negated,omitempty"`
	// Entry is false for rules in jump-only chains.
	Entry bool `json:"entry"`
}

// AddressOptions tune an address search.
type AddressOptions struct {
	Relation Relation
	// IncludeAny also reports rules whose field is "any".
	IncludeAny bool
}

func relates(s *policy.AddrSet, q netip.Prefix, rel Relation) bool {
	switch rel {
	case Contains:
		return s.ContainsPrefix(q)
	case Exact:
		ps := s.Prefixes()
		return len(ps) == 1 && ps[0] == q && len(s.Wildcards()) == 0
	case Within:
		return s.WithinPrefix(q)
	}
	return s.OverlapsPrefix(q)
}

// maxMatchedShown bounds AddressHit.Matched.
const maxMatchedShown = 4

func matched(s *policy.AddrSet, q netip.Prefix) []string {
	var out []string
	for _, r := range s.Ranges() {
		if len(out) == maxMatchedShown {
			out = append(out, "...")
			break
		}
		if p, ok := r.Prefix(); ok {
			if p.Overlaps(q) {
				out = append(out, p.String())
			}
			continue
		}
		if qr := prefixRange(q); !(r.To().Less(qr[0]) || qr[1].Less(r.From())) {
			out = append(out, r.From().String()+"-"+r.To().String())
		}
	}
	for _, w := range s.Wildcards() {
		if len(out) < maxMatchedShown+1 {
			out = append(out, w.String())
		}
	}
	return out
}

func prefixRange(p netip.Prefix) [2]netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	last, _ := netip.AddrFromSlice(b)
	return [2]netip.Addr{a, last}
}

// Address finds every rule and object referencing addresses related to q.
func Address(cfgs []*policy.Config, q netip.Prefix, opt AddressOptions) []AddressHit {
	q = q.Masked()
	out := []AddressHit{}
	for _, c := range cfgs {
		base := AddressHit{File: c.File, Site: c.Site, Device: c.Device, Vendor: c.Vendor}
		for _, o := range c.Objects {
			if o.Addrs == nil || !relates(o.Addrs, q, opt.Relation) {
				continue
			}
			h := base
			h.Kind, h.Object, h.Field, h.Line, h.Matched = o.Kind, o.Name, "members", o.Pos.Line, matched(o.Addrs, q)
			out = append(out, h)
		}
		for _, f := range c.Filters {
			for _, r := range f.Rules {
				for _, fld := range [...]struct {
					name string
					m    *policy.AddrMatch
				}{{"src", &r.Match.Src}, {"dst", &r.Match.Dst}} {
					m := fld.m
					var hit bool
					var shown []string
					switch {
					case m.Any:
						hit, shown = opt.IncludeAny && !m.Negate, []string{"any"}
					case m.Set != nil && relates(m.Set, q, opt.Relation):
						hit, shown = true, matched(m.Set, q)
					}
					if !hit {
						continue
					}
					h := base
					h.Kind, h.Filter, h.Rule, h.Field, h.Action = "rule", f.Name, r.Name, fld.name, ruleAction(r)
					h.Line, h.Via, h.Matched, h.Negated, h.Entry = r.Pos.Line, m.Refs, shown, m.Negate, f.Entry
					out = append(out, h)
				}
			}
		}
	}
	return out
}

func ruleAction(r *policy.Rule) string {
	a := r.Action.String()
	if r.Target != "" {
		a += " " + r.Target
	}
	if r.Inactive {
		a += " (inactive)"
	}
	return a
}

// ParseQuery accepts an address or CIDR.
func ParseQuery(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
