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

// TestRenderBlockSRX protects every zone pair and the global policies of
// an SRX through the round trip (set commands applied by fwpol's parser,
// including insert and delete), growing, shrinking and removing the block.
func TestRenderBlockSRX(t *testing.T) {
	data, err := os.ReadFile("../../testdata/junos/policy.set")
	if err != nil {
		t.Fatal(err)
	}
	c := blocktest.Case{Vendor: Vendor, File: "policy.set", Text: string(data), Apply: appendSet,
		Filters: []string{"untrust>dmz", "global"}}
	if strings.Contains(c.Text, "FWPOL") {
		t.Fatal("fixture already blocks")
	}
	text := c.Step(t, c.Text, []string{"203.0.113.0/24", "100.64.0.1", "2001:db8:bad::/48"}, []string{"198.51.100.10", "2001:db8:dead::/48"})
	for _, want := range []string{
		"set security address-book global address FWPOL-BLOCK_2001-db8-bad--_48 2001:db8:bad::/48",
		"set security address-book global address-set FWPOL-BLOCK address FWPOL-BLOCK_203.0.113.0_24",
		"set security policies from-zone untrust to-zone dmz policy FWPOL-BLOCK match source-address FWPOL-BLOCK",
		"set security policies from-zone untrust to-zone dmz policy FWPOL-BLOCK-DST then deny",
		"insert security policies from-zone untrust to-zone dmz policy FWPOL-BLOCK before policy allow-web",
		"insert security policies global policy FWPOL-BLOCK-GLOBAL before policy ping-all",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(text, "prefix-list FWPOL") {
		t.Error("prefix-lists written though no firewall filter is protected")
	}
	cfg, err := Parse("x", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Filter("untrust>dmz").Rules[0].Name; got != "FWPOL-BLOCK" {
		t.Fatalf("first policy %s", got)
	}
	text = c.Step(t, text, []string{"203.0.112.0/23", "100.64.0.1"}, nil)
	text = c.Step(t, text, []string{"100.64.0.1"}, []string{"198.51.100.10"})
	text = c.Step(t, text, nil, nil)
	cfg, err = Parse("x", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := Parse("x", data)
	for _, f := range cfg.Filters {
		if o := orig.Filter(f.Name); o == nil || len(o.Rules) != len(f.Rules) {
			t.Errorf("%s: block policies left after unblocking everything", f.Name)
		}
	}
	for _, o := range cfg.Objects {
		if strings.HasPrefix(o.Name, "FWPOL-BLOCK") {
			t.Errorf("%s %s left after unblocking everything", o.Kind, o.Name)
		}
	}
}
