package cisco

import (
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

func ruleNames(f *policy.Filter) string {
	var out []string
	for _, r := range f.Rules {
		if r.Extras.Vendor["implicit"] == "" {
			out = append(out, r.Name)
		}
	}
	return strings.Join(out, " ")
}

// TestParseResequence: every dialect's resequence command renumbers the
// entries as they stand at that point, remarks keeping their place.
func TestParseResequence(t *testing.T) {
	for _, tc := range []struct {
		v          vendors.Vendor
		text, acl  string
		want, note string
	}{
		{IOS, "ip access-list extended A\n 5 permit ip any host 10.0.0.1\n remark two\n 7 deny ip any any\nip access-list resequence A 100 5\nip access-list extended A\n 1 deny ip host 10.9.9.9 any\n", "A", "1 100 110", "two"},
		{IOS, "ipv6 access-list V\n sequence 3 permit ipv6 any any\nipv6 access-list resequence V 1000 10\n", "V", "1000", ""},
		{EOS, "ip access-list A\n   30 permit ip any any\n   20 deny ip host 10.0.0.1 any\n   resequence\n   15 deny ip host 10.0.0.2 any\n", "A", "10 15 20", ""},
		{EOS, "ip access-list standard S\n   3 permit 10.0.0.0/8\n   resequence 40000 7\n", "S", "40000", ""},
		{NXOS, "ip access-list A\n  2 permit ip any any\n  1 deny ip 10.0.0.1/32 any\nresequence ip access-list A 500 100\n", "A", "500 600", ""},
	} {
		cfg, err := tc.v.Parse("x", []byte(tc.text))
		if err != nil {
			t.Fatal(err)
		}
		f := cfg.Filter(tc.acl)
		if got := ruleNames(f); got != tc.want {
			t.Errorf("%s %q: rules %q, want %q", tc.v.Name, tc.text, got, tc.want)
		}
		if tc.note != "" && f.Rules[len(f.Rules)-1].Extras.Comment != tc.note {
			t.Errorf("%s: remark moved: %q", tc.v.Name, f.Rules[len(f.Rules)-1].Extras.Comment)
		}
	}
	// resequencing an ACL that does not exist changes nothing and is reported
	cfg, err := IOS.Parse("x", []byte("ip access-list resequence NOPE 10 10\n"))
	if err != nil || len(cfg.Filters) != 0 || len(cfg.Warnings) != 1 {
		t.Fatalf("err %v filters %d warnings %v", err, len(cfg.Filters), cfg.Warnings)
	}
	if _, err := EOS.Parse("x", []byte("ip access-list A\n   resequence 0\n")); err == nil || !strings.Contains(err.Error(), "x:2:") {
		t.Fatalf("want an error at x:2, got %v", err)
	}
}

// TestParseGroupRemovals: "no ENTRY" inside object-group mode removes that
// entry only (an address another entry covers stays), "no SEQ" removes an
// NX-OS numbered entry, "no group-object" a nested group, and "no
// object-group" the whole group.
func TestParseGroupRemovals(t *testing.T) {
	ios := `object-group network G
 host 10.0.0.1
 10.1.0.0 255.255.0.0
 10.1.2.0 255.255.255.0
 range 10.2.0.1 10.2.0.9
 group-object H
object-group network H
 host 10.3.0.1
object-group network GONE
 host 10.4.0.1
object-group network G
 no host 10.0.0.1
 no 10.1.0.0 255.255.0.0
 no host 10.9.9.9
 no group-object H
no object-group network GONE
`
	cfg, err := IOS.Parse("x", []byte(ios))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Object("G")
	if got := strings.Join(g.Addrs.Strings(), " "); got != "10.1.2.0/24 10.2.0.1/32 10.2.0.2/31 10.2.0.4/30 10.2.0.8/31" {
		t.Errorf("G = %s", got)
	}
	if len(g.Members) != 0 {
		t.Errorf("G members %v", g.Members)
	}
	if cfg.Object("GONE") != nil {
		t.Error("GONE still defined")
	}
	nxos := "object-group ip address S\n  10 10.0.0.0/24\n  20 10.0.1.0 0.0.0.255\n  30 host 10.0.2.1\n  no 20\n  no host 10.0.2.1\n"
	cfg, err = NXOS.Parse("x", []byte(nxos))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Object("S").Addrs.Strings(), " "); got != "10.0.0.0/24" {
		t.Errorf("S = %s", got)
	}
}
