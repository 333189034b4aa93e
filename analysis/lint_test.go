package analysis

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/policy"
)

func findingKey(f policy.Finding) string {
	var rel []string
	for _, r := range f.Related {
		rel = append(rel, r.String())
	}
	return fmt.Sprintf("%s %s conflict=%v related=[%s]+%d", f.Kind, f.Rule, f.Conflict, strings.Join(rel, "; "), f.RelatedMore)
}

func keys(fs []policy.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, findingKey(f))
	}
	sort.Strings(out)
	return out
}

// The component split must find exactly what the whole-filter lint finds.
func TestLintSmallMatchesLintFilter(t *testing.T) {
	var cfgs []*policy.Config
	for seed := int64(1); seed <= 40; seed++ {
		for _, v := range []string{"sparse", "p64", "p16", "v6"} {
			cfgs = append(cfgs, policy.GenerateACL(int(5+seed*3%60), seed, v))
		}
	}
	for _, dir := range []string{"../testdata", filepath.Join(pybatfish, "current")} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		cfgs = append(cfgs, loadSource(t, dir, SourceOptions{})...)
	}
	checked := 0
	for _, c := range cfgs {
		for _, f := range c.Filters {
			if len(f.Rules) > smallFilterRules || !f.Entry {
				continue
			}
			l := &configLinter{}
			got := keys(l.lintSmall(c, f))
			want := keys(policy.LintFilter(c, f))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s %s:\n got %q\nwant %q", c.File, f.Name, got, want)
			}
			checked++
		}
	}
	if checked < 150 {
		t.Fatalf("only %d filters checked", checked)
	}
}

func TestLintPybatfish(t *testing.T) {
	if _, err := os.Stat(pybatfish); err != nil {
		t.Skip("corpus absent")
	}
	cfgs := loadSource(t, filepath.Join(pybatfish, "current"), SourceOptions{})
	fs := Lint(cfgs, LintOptions{})
	var rtr *policy.Config
	for _, c := range cfgs {
		if c.Device == "rtr-with-acl" {
			rtr = c
		}
	}
	byRule := map[string]LintFinding{}
	for _, f := range fs {
		if f.Device == "rtr-with-acl" && f.Rule != "" {
			byRule[f.Check+" "+f.Rule] = f
		}
	}
	// 670 permit ip host 166.146.58.184 any: 540 deny ip 166.144.0.0/12 any
	// (and 30, deny icmp redirect) decide all of it first
	sh, ok := byRule["shadowed-conflict 670"]
	if !ok || sh.Severity != SevError || sh.Line != 50 {
		t.Fatalf("670 not a conflicting shadow: %+v", sh)
	}
	var rel []string
	for _, r := range sh.Related {
		rel = append(rel, r.Rule)
	}
	if strings.Join(rel, ",") != "30,540" {
		t.Errorf("670 shadowed by %v", rel)
	}
	acl := rtr.Filter("acl_in")
	d := rtr.Decide(acl, &policy.Flow{Proto: policy.ProtoTCP, Src: netip.MustParseAddr("166.146.58.184"), Dst: netip.MustParseAddr("192.0.2.1"), SrcPort: 40000, DstPort: 443})
	if d.Rule == nil || d.Rule.Name != "540" || d.Action != policy.Deny {
		t.Errorf("Decide: %+v", d)
	}
	// the final deny before the implicit deny is redundant, at note level
	if f, ok := byRule["redundant 2020"]; !ok || f.Severity != SevNote {
		t.Errorf("2020: %+v", f)
	}
	// icmp any any echo-reply is not a broad permit; nothing else is either
	for _, f := range fs {
		if f.Check == "permit-any-any" || f.Check == "broad-source" {
			t.Errorf("broad: %+v", f)
		}
	}
	var undef bool
	for _, f := range fs {
		if f.Check == "undefined" && f.Object == "acl-f5-syslog-tcp-syslog" && f.Severity == SevError && f.Line == 19 {
			undef = true
		}
	}
	if !undef {
		t.Errorf("undefined acl-f5-syslog-tcp-syslog not reported")
	}
}

