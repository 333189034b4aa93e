package asa

import (
	"github.com/fwpol/fwpol/internal/devsim"
	"os"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/blocktest"
	"github.com/fwpol/fwpol/policy"
)

// appendASA applies commands by appending them to the configuration, for
// fwpol's parser to apply ("line 1" inserts, "no access-list ...", "no
// network-object ..." in group mode, "no object-group ...").
func appendASA(text string, cmds []string) string {
	if len(cmds) == 0 {
		return text
	}
	return strings.TrimRight(text, "\n") + "\n" + strings.Join(cmds, "\n") + "\n"
}

func TestRenderBlockRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../../testdata/asa/policy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for _, apply := range []struct {
		name string
		fn   func(string, []string) string
	}{{"stored", devsim.StoreASA}, {"parsed", appendASA}} {
		t.Run(apply.name, func(t *testing.T) {
			c := blocktest.Case{Vendor: Vendor, File: "policy.cfg", Text: string(data), Apply: apply.fn, Filters: []string{"OUTSIDE_IN", "INSIDE_IN", "GLOBAL"}}
			text := c.Step(t, c.Text, []string{"203.0.113.0/24", "100.64.0.1", "2001:db8:bad::/48"}, []string{"198.18.0.0/15"})
			if !strings.Contains(text, "access-list OUTSIDE_IN ") {
				t.Fatalf("no block entry:\n%s", text)
			}
			text = c.Step(t, text, []string{"203.0.112.0/23", "2001:db8:bad::/48", "2001:db8:bad1::/48"}, nil)
			text = c.Step(t, text, []string{"203.0.112.0/24"}, []string{"2001:db8:dead::/48"})
			text = c.Step(t, text, nil, nil)
			cfg, err := Vendor.Parse("x", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := Vendor.Parse("x", data)
			for _, f := range cfg.Filters {
				if o := orig.Filter(f.Name); o == nil || len(o.Rules) != len(f.Rules) {
					t.Errorf("%s: block entries left after unblocking everything", f.Name)
				}
			}
			for _, o := range cfg.Objects {
				if strings.HasPrefix(o.Name, "FWPOL-BLOCK") {
					t.Errorf("%s left after unblocking everything", o.Name)
				}
			}
		})
	}
}

// TestParseRemovals: "no" lines remove exactly the entry they name.
func TestParseRemovals(t *testing.T) {
	text := `object-group network G
 network-object host 10.0.0.1
 network-object 10.1.0.0 255.255.0.0
 network-object 10.1.2.0 255.255.255.0
 network-object 2001:db8::/32
 group-object H
object-group network H
 network-object host 10.3.0.1
object-group network GONE
 network-object host 10.4.0.1
object-group network G
 no network-object host 10.0.0.1
 no network-object 10.1.0.0 255.255.0.0
 no network-object 2001:db8::/32
 no network-object host 10.9.9.9
 no group-object H
no object-group network GONE
access-list A extended deny ip object-group G any
access-list A extended permit tcp any any eq 22
access-list A line 1 extended deny ip host 10.7.7.7 any
access-list A extended permit ip any any
no access-list A extended permit tcp any any eq 22
no access-list A line 1 extended deny ip host 10.7.7.7 any
no access-list A extended deny ip host 10.8.8.8 any
`
	cfg, err := Vendor.Parse("x", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Object("G").Addrs.Strings(), " "); got != "10.1.2.0/24" {
		t.Errorf("G = %s", got)
	}
	if cfg.Object("GONE") != nil {
		t.Error("GONE still defined")
	}
	f := cfg.Filter("A")
	if len(f.Rules) != 2 || f.Rules[0].Action != policy.Deny || f.Rules[1].Action != policy.Permit || f.Rules[1].Match.Protocols != nil {
		for _, r := range f.Rules {
			t.Logf("%s %v %v", r.Name, r.Action, r.Match.Protocols)
		}
		t.Fatalf("want the group deny and the final permit, got %d rules", len(f.Rules))
	}
}
