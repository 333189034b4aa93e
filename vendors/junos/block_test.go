package junos

import (
	"os"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/blocktest"
)

func appendSet(text string, cmds []string) string {
	if len(cmds) == 0 {
		return text
	}
	return strings.TrimRight(text, "\n") + "\n" + strings.Join(cmds, "\n") + "\n"
}

func TestRenderBlockRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../../testdata/junos/policy.set")
	if err != nil {
		t.Fatal(err)
	}
	c := blocktest.Case{Vendor: Vendor, File: "policy.set", Text: string(data), Apply: appendSet,
		Filters: []string{"PROTECT", "OUT", "inet6:PROTECT", "ge-0/0/1.0-i"}}
	text := c.Step(t, c.Text, []string{"203.0.113.0/24", "203.0.113.128/25", "2001:db8:bad::/48", "100.64.0.1"}, []string{"203.0.113.0/24"})
	if !strings.Contains(text, "insert firewall family inet filter PROTECT term FWPOL-BLOCK before term count-all") {
		t.Fatalf("no insert:\n%s", text)
	}
	// grow, shrink, then drop the destination side
	text = c.Step(t, text, []string{"203.0.112.0/23", "2001:db8:bad::/48"}, []string{"198.18.0.0/15"})
	text = c.Step(t, text, []string{"203.0.112.0/24"}, nil)
	text = c.Step(t, text, nil, nil)
	cfg, err := Parse("x", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cfg.Filters {
		for _, r := range f.Rules {
			if strings.HasPrefix(r.Name, "FWPOL-BLOCK") {
				t.Fatalf("block term left in %s after unblocking everything", f.Name)
			}
		}
	}
	if cfg.Object("FWPOL-BLOCK") != nil {
		t.Fatal("prefix-list left after unblocking everything")
	}
}