func TestLintChecks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "fw.cfg"), `hostname fw
object-group network USED
 10.1.0.0 255.255.0.0
object-group network INNER
 10.2.0.0 255.255.0.0
object-group network OUTER
 group-object INNER
object-group network UNUSED
 10.3.0.0 255.255.0.0
ip access-list extended IN
 10 permit tcp object-group USED any eq 443
 20 permit tcp object-group OUTER any eq 80
 30 permit tcp any any eq 22
 40 permit ip 4.0.0.0 0.255.255.255 any
 50 permit ip 12.0.0.0 3.255.255.255 host 192.0.2.9
 60 permit icmp any any echo
 70 deny ip any any
ip access-list extended SPARE
 10 permit ip any any
!
interface Gi0/0
 ip access-group IN in
`)
	cfgs := loadSource(t, dir, SourceOptions{})
	fs := Lint(cfgs, LintOptions{})
	got := map[string]LintFinding{}
	for _, f := range fs {
		name := f.Rule
		if name == "" {
			name = f.Object + f.Filter
		}
		got[f.Check+" "+f.Filter+" "+name] = f
	}
	want := map[string]Severity{
		"permit-any-any IN 30":      SevWarning,
		"broad-source IN 50":        SevWarning, // 12.0.0.0/6 is wider than /8
		"redundant IN 70":           SevNote,
		"unused-object  UNUSED":     SevNote,
		"unused-filter SPARE SPARE": SevNote,
		"permit-any-any SPARE 10":   SevWarning,
		"redundant IN 10":           0, // absent
		"broad-source IN 40":        0, // /8 is not wider than /8
		"permit-any-any IN 60":      0, // ICMP only
		"unused-object  INNER":      0, // member of a used group
		"unused-object  OUTER":      0,
		"unused-filter IN IN":       0,
	}
	for k, sev := range want {
		f, ok := got[k]
		if sev == 0 {
			if ok {
				t.Errorf("unexpected %s: %+v", k, f)
			}
			continue
		}
		if !ok || f.Severity != sev {
			t.Errorf("%s: got %+v (all: %v)", k, f, keysOf(got))
		}
	}
	fs = Lint(cfgs, LintOptions{MaxSrcPrefix: 4})
	for _, f := range fs {
		if f.Check == "broad-source" {
			t.Errorf("--max-src-prefix 4: %+v", f)
		}
	}
}

func keysOf(m map[string]LintFinding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSARIFAndGitHub(t *testing.T) {
	fs := []LintFinding{{Check: "shadowed-conflict", Severity: SevError, File: "./a,b.cfg", Line: 3, Col: 2, Device: "r", Filter: "F", Rule: "10", Message: "50% of it\nis covered"}}
	log := SARIF(fs)
	if log.Version != "2.1.0" || len(log.Runs[0].Results) != 1 || log.Runs[0].Tool.Driver.Rules[log.Runs[0].Results[0].RuleIndex].ID != "shadowed-conflict" {
		t.Fatalf("sarif %+v", log)
	}
	r := log.Runs[0].Results[0]
	if r.Level != "error" || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "a,b.cfg" || r.Locations[0].PhysicalLocation.Region.StartLine != 3 {
		t.Errorf("result %+v", r)
	}
	var b strings.Builder
	WriteGitHub(&b, fs)
	want := "::error file=a%2Cb.cfg,line=3,col=2,title=fwpol shadowed-conflict::r F rule 10: 50%25 of it%0Ais covered\n"
	if b.String() != want {
		t.Errorf("github:\n got %q\nwant %q", b.String(), want)
	}
}

// nftables named sets and verdict maps keyed by ports, protocols or
// interfaces count as used (they were reported unused), and a lookup in
// an empty verdict map matches nothing (it crashed the parser).
func TestLintNftNamedNonAddressSetsAreUsed(t *testing.T) {
	text := `table inet f {
	set webports { type inet_service; elements = { 80, 443 } }
	map pm { type inet_service : verdict; elements = { 22 : accept } }
	map empty { type ipv4_addr : verdict; }
	chain input {
		type filter hook input priority 0; policy drop;
		tcp dport @webports accept
		tcp dport vmap @pm
		ip saddr vmap @empty
	}
}
`
	c, _, err := estate.ParseData("f.nft", []byte(text), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Lint([]*policy.Config{c}, LintOptions{}) {
		if f.Check == "unused-object" {
			t.Errorf("%s %s: %s", f.Check, f.Object, f.Message)
		}
	}
	fl := &policy.Flow{Proto: policy.ProtoTCP, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), SrcPort: 40000, DstPort: 22}
	if d := c.Decide(c.Filter("input"), fl); d.Action != policy.Permit || d.Rule == nil || d.Rule.Pos.Line != 8 {
		t.Fatalf("ssh decided by %+v", d)
	}
}
