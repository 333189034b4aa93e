package junos

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/render"
)

// srxHard exercises what the SRX renderer must reconstruct: zone books
// whose names clash with each other and the global book, custom
// applications known only through the policies, global policies limited
// to zones and interleaved with unrestricted ones, undefined references,
// an address of several values, default permit-all.
const srxHard = `
set security zones security-zone trust interfaces ge-0/0/0.0
set security zones security-zone trust address-book address srv 10.0.0.1/32
set security zones security-zone dmz interfaces ge-0/0/2.0
set security zones security-zone dmz address-book address srv 10.0.0.2/32
set security zones security-zone untrust interfaces ge-0/0/1.0
set security address-book global address srv 10.0.0.3/32
set security address-book global address lan 192.168.0.0/16
set security address-book global address two 172.16.0.0/24
set security address-book global address two 172.16.9.0/24
set security address-book global address-set nets address srv
set security address-book global address-set nets address lan
set security address-book global address-set nets address two
set applications application custom-db protocol tcp
set applications application custom-db destination-port 5432
set applications application multi term t1 protocol udp destination-port 5000-5010
set applications application multi term t2 protocol tcp destination-port 6000
set applications application multi2 term t1 protocol udp destination-port 5000-5010
set applications application multi2 term t2 protocol tcp destination-port 6000
set applications application-set db-set application custom-db
set applications application-set db-set application junos-ssh
set applications application-set web-set application junos-http
set applications application-set web-set application junos-https
set security policies from-zone trust to-zone untrust policy p1 match source-address srv
set security policies from-zone trust to-zone untrust policy p1 match destination-address any
set security policies from-zone trust to-zone untrust policy p1 match application custom-db
set security policies from-zone trust to-zone untrust policy p1 then permit
set security policies from-zone trust to-zone untrust policy p2 match source-address nets
set security policies from-zone trust to-zone untrust policy p2 match destination-address srv
set security policies from-zone trust to-zone untrust policy p2 match application [ multi2 junos-ssh ]
set security policies from-zone trust to-zone untrust policy p2 then deny
set security policies from-zone trust to-zone untrust policy p2 then log session-close
set security policies from-zone trust to-zone untrust policy p3 match source-address any-ipv4
set security policies from-zone trust to-zone untrust policy p3 match destination-address any
set security policies from-zone trust to-zone untrust policy p3 match application web-set
set security policies from-zone trust to-zone untrust policy p3 then permit
set security policies from-zone trust to-zone untrust policy p3 then count
set security policies from-zone trust to-zone untrust policy p4 match source-address lan
set security policies from-zone trust to-zone untrust policy p4 match source-address-excluded
set security policies from-zone trust to-zone untrust policy p4 match destination-address any
set security policies from-zone trust to-zone untrust policy p4 match application [ any junos-http ]
set security policies from-zone trust to-zone untrust policy p4 then reject
set security policies from-zone trust to-zone untrust policy p5 match source-address any
set security policies from-zone trust to-zone untrust policy p5 match destination-address any
set security policies from-zone trust to-zone untrust policy p5 match application any
set security policies from-zone trust to-zone untrust policy p5 then permit
deactivate security policies from-zone trust to-zone untrust policy p5
set security policies from-zone trust to-zone untrust policy p6 match source-address ghost
set security policies from-zone trust to-zone untrust policy p6 match destination-address any
set security policies from-zone trust to-zone untrust policy p6 match application nosuch-app
set security policies from-zone trust to-zone untrust policy p6 then permit
set security policies from-zone dmz to-zone untrust policy q1 match source-address srv
set security policies from-zone dmz to-zone untrust policy q1 match destination-address srv
set security policies from-zone dmz to-zone untrust policy q1 match application db-set
set security policies from-zone dmz to-zone untrust policy q1 then permit
set security policies global policy g1 match source-address srv
set security policies global policy g1 match destination-address any
set security policies global policy g1 match application any
set security policies global policy g1 then deny
set security policies global policy g2 match source-address any
set security policies global policy g2 match destination-address any
set security policies global policy g2 match application junos-icmp-all
set security policies global policy g2 match from-zone trust
set security policies global policy g2 match to-zone untrust
set security policies global policy g2 then permit
set security policies global policy g3 match source-address any
set security policies global policy g3 match destination-address lan
set security policies global policy g3 match application multi
set security policies global policy g3 then reject
set security policies default-policy permit-all
`

func srxFilters(c *policy.Config) []*policy.Filter {
	var fs []*policy.Filter
	for _, f := range c.Filters {
		if f.Kind == "srx-policy" {
			fs = append(fs, f)
		}
	}
	return fs
}

func renderSRX(t *testing.T, c *policy.Config, opt vendors.RenderOptions) (string, []string, *policy.Config) {
	t.Helper()
	var warns []string
	opt.Warn = func(m string) { warns = append(warns, m) }
	out, err := Render(c, opt)
	if err != nil {
		t.Fatal(err)
	}
	re, err := Parse("out", out)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	return string(out), warns, re
}

