package analysis

import (
	"strings"
)

// A CI gate on lint over an estate that already has findings wants the ones
// a change introduces. Findings are matched to a baseline (the same configs
// at an earlier revision) by what they are about, not where: check, device,
// filter, rule or object, action, and the names of the related rules. Line
// numbers and messages (which quote lines) are left out, so a finding
// stays known when rules are inserted above it.

// FindingKey is what identifies a finding across revisions.
func FindingKey(f *LintFinding) string {
	var b strings.Builder
	for _, s := range []string{f.Check, f.Site, f.Device, f.Vendor, f.Filter, f.Rule, f.Object, f.Action} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	for _, r := range f.Related {
		b.WriteString(r.Filter)
		b.WriteByte('/')
		b.WriteString(r.Rule)
		b.WriteByte('/')
		b.WriteString(r.Action.String())
		b.WriteByte(0)
	}
	return b.String()
}

// NewFindings returns the findings of cur that base does not have (as a
// multiset: two identical findings where the baseline had one leave one),
// in cur's order, and how many were known.
func NewFindings(cur, base []LintFinding) (fresh []LintFinding, known int) {
	left := make(map[string]int, len(base))
	for i := range base {
		left[FindingKey(&base[i])]++
	}
	for i := range cur {
		k := FindingKey(&cur[i])
		if left[k] > 0 {
			left[k]--
			known++
			continue
		}
		fresh = append(fresh, cur[i])
	}
	return fresh, known
}
