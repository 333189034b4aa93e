package main

import (
	"strings"
	"testing"
)

// A Junos SRX config converted to Junos keeps its security policies, proven
// equivalent like filters.
func TestConvertSRXPolicies(t *testing.T) {
	for _, format := range []string{"set", "hierarchical"} {
		out, errOut, code := fwpol(t, "convert", "../../testdata/junos/policy.conf", "--to", "junos", "--format", format)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		for _, want := range []string{"equivalent: untrust>dmz -> untrust>dmz", "equivalent: global -> global", "6 filters, 6 equivalent, 0 not, 0 warnings"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", format, want, errOut)
			}
		}
		if strings.Contains(errOut, "not rendered") || !strings.Contains(out, "policy allow-web") || !strings.Contains(out, "application custom-db") {
			t.Errorf("%s: output:\n%s\nstderr:\n%s", format, out, errOut)
		}
	}
}