func TestRenderSRXHard(t *testing.T) {
	c, err := Parse("hard.set", []byte(srxHard))
	if err != nil {
		t.Fatal(err)
	}
	fs := srxFilters(c)
	if len(fs) != 3 {
		t.Fatalf("filters %d", len(fs))
	}
	// "term t1 protocol udp destination-port 5000-5010" sets both
	g := c.Filter("global")
	for dport, want := range map[uint16]policy.Action{5005: policy.Reject, 7000: policy.Permit} {
		if d := c.Decide(g, fl(policy.ProtoUDP, "10.5.5.5", "192.168.1.1", 1000, dport)); d.Action != want {
			t.Errorf("udp %d to lan: %v, want %v", dport, d.Action, want)
		}
	}
	for _, format := range []string{"hierarchical", "set"} {
		out, warns, re := renderSRX(t, c, vendors.RenderOptions{Format: format})
		for _, ch := range render.Verify(c, fs, re, policy.DiffOptions{RegionLimit: 3}) {
			if !ch.Equivalent {
				t.Errorf("%s: %s\n%s", format, ch, out)
			}
		}
		if format != "set" {
			continue
		}
		for _, want := range []string{
			// zone books clash: each keeps its addresses under its own name
			"set security address-book global address srv-trust 10.0.0.1/32",
			"set security address-book global address srv-dmz 10.0.0.2/32",
			"set security address-book global address srv 10.0.0.3/32",
			"set security policies from-zone trust to-zone untrust policy p1 match source-address srv-trust",
			"set security policies from-zone dmz to-zone untrust policy q1 match destination-address srv\n",
			// an address of two values becomes a set of two
			"set security address-book global address-set two address two-1",
			"set security address-book global address-set nets address-set two",
			// custom-db is revealed by p1, so q1 keeps db-set
			"set applications application custom-db protocol tcp",
			"set applications application-set db-set application custom-db",
			"policy q1 match application db-set",
			"policy p3 match application web-set",
			"policy p3 match source-address any-ipv4",
			"policy p4 match source-address-excluded",
			"policy p4 match application any",
			"policy p4 then reject",
			"deactivate security policies from-zone trust to-zone untrust policy p5",
			// multi2 is never used alone: its shapes get their own
			// applications; g3 reveals multi
			"set applications application fwpol-udp-5000-5010 protocol udp",
			"set applications application multi term t1 protocol udp",
			"global policy g3 match application multi\n",
			"policy p2 match application junos-ssh",
			"policy p2 then log session-init",
			// undefined names stay undefined
			"policy p6 match source-address ghost",
			"policy p6 match application nosuch-app",
			"set security policies global policy g2 match from-zone trust",
			"set security policies global policy g2 match to-zone untrust",
			"set security policies default-policy permit-all",
			"set security zones security-zone dmz interfaces ge-0/0/2.0",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		// global policies are written once, in order
		g1, g2, g3 := strings.Index(out, "global policy g1 "), strings.Index(out, "global policy g2 "), strings.Index(out, "global policy g3 ")
		if g1 < 0 || !(g1 < g2 && g2 < g3) || strings.Contains(out, "to-zone untrust policy g") {
			t.Errorf("global policies misplaced:\n%s", out)
		}
		ws := strings.Join(warns, "\n")
		for _, w := range []string{"srv written as srv-trust", "[multi2 junos-ssh] written as", "nosuch-app is not defined"} {
			if !strings.Contains(ws, w) {
				t.Errorf("no warning %q in:\n%s", w, ws)
			}
		}
		// the reparsed pair filter has the same policies in the same order
		var a, b []string
		for _, r := range c.Filter("trust>untrust").Rules {
			a = append(a, r.Name)
		}
		for _, r := range re.Filter("trust>untrust").Rules {
			b = append(b, r.Name)
		}
		if strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("rule order %v, rendered %v", a, b)
		}
	}
}

// One zone pair alone: its global policies come along (those limited to
// other pairs do not matter to it), and nothing else is required.
func TestRenderSRXOnePair(t *testing.T) {
	c, err := Parse("hard.set", []byte(srxHard))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"trust>untrust", "dmz>untrust", "global"} {
		out, _, re := renderSRX(t, c, vendors.RenderOptions{Format: "set", Filters: []string{name}})
		f := c.Filter(name)
		for _, ch := range render.Verify(c, []*policy.Filter{f}, re, policy.DiffOptions{RegionLimit: 3}) {
			if !ch.Equivalent {
				t.Errorf("%s: %s\n%s", name, ch, out)
			}
		}
		if name == "dmz>untrust" && (strings.Contains(out, "policy g2") || strings.Contains(out, "policy p1")) {
			t.Errorf("%s: other pairs' policies written:\n%s", name, out)
		}
	}
}

