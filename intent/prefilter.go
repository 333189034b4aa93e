package intent

import (
	"github.com/fwpol/fwpol/policy"
)

// A cheap pre-check before the exact algebra: most (intent, filter) pairs of
// a large estate are settled by box overlap alone. Every test here only
// over-approximates "may overlap", so skipping on "cannot overlap" is exact.

// mayOverlap reports whether some first packet could match both a and b
// (unresolved references outside the addresses match nothing, as in
// Match.Matches).
func mayOverlap(a, b *policy.Match) bool {
	return len(a.Unresolved) == 0 && len(b.Unresolved) == 0 && policy.MayOverlap(a, b)
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
