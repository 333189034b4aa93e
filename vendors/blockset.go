package vendors

import (
	"net/netip"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// BlockPrefixes returns the minimal prefixes of s's contiguous part of
// one family (v6 false: IPv4), in address order: the canonical content of
// a block object, so what a device holds can be compared with what it
// should hold element by element.
func BlockPrefixes(s *policy.AddrSet, v6 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s.Prefixes() {
		if p.Addr().Is6() == v6 {
			out = append(out, p)
		}
	}
	return out
}

// BlockRanges returns the maximal ranges of s of one family, in order (the
// canonical content of interval sets that hold ranges).
func BlockRanges(s *policy.AddrSet, v6 bool) []netipx.IPRange {
	var out []netipx.IPRange
	for _, r := range s.Ranges() {
		if r.From().Is6() == v6 {
			out = append(out, r)
		}
	}
	return out
}

// DiffElems returns the elements of want missing from have (to add) and
// those of have missing from want (to delete), each in input order.
func DiffElems[T comparable](have, want []T) (add, del []T) {
	in := make(map[T]bool, len(have))
	for _, h := range have {
		in[h] = true
	}
	keep := make(map[T]bool, len(want))
	for _, w := range want {
		keep[w] = true
		if !in[w] {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !keep[h] {
			del = append(del, h)
		}
	}
	return add, del
}
