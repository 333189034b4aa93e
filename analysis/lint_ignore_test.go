package analysis

import (
	"strings"
	"testing"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/policy"
)

func TestParseIgnore(t *testing.T) {
	cases := []struct {
		comment string
		ok      bool
		covers  []string
		not     []string
	}{
		{"fwpol:ignore", true, []string{"shadowed", "redundant", "shadowed-conflict"}, nil},
		{"legacy: fwpol:ignore shadowed, redundant -- kept for the audit", true, []string{"shadowed", "redundant"}, []string{"shadowed-conflict", "broad-source"}},
		{"fwpol:ignore=broad-source partner range", true, []string{"broad-source"}, []string{"shadowed"}},
		{"fwpol:ignore because", true, []string{"shadowed", "empty"}, nil}, // no check named: all
		{"fwpol:ignored by nobody", false, nil, nil},
		{"nothing here", false, nil, nil},
	}
	for _, c := range cases {
		set, ok := parseIgnore(c.comment)
		if ok != c.ok {
			t.Errorf("%q: directive %v", c.comment, ok)
			continue
		}
		for _, ch := range c.covers {
			if !set.covers(ch) {
				t.Errorf("%q does not cover %s", c.comment, ch)
			}
		}
		for _, ch := range c.not {
			if set.covers(ch) {
				t.Errorf("%q covers %s", c.comment, ch)
			}
		}
	}
}

// Findings silenced in rule comments (IOS remarks, iptables comments) are
// marked, not dropped; others on the same filter stay.
func TestLintSuppressedInSource(t *testing.T) {
	ios := `hostname r1
ip access-list extended EDGE
 10 permit tcp 10.0.0.0 0.0.0.255 any eq 443
 remark fwpol:ignore shadowed -- kept for the audit trail
 20 permit tcp host 10.0.0.5 any eq 443
 30 permit tcp host 10.0.0.6 any eq 443
 40 deny tcp 10.0.0.0 0.0.0.255 any eq 22
 remark fwpol:ignore shadowed
 50 permit tcp host 10.0.0.7 any eq 22
!
interface Gi0/0
 ip access-group EDGE in
`
	ipt := "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
		"-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 443 -j ACCEPT\n" +
		"-A INPUT -s 10.1.0.0/16 -p tcp -m tcp --dport 443 -m comment --comment \"fwpol:ignore\" -j ACCEPT\nCOMMIT\n"
	var cfgs []*policy.Config
	for name, text := range map[string]string{"r1.cfg": ios, "h1.rules": ipt} {
		c, _, err := estate.ParseData(name, []byte(text), nil, true)
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, c)
	}
	got := map[string]bool{}
	for _, f := range Lint(cfgs, LintOptions{}) {
		if strings.HasPrefix(f.Check, "shadowed") {
			got[f.Filter+"/"+f.Rule+"/"+f.Check] = f.Suppressed
		}
	}
	want := map[string]bool{
		"EDGE/20/shadowed":          true,  // silenced by its remark
		"EDGE/30/shadowed":          false, // the remark was for 20 only
		"EDGE/50/shadowed-conflict": false, // an error is silenced only by name
		"INPUT/2/shadowed":          true,  // iptables -m comment, every check
	}
	for k, v := range want {
		if s, ok := got[k]; !ok || s != v {
			t.Errorf("%s: found %v, suppressed %v; want suppressed %v (all: %v)", k, ok, s, v, got)
		}
	}
}

// LintOptions.Checks runs only the named checks, with the same findings a
// full run has for them (the packet-space analysis is skipped when none of
// its checks is named).
func TestLintOnlySomeChecks(t *testing.T) {
	corpus := "../../shared/corpus/batfish"
	est, err := estate.Load([]string{corpus}, estate.Options{})
	if err != nil {
		t.Skip("corpus absent")
	}
	full := Lint(est.Configs, LintOptions{})
	for _, only := range [][]string{{"unused-object", "undefined"}, {"shadowed", "permit-any-any"}} {
		set := map[string]bool{}
		for _, c := range only {
			set[c] = true
		}
		got := Lint(est.Configs, LintOptions{Checks: set})
		var want []LintFinding
		for _, f := range full {
			if set[f.Check] {
				want = append(want, f)
			}
		}
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%v: %d findings, full run has %d", only, len(got), len(want))
		}
		for i := range got {
			if got[i].Check != want[i].Check || got[i].Line != want[i].Line || got[i].Message != want[i].Message {
				t.Fatalf("%v: finding %d %+v, full run %+v", only, i, got[i], want[i])
			}
		}
	}
}

// A source of every IPv4 (or IPv6) address is "any": ASA any4 and an nft
// rule whose ip selector implies IPv4 are not broad-source findings, and with
// any destination they are permit-any-any.
func TestWholeFamilySourceIsAny(t *testing.T) {
	cfgs := map[string]string{
		"fw.cfg": "ASA Version 9.8(1)\naccess-list out extended permit udp any4 host 192.0.2.1 eq 69\naccess-list out extended permit tcp any4 any4 eq 22\naccess-list out extended permit tcp 0.0.0.0 128.0.0.0 host 192.0.2.1 eq 80\naccess-group out in interface outside\n",
		"h.nft":  "table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t\tip daddr 192.0.2.1 tcp dport 443 accept\n\t}\n}\n",
	}
	got := map[string]string{}
	for name, text := range cfgs {
		c, _, err := estate.ParseData(name, []byte(text), nil, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Lint([]*policy.Config{c}, LintOptions{}) {
			if f.Check == "broad-source" || f.Check == "permit-any-any" {
				got[name+":"+f.Rule] = f.Check
			}
		}
	}
	want := map[string]string{"fw.cfg:2": "permit-any-any", "fw.cfg:3": "broad-source"}
	if len(got) != len(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all %v)", k, got[k], v, got)
		}
	}
}

// IOS adds neighbor-discovery permits to IPv6 ACLs; an explicit deny-all
// before them is a warning about what breaks, not an error about a rule the
// team wrote.
func TestImplicitNDPermitsShadowedIsAWarning(t *testing.T) {
	c, _, err := estate.ParseData("r1.cfg", []byte("hostname r1\nipv6 access-list V6\n deny ipv6 any any\n!\ninterface Gi0/0\n ipv6 traffic-filter V6 in\n"), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range Lint([]*policy.Config{c}, LintOptions{}) {
		if strings.HasPrefix(f.Rule, "implicit-nd") {
			n++
			if f.Check != "shadowed" || f.Severity != SevWarning || !strings.Contains(f.Message, "neighbor discovery fails") {
				t.Errorf("%+v", f)
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d findings about the implicit permits, want 2", n)
	}
}
