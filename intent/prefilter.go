package intent

import (
	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// A cheap pre-check before the exact algebra: most (intent, filter) pairs of
// a large estate are settled by box overlap alone. Every test here only
// over-approximates "may overlap", so skipping on "cannot overlap" is exact.

func rangesOverlap(a, b []netipx.IPRange) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i].To().Less(b[j].From()) {
			i++
		} else if b[j].To().Less(a[i].From()) {
			j++
		} else {
			return true
		}
	}
	return false
}

func addrMayOverlap(a, b *policy.AddrMatch) bool {
	if a.Any || b.Any || a.Negate || b.Negate || len(a.Set.Wildcards()) > 0 || len(b.Set.Wildcards()) > 0 {
		return !(a.Set.IsEmpty() && !a.Any && !a.Negate) && !(b.Set.IsEmpty() && !b.Any && !b.Negate)
	}
	return rangesOverlap(a.Set.Ranges(), b.Set.Ranges())
}

func rangesMayOverlap(a, b *policy.Ranges) bool {
	if a == nil || b == nil {
		return true
	}
	x, y := *a, *b
	for i, j := 0, 0; i < len(x) && j < len(y); {
		switch {
		case x[i].Hi < y[j].Lo:
			i++
		case y[j].Hi < x[i].Lo:
			j++
		default:
			return true
		}
	}
	return false
}

// mayOverlap reports whether some first packet could match both a and b.
func mayOverlap(a, b *policy.Match) bool {
	// Flows carry no interface: interface conditions match nothing, as in
	// Match.Matches and the algebra.
	if a.NotInitial || b.NotInitial || len(a.Unresolved) > 0 || len(b.Unresolved) > 0 ||
		a.InIface != "" || a.OutIface != "" || b.InIface != "" || b.OutIface != "" {
		return false
	}
	if !rangesMayOverlap(a.Protocols, b.Protocols) || !addrMayOverlap(&a.Src, &b.Src) || !addrMayOverlap(&a.Dst, &b.Dst) {
		return false
	}
	// Port and ICMP conditions restrict protocols; when both sides have
	// them, their values must meet too.
	return rangesMayOverlap(a.SrcPorts, b.SrcPorts) && rangesMayOverlap(a.DstPorts, b.DstPorts) &&
		rangesMayOverlap(a.ICMPTypes, b.ICMPTypes) && rangesMayOverlap(a.ICMPCodes, b.ICMPCodes)
}

// mayPermit reports whether filter f (following jumps) could permit a packet
// of region r: a permitting rule overlaps r, or the default permits.
func mayPermit(c *policy.Config, f *policy.Filter, r *policy.Match, depth int) bool {
	if depth > 64 {
		return true
	}
	// An entry filter's permitting default permits what no rule decides; a
	// jump target's falling off the end returns to its caller, whose own
	// rules and default are checked there.
	if depth == 0 && f.Default == policy.Permit {
		return true
	}
	for _, rule := range f.Rules {
		if rule.Inactive || !mayOverlap(&rule.Match, r) {
			continue
		}
		switch rule.Action {
		case policy.Permit:
			return true
		case policy.Jump, policy.Goto:
			t := c.Filter(rule.Target)
			if t == nil || mayPermit(c, t, r, depth+1) {
				return true
			}
		}
	}
	return false
}
