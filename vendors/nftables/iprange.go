package nftables

import (
	"net/netip"
	"sort"

	"github.com/fwpol/fwpol/policy"
	"go4.org/netipx"
)

// ipRanges is a sorted, disjoint, non-adjacent list of address ranges: the
// representation policy.AddrSet is built from. Working on it directly keeps
// single-value conditions free of set building.
type ipRanges []netipx.IPRange

var (
	univ4 = ipRanges{netipx.IPRangeFrom(netip.IPv4Unspecified(), netip.MustParseAddr("255.255.255.255"))}
	univ6 = ipRanges{netipx.IPRangeFrom(netip.IPv6Unspecified(), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))}
)

// universe is every address of the family of k (shared; never modified).
func universe(k keyKind) ipRanges {
	if k == kAddr4 {
		return univ4
	}
	return univ6
}

// normRanges sorts and merges rs in place.
func normRanges(rs ipRanges) ipRanges {
	if len(rs) < 2 {
		return rs
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].From().Less(rs[j].From()) })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		to := last.To()
		if n := to.Next(); r.From().Compare(to) <= 0 || (n.IsValid() && n == r.From()) {
			if r.To().Compare(to) > 0 {
				*last = netipx.IPRangeFrom(last.From(), r.To())
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func maxAddr(a, b netip.Addr) netip.Addr {
	if a.Compare(b) >= 0 {
		return a
	}
	return b
}

func minAddr(a, b netip.Addr) netip.Addr {
	if a.Compare(b) <= 0 {
		return a
	}
	return b
}

// intersectRanges returns a ∩ b (both normalized).
func intersectRanges(a, b ipRanges) ipRanges {
	out := ipRanges{}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo := maxAddr(a[i].From(), b[j].From())
		hi := minAddr(a[i].To(), b[j].To())
		if lo.Compare(hi) <= 0 && lo.Is4() == hi.Is4() {
			out = append(out, netipx.IPRangeFrom(lo, hi))
		}
		if a[i].To().Compare(b[j].To()) < 0 {
			i++
		} else {
			j++
		}
	}
	return out
}

// complementRanges returns u \ rs for a single-range universe u.
func complementRanges(rs ipRanges, u ipRanges) ipRanges {
	out := ipRanges{}
	next := u[0].From()
	end := u[0].To()
	ok := true
	for _, r := range intersectRanges(rs, u) {
		if next.Less(r.From()) {
			out = append(out, netipx.IPRangeFrom(next, r.From().Prev()))
		}
		if r.To() == end {
			ok = false
			break
		}
		next = r.To().Next()
	}
	if ok {
		out = append(out, netipx.IPRangeFrom(next, end))
	}
	return out
}

func toAddrSet(rs ipRanges) *policy.AddrSet { return policy.NewAddrSetFromRanges(rs, nil) }