// Reordering the global policies would change decisions: the renderer must
// keep source order even when the unrestricted ones reach it first.
func TestRenderSRXGlobalOrder(t *testing.T) {
	src := `
set security zones security-zone a interfaces ge-0/0/0.0
set security zones security-zone b interfaces ge-0/0/1.0
set security policies from-zone a to-zone b policy own match source-address any
set security policies from-zone a to-zone b policy own match destination-address any
set security policies from-zone a to-zone b policy own match application junos-ssh
set security policies from-zone a to-zone b policy own then permit
set security policies global policy deny-web match source-address any
set security policies global policy deny-web match destination-address any
set security policies global policy deny-web match application junos-http
set security policies global policy deny-web match from-zone a
set security policies global policy deny-web then deny
set security policies global policy allow-tcp match source-address any
set security policies global policy allow-tcp match destination-address any
set security policies global policy allow-tcp match application junos-tcp-any
set security policies global policy allow-tcp then permit
`
	c, err := Parse("g.set", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// only the global filter, then the pair: the restricted policy comes
	// from the pair, after the unrestricted one was seen
	fs := []string{"global", "a>b"}
	out, _, re := renderSRX(t, c, vendors.RenderOptions{Format: "set", Filters: fs})
	for _, ch := range render.Verify(c, srxFilters(c), re, policy.DiffOptions{RegionLimit: 3}) {
		if !ch.Equivalent {
			t.Errorf("%s\n%s", ch, out)
		}
	}
	if i, j := strings.Index(out, "policy deny-web "), strings.Index(out, "policy allow-tcp "); i < 0 || j < i {
		t.Errorf("global policies out of order:\n%s", out)
	}
	// the flow that tells the orders apart
	d := re.Decide(re.Filter("a>b"), fl(policy.ProtoTCP, "10.0.0.1", "10.0.0.2", 1000, 80))
	if d.Action != policy.Deny {
		t.Errorf("web from a: %v, want deny", d.Action)
	}
}

// Another vendor's config has no SRX policies to write; if a filter of that
// kind shows up it is reported, not converted.
func TestRenderSRXOtherVendor(t *testing.T) {
	c, err := Parse("hard.set", []byte(srxHard))
	if err != nil {
		t.Fatal(err)
	}
	c.Vendor = "asa"
	out, warns, _ := renderSRX(t, c, vendors.RenderOptions{Format: "set"})
	if strings.Contains(out, "security policies") || !strings.Contains(strings.Join(warns, "\n"), "Junos configs only") {
		t.Errorf("warnings %v output:\n%s", warns, out)
	}
}

// BenchmarkRenderSRX renders 4,480 zone-pair policies (56 pairs), 50
// global ones, 4,000 addresses, 200 address-sets, 100 custom applications.
func BenchmarkRenderSRX(b *testing.B) {
	var sb strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&sb, format+"\n", args...) }
	for z := 0; z < 8; z++ {
		p("set security zones security-zone z%d interfaces ge-0/0/%d.0", z, z)
	}
	for a := 0; a < 4000; a++ {
		p("set security address-book global address h%d 10.%d.%d.0/24", a, a/250, a%250)
	}
	for s := 0; s < 200; s++ {
		for m := 0; m < 10; m++ {
			p("set security address-book global address-set set%d address h%d", s, (s*37+m*101)%4000)
		}
	}
	for a := 0; a < 100; a++ {
		p("set applications application app%d protocol tcp destination-port %d", a, 8000+a)
	}
	apps := []string{"junos-http", "junos-https", "junos-ssh", "junos-dns-udp", "junos-ping", "any"}
	n := 0
	for f := 0; f < 8; f++ {
		for t := 0; t < 8; t++ {
			if f == t {
				continue
			}
			for i := 0; i < 80; i++ {
				n++
				base := fmt.Sprintf("set security policies from-zone z%d to-zone z%d policy p%d", f, t, n)
				app := apps[n%len(apps)]
				if n%3 == 0 {
					app = fmt.Sprintf("app%d", n%100)
				}
				p("%s match source-address set%d", base, n%200)
				p("%s match destination-address h%d", base, (n*7)%4000)
				p("%s match application %s", base, app)
				p("%s then %s", base, []string{"permit", "deny", "reject"}[n%3])
			}
		}
	}
	for g := 0; g < 50; g++ {
		base := fmt.Sprintf("set security policies global policy g%d", g)
		p("%s match source-address set%d", base, g)
		p("%s match destination-address any", base)
		p("%s match application junos-ssh", base)
		p("%s then deny", base)
	}
	c, err := Parse("big.set", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Render(c, vendors.RenderOptions{Format: "set", Warn: func(string) {}}); err != nil {
			b.Fatal(err)
		}
	}
}
