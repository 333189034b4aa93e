package asa

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/parsebench"
	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

const fixtureDir = "../../testdata/asa"

func parseFile(t testing.TB, name string) *policy.Config {
	t.Helper()
	path := filepath.Join(fixtureDir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(path, data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return c
}

func parseString(t *testing.T, src string) *policy.Config {
	t.Helper()
	c, err := Parse("test.cfg", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

// fl builds a flow; ports are src:dst, icmp type in dport for ICMP.
func fl(proto uint8, src, dst string, sport, dport uint16) *policy.Flow {
	f := &policy.Flow{Proto: proto, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
		SrcPort: sport, DstPort: dport}
	if policy.IsICMP(proto) {
		f.SrcPort, f.DstPort = 0, 0
		f.ICMPType = uint8(dport)
	}
	return f
}

const (
	tcp   = policy.ProtoTCP
	udp   = policy.ProtoUDP
	icmp  = policy.ProtoICMP
	icmp6 = policy.ProtoICMPv6
	gre   = policy.ProtoGRE
	esp   = policy.ProtoESP
)

type decideCase struct {
	what   string
	flow   *policy.Flow
	action policy.Action
	rule   string // "" = the implicit deny decided
}

func checkDecide(t *testing.T, c *policy.Config, filter string, cases []decideCase) {
	t.Helper()
	f := c.Filter(filter)
	if f == nil {
		t.Fatalf("no filter %s", filter)
	}
	for _, tc := range cases {
		d := c.Decide(f, tc.flow)
		got := ""
		if d.Rule != nil {
			got = d.Rule.Name
		}
		if d.Action != tc.action || got != tc.rule || d.Err != "" {
			t.Errorf("%s: %s %v: got %v by rule %q (err %q), want %v by rule %q",
				filter, tc.what, *tc.flow, d.Action, got, d.Err, tc.action, tc.rule)
		}
		if tc.rule == "" && !d.Default {
			t.Errorf("%s: %s: expected the implicit deny", filter, tc.what)
		}
	}
}

func TestOutsideInSemantics(t *testing.T) {
	c := parseFile(t, "policy.cfg")
	P, D := policy.Permit, policy.Deny
	any := "198.51.100.7"
	checkDecide(t, c, "OUTSIDE_IN", []decideCase{
		// first match: rule 2 (group) shadows the deny at rule 3
		{"web farm https", fl(tcp, any, "192.0.2.10", 40000, 443), P, "2"},
		{"web farm 8080 (port-object range)", fl(tcp, any, "192.0.2.10", 40000, 8080), P, "2"},
		{"web farm 8081", fl(tcp, any, "192.0.2.10", 40000, 8081), D, "31"},
		{"netmask /24", fl(tcp, any, "192.0.2.20", 40000, 443), P, "4"},
		{"netmask outside", fl(tcp, any, "192.0.3.20", 40000, 443), D, "31"},
		// port names per protocol
		{"udp domain", fl(udp, any, "192.0.2.53", 40000, 53), P, "5"},
		{"tcp domain", fl(tcp, any, "192.0.2.53", 40000, 53), P, "6"},
		{"udp snmp", fl(udp, any, "192.0.2.61", 40000, 161), P, "7"},
		{"tcp 161 is not snmp", fl(tcp, any, "192.0.2.61", 40000, 161), D, "31"},
		// neq, lt, gt, range
		{"neq telnet: 23", fl(tcp, any, "192.0.2.62", 40000, 23), D, "31"},
		{"neq telnet: 24", fl(tcp, any, "192.0.2.62", 40000, 24), P, "8"},
		{"neq only for tcp", fl(udp, any, "192.0.2.62", 40000, 24), D, "31"},
		{"neq never matches gre", fl(gre, any, "192.0.2.62", 0, 0), D, "31"},
		{"lt 1024: 1023", fl(tcp, any, "192.0.2.63", 40000, 1023), P, "9"},
		{"lt 1024: 1024", fl(tcp, any, "192.0.2.63", 40000, 1024), D, "31"},
		{"gt 1023: 1024", fl(tcp, any, "192.0.2.64", 40000, 1024), P, "10"},
		{"gt 1023: 1023", fl(tcp, any, "192.0.2.64", 40000, 1023), D, "31"},
		{"range ftp-data ftp: 20", fl(tcp, any, "192.0.2.65", 40000, 20), P, "11"},
		{"range ftp-data ftp: 22", fl(tcp, any, "192.0.2.65", 40000, 22), D, "31"},
		// service object-group in protocol position: union of alternatives
		{"mixed tcp ssh", fl(tcp, any, "10.0.5.5", 40000, 22), P, "12"},
		{"mixed udp snmp", fl(udp, any, "10.0.5.5", 40000, 161), P, "12"},
		{"mixed udp ssh is not an alternative", fl(udp, any, "10.0.5.5", 40000, 22), D, "31"},
		{"mixed tcp snmp is not an alternative", fl(tcp, any, "10.0.5.5", 40000, 161), D, "31"},
		{"mixed icmp echo-reply", fl(icmp, any, "10.0.5.5", 0, 0), P, "12"},
		{"mixed icmp echo not listed", fl(icmp, any, "10.0.5.5", 0, 8), D, "31"},
		{"mixed esp", fl(esp, any, "10.0.5.5", 0, 0), P, "12"},
		{"mixed nested object svc-dns src port ok", fl(udp, any, "10.0.5.5", 2000, 53), P, "12"},
		{"mixed nested object svc-dns src port low", fl(udp, any, "10.0.5.5", 1000, 53), D, "31"},
		// nested protocol group, nested network group, any4
		{"tunnels gre to nested subnet", fl(gre, any, "10.0.2.7", 0, 0), P, "13"},
		{"tunnels ah (outer group)", fl(policy.ProtoAH, any, "10.0.1.1", 0, 0), P, "13"},
		{"tunnels gre to nested object", fl(gre, any, "10.0.5.5", 0, 0), P, "13"},
		{"tunnels v6 src is not any4", fl(gre, "2001:db8::1", "2001:db8:9::1", 0, 0), D, "31"},
		// nested icmp-type group
		{"diag echo", fl(icmp, any, "192.0.2.69", 0, 8), P, "14"},
		{"diag unreachable", fl(icmp, any, "192.0.2.69", 0, 3), P, "14"},
		{"diag redirect", fl(icmp, any, "192.0.2.69", 0, 5), D, "31"},
		{"icmp echo name", fl(icmp, any, "192.0.2.70", 0, 8), P, "15"},
		{"icmp type is not a tcp port", fl(tcp, any, "192.0.2.70", 40000, 8), D, "31"},
		// IPv6
		{"icmp6 echo", fl(icmp6, "2001:db8::1", "2001:db8::2", 0, 128), P, "16"},
		{"icmp6 echo-reply", fl(icmp6, "2001:db8::1", "2001:db8::2", 0, 129), D, "31"},
		{"v6 name alias host", fl(tcp, "2001:db8::1", "2001:db8:1::10", 40000, 80), P, "17"},
		{"v6 prefix", fl(tcp, "2001:db8::1", "2001:db8:2::5", 40000, 22), P, "18"},
		// inactive and time-range
		{"inactive entry skipped", fl(tcp, any, "10.0.0.15", 40000, 9999), D, "31"},
		{"time-range entry treated as active", fl(tcp, any, "10.20.1.1", 40000, 9999), P, "20"},
		// undefined group matches nothing
		{"undefined group", fl(tcp, any, "10.50.0.1", 40000, 80), D, "31"},
		// interface address
		{"interface outside v4", fl(tcp, any, "203.0.113.1", 40000, 443), P, "22"},
		{"interface outside v6", fl(tcp, "2001:db8::1", "2001:db8:ffff::1", 40000, 443), P, "22"},
		{"interface outside standby is not it", fl(tcp, any, "203.0.113.2", 40000, 443), D, "31"},
		{"interface dmz (dhcp) unresolved", fl(tcp, any, "10.1.1.1", 40000, 22), D, "31"},
		// inline predefined object
		{"object icmp-echo", fl(icmp, any, "192.0.2.80", 0, 8), P, "25"},
		{"object icmp-echo reply", fl(icmp, any, "192.0.2.80", 0, 0), D, "31"},
		// nested service groups (untyped inside untyped)
		{"outer sip udp", fl(udp, any, "192.0.2.90", 40000, 5060), P, "26"},
		{"outer sip tcp", fl(tcp, any, "192.0.2.90", 40000, 5060), P, "26"},
		{"outer nested ssh", fl(tcp, any, "192.0.2.90", 40000, 22), P, "26"},
		{"outer telnet", fl(tcp, any, "192.0.2.90", 40000, 23), D, "31"},
		// nested typed groups in port position
		{"all-web 8443", fl(tcp, any, "10.0.1.1", 40000, 8443), P, "27"},
		{"all-web nested 8000", fl(tcp, any, "10.0.1.1", 40000, 8000), P, "27"},
		{"all-web 8081", fl(tcp, any, "10.0.1.1", 40000, 8081), D, "31"},
		// source port group
		{"src port group", fl(tcp, "10.0.2.9", "1.1.1.1", 53, 9999), P, "28"},
		{"src port group miss", fl(tcp, "10.0.2.9", "1.1.1.1", 54, 9999), D, "31"},
		{"service object", fl(udp, any, "192.0.2.91", 5000, 53), P, "29"},
		{"service object src port", fl(udp, any, "192.0.2.91", 53, 53), D, "31"},
		{"any4 bootps", fl(udp, any, "10.9.9.9", 68, 67), P, "30"},
		{"any4 excludes v6", fl(udp, "2001:db8::1", "2001:db8::9", 68, 67), D, "31"},
	})
}

func TestOtherFilters(t *testing.T) {
	c := parseFile(t, "policy.cfg")
	P, D := policy.Permit, policy.Deny
	checkDecide(t, c, "INSIDE_IN", []decideCase{
		{"line 1 inserted first", fl(tcp, "10.0.0.66", "192.0.2.1", 40000, 23), D, "1"},
		{"netmask 255.255.0.0", fl(tcp, "10.0.200.1", "192.0.2.1", 40000, 80), P, "2"},
		{"outside the /16", fl(tcp, "10.1.0.1", "192.0.2.1", 40000, 80), D, "3"},
		// read as an IOS wildcard, 10.0.0.0 255.255.0.0 would match 99.99.0.0
		{"not a wildcard", fl(tcp, "99.99.0.0", "192.0.2.1", 40000, 80), D, "3"},
	})
	checkDecide(t, c, "GLOBAL", []decideCase{
		{"ssh", fl(tcp, "1.1.1.1", "2.2.2.2", 40000, 22), P, "1"},
		{"implicit deny", fl(udp, "1.1.1.1", "2.2.2.2", 40000, 53), D, ""},
		{"implicit deny v6", fl(tcp, "2001:db8::1", "2001:db8::2", 40000, 80), D, ""},
	})
	// standard ACLs match the destination
	checkDecide(t, c, "SPLIT", []decideCase{
		{"dst in 10/8", fl(udp, "8.8.8.8", "10.5.5.5", 1, 2), P, "1"},
		{"src in 10/8 only", fl(udp, "10.5.5.5", "8.8.8.8", 1, 2), D, ""},
	})
}

func TestModel(t *testing.T) {
	c := parseFile(t, "policy.cfg")
	if c.Device != "fw-edge-1" || c.Vendor != "asa" || c.Format != "asa" {
		t.Errorf("device/vendor/format = %q/%q/%q", c.Device, c.Vendor, c.Format)
	}
	var names []string
	for _, f := range c.Filters {
		names = append(names, f.Name)
		if f.Kind != "acl" || f.Family != policy.FamilyAny || !f.Entry || f.Default != policy.Deny {
			t.Errorf("filter %s: kind %q family %v entry %v default %v", f.Name, f.Kind, f.Family, f.Entry, f.Default)
		}
	}
	if got := strings.Join(names, ","); got != "OUTSIDE_IN,INSIDE_IN,SPLIT,GLOBAL" {
		t.Errorf("filters %s", got)
	}
	out := c.Filter("OUTSIDE_IN")
	if out.Pos.Line != 96 {
		t.Errorf("OUTSIDE_IN declared at %v, want line 96 (its remark)", out.Pos)
	}
	r := out.Rules[0]
	if r.Name != "2" || r.Pos.Line != 97 || r.Extras.Comment != "allow web to the farm" {
		t.Errorf("first rule: name %q pos %v comment %q", r.Name, r.Pos, r.Extras.Comment)
	}
	// Every ACE keeps its ASA line number; an expanded ACE repeats it.
	byName := map[string][]*policy.Rule{}
	for _, r := range out.Rules {
		byName[r.Name] = append(byName[r.Name], r)
	}
	if n := len(byName["12"]); n != 5 {
		t.Errorf("mixed-svc ACE expands to %d rules, want 5", n)
	}
	for _, r := range byName["12"] {
		if r.Pos.Line != 107 || r.Action != policy.Permit || r.Match.ServiceRefs[0] != "mixed-svc" {
			t.Errorf("expanded rule %+v", r)
		}
	}
	if n := len(byName["13"]); n != 1 {
		t.Errorf("protocol group ACE: %d rules, want 1 (protocols united)", n)
	}
	if n := len(byName["26"]); n != 6 {
		t.Errorf("outer-svc ACE expands to %d rules, want 6", n)
	}
	if n := len(byName); n != 30 {
		t.Errorf("%d distinct ACE line numbers, want 30", n)
	}
	if r := byName["4"][0]; !r.Extras.Log || r.Extras.Vendor["log"] != "6 interval 300" {
		t.Errorf("log options: %+v", r.Extras)
	}
	if r := byName["20"][0]; r.Extras.TimeRange != "office-hours" {
		t.Errorf("time-range: %+v", r.Extras)
	}
	if r := byName["19"][0]; !r.Inactive {
		t.Errorf("rule 19 should be inactive")
	}
	if r := byName["2"][0]; strings.Join(r.Match.Dst.Refs, ",") != "web-farm" || strings.Join(r.Match.Dst.Unresolved, ",") != "cdn" ||
		strings.Join(r.Match.ServiceRefs, ",") != "web-ports" {
		t.Errorf("rule 2 refs: dst %+v svc %v", r.Match.Dst, r.Match.ServiceRefs)
	}
	if r := byName["17"][0]; strings.Join(r.Match.Dst.Refs, ",") != "web6" {
		t.Errorf("name alias ref: %+v", r.Match.Dst)
	}
	if r := byName["21"][0]; strings.Join(r.Match.Dst.Unresolved, ",") != "missing-group" {
		t.Errorf("undefined group: %+v", r.Match.Dst)
	}

	// Objects, with resolved addresses and members.
	obj := func(name string) *policy.Object {
		o := c.Object(name)
		if o == nil {
			t.Fatalf("object %s missing", name)
		}
		return o
	}
	for name, want := range map[string]string{
		"web-server":   "192.0.2.10/32",
		"srv-host":     "10.0.5.5/32",
		"srv-subnet":   "10.20.0.0/16",
		"srv-range":    "10.0.0.10/31,10.0.0.12/30,10.0.0.16/30,10.0.0.20/32",
		"srv-v6":       "2001:db8:5::/48",
		"ops":          "10.0.1.1/32,10.0.2.0/24,10.0.5.5/32,2001:db8:9::/64",
		"unused-group": "10.99.99.99/32",
		"web-farm":     "192.0.2.10/32",
		"cdn":          "",
	} {
		if got := obj(name).Addrs.String(); got != want {
			t.Errorf("object %s = %q, want %q", name, got, want)
		}
	}
	if o := obj("cdn"); o.Unresolved != "fqdn cdn.example.com" || o.Kind != "object-network" {
		t.Errorf("fqdn object: %+v", o)
	}
	if o := obj("ops"); strings.Join(o.Members, ",") != "srv-host,admins" || o.Kind != "object-group-network" {
		t.Errorf("ops members %v kind %s", o.Members, o.Kind)
	}
	if o := obj("web-farm"); strings.Join(o.Members, ",") != "cdn,web-server" {
		t.Errorf("web-farm members %v (name aliases count as members)", o.Members)
	}
	if o := obj("tunnels-all"); o.Kind != "object-group-protocol" || strings.Join(o.Members, ",") != "tunnels" {
		t.Errorf("tunnels-all %+v", o)
	}
	if o := obj("web-server"); o.Kind != "name" {
		t.Errorf("name kind %q", o.Kind)
	}

	// Undefined references.
	var undef []string
	for _, u := range c.Undefined {
		undef = append(undef, u.Kind+" "+u.Name)
	}
	if got := strings.Join(undef, ","); got != "object-group missing-group,access-list NOPE" {
		t.Errorf("undefined = %s", got)
	}

	// Bindings.
	var bs []string
	for _, b := range c.Bindings {
		bs = append(bs, b.Filter+"/"+b.Kind+"/"+b.Target+"/"+b.Direction)
	}
	if got := strings.Join(bs, " "); got != "OUTSIDE_IN/interface/outside/in INSIDE_IN/interface/inside/in NOPE/interface/dmz/out GLOBAL/global/global/" {
		t.Errorf("bindings %s", got)
	}

	// Unused: no rule references unused-group; everything used is referenced.
	used := map[string]bool{}
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			for _, n := range append(append(append([]string{}, r.Match.Src.Refs...), r.Match.Dst.Refs...), r.Match.ServiceRefs...) {
				used[n] = true
			}
		}
	}
	for _, n := range []string{"web-farm", "web-ports", "mixed-svc", "tunnels-all", "ops", "diag", "srv-range", "svc-https", "cdn", "outer-svc", "all-web", "admins", "dns-ports", "svc-dns"} {
		if !used[n] {
			t.Errorf("%s not recorded as used", n)
		}
	}
	if used["unused-group"] {
		t.Errorf("unused-group recorded as used")
	}
}

func TestRemarkNumberingAndLineInsert(t *testing.T) {
	c := parseString(t, `access-list A remark first
access-list A remark second
access-list A extended permit tcp any any eq www
access-list A extended deny ip any any
access-list A line 2 extended permit udp any any eq ntp
`)
	f := c.Filter("A")
	var got []string
	for _, r := range f.Rules {
		got = append(got, r.Name+"@"+itoa(r.Pos.Line)+":"+strings.ReplaceAll(r.Extras.Comment, "\n", "|"))
	}
	// line 2 is inserted before "remark second", so the remarks no longer
	// precede the same ACE.
	if s := strings.Join(got, " "); s != "2@5:first 4@3:second 5@4:" {
		t.Errorf("rules %s", s)
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func TestCorpusNestedGroups(t *testing.T) {
	dir := "../../../shared/corpus/batfish"
	read := func(name string) *policy.Config {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Skip("corpus absent")
		}
		c, err := Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := read("asa-nested-network-object-group")
	if got := c.Object("admin").Addrs.String(); got != "10.1.1.5/32,10.1.1.9/32,10.1.1.89/32,10.1.2.8/32,10.1.2.12/32,10.1.4.89/32,10.1.4.100/32" {
		t.Errorf("admin = %s", got)
	}
	if got := c.Object("mixed_group").Addrs.String(); got != "10.2.3.4/31" {
		t.Errorf("mixed_group = %s", got)
	}
	if len(c.Undefined) != 2 {
		t.Errorf("undefined %v", c.Undefined)
	}
	c = read("asa-nested-service-object-group")
	// the group as a port condition: domain, 1234, 2345, 2345-2445
	src := "\naccess-list X extended permit tcp any any object-group services\n"
	data, _ := os.ReadFile(filepath.Join(dir, "asa-nested-service-object-group"))
	c, err := Parse("x", append(data, src...))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Filter("X").Rules[0]
	if got := r.Match.DstPorts.String(); got != "53,1234,2345-2445" {
		t.Errorf("services ports %s", got)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "asa-nested-icmp-type-object-group"))
	c, err = Parse("x", append(data, "\naccess-list X extended permit icmp any any object-group services\n"...))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Filter("X").Rules[0].Match.ICMPTypes.String(); got != "0,3,5,8" {
		t.Errorf("icmp services %s", got)
	}
	c, err = Parse("x", append(data, "\naccess-list X extended permit icmp6 any any object-group services\n"...))
	if err != nil {
		t.Fatal(err)
	}
	// read as ICMPv6: echo-reply 129, unreachable 1, echo 128 (redirect has no ASA icmp6 literal)
	if got := c.Filter("X").Rules[0].Match.ICMPTypes.String(); got != "1,128-129" {
		t.Errorf("icmp6 services %s", got)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "asa-nested-protocol-object-group"))
	c, err = Parse("x", append(data, "\naccess-list X extended permit object-group protocols any any\naccess-list X extended permit object-group protocol_undef any any\n"...))
	if err != nil {
		t.Fatal(err)
	}
	rs := c.Filter("X").Rules
	if got := rs[0].Match.Protocols.String(); got != "2,6,89" {
		t.Errorf("protocols %s", got)
	}
	if d := c.Decide(c.Filter("X"), fl(udp, "1.1.1.1", "2.2.2.2", 1, 2)); d.Action != policy.Deny || d.Rule != nil {
		t.Errorf("group of an undefined group must match nothing: %+v", d)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "asa-service-object"))
	c, err = Parse("x", append(data, "\naccess-list X extended permit object-group OGS1 any any\naccess-list X extended permit object-group OGS_BUILTIN_REF any any\n"...))
	if err != nil {
		t.Fatal(err)
	}
	checkDecide(t, c, "X", []decideCase{
		{"OS_TCPUDP src 65535", fl(tcp, "1.1.1.1", "2.2.2.2", 65535, 80), policy.Permit, "1"},
		{"udp 1234", fl(udp, "1.1.1.1", "2.2.2.2", 5, 1234), policy.Permit, "1"},
		{"udp 1235 (destination implied)", fl(udp, "1.1.1.1", "2.2.2.2", 5, 1235), policy.Permit, "1"},
		{"udp 3 -> 1236", fl(udp, "1.1.1.1", "2.2.2.2", 3, 1236), policy.Permit, "1"},
		{"udp 4 -> 1236", fl(udp, "1.1.1.1", "2.2.2.2", 4, 1236), policy.Deny, ""},
		{"udp src cifs", fl(udp, "1.1.1.1", "2.2.2.2", 3020, 9), policy.Permit, "1"},
		{"builtin icmp", fl(icmp, "1.1.1.1", "2.2.2.2", 0, 13), policy.Permit, "2"},
	})
}

// TestCorpus parses every ASA file of the shared corpus.
func TestCorpus(t *testing.T) {
	dir := "../../../shared/corpus/batfish"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("corpus absent")
	}
	want := map[string]int{
		"asa-filters": 4, "asa-nested-icmp-type-object-group": 0, "asa-nested-network-object-group": 0,
		"asa-nested-protocol-object-group": 0, "asa-nested-service-object-group": 0,
		"asa-service-object": 0, "asa_acl": 4, "asa_object_groups": 1,
	}
	files, _ := filepath.Glob(filepath.Join(dir, "asa*"))
	if len(files) != len(want) {
		t.Errorf("corpus has %d asa files, test knows %d", len(files), len(want))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if s := Detect(data); s != 100 {
			t.Errorf("%s: detect %d", path, s)
		}
		c, err := Parse(path, data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		base := filepath.Base(path)
		if len(c.Filters) != want[base] {
			t.Errorf("%s: %d filters, want %d", base, len(c.Filters), want[base])
		}
		if c.Device != base {
			t.Errorf("%s: device %q", base, c.Device)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "asa_acl"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Parse("asa_acl", data)
	if n := len(c.Filter("inline_specifiers").Rules); n != 20 {
		t.Errorf("inline_specifiers: %d rules", n)
	}
	checkDecide(t, c, "inline_specifiers", []decideCase{
		{"icmp-traceroute", fl(icmp, "1.1.1.1", "2.2.2.2", 0, 30), policy.Permit, "18"},
		{"ospf", fl(policy.ProtoOSPF, "1.1.1.1", "2.2.2.2", 0, 0), policy.Permit, "20"},
		{"icmp 7", fl(icmp, "1.1.1.1", "2.2.2.2", 0, 7), policy.Deny, ""},
	})
	checkDecide(t, c, "outside", []decideCase{
		{"undefined group + unknown interface", fl(tcp, "1.1.1.1", "2.2.2.2", 1, 443), policy.Deny, ""},
	})
	checkDecide(t, c, "Local_LAN_Access", []decideCase{
		{"host 0.0.0.0", fl(udp, "1.1.1.1", "0.0.0.0", 1, 2), policy.Permit, "1"},
	})
	data, _ = os.ReadFile(filepath.Join(dir, "asa-filters"))
	c, _ = Parse("asa-filters", data)
	if len(c.Bindings) != 5 || len(c.Undefined) != 1 || c.Undefined[0].Name != "FILTER_UNDEF" {
		t.Errorf("asa-filters bindings %v undefined %v", c.Bindings, c.Undefined)
	}
}

func TestDetect(t *testing.T) {
	cases := map[string]int{
		"ASA Version 9.8(2)\nhostname x\n":                                    100,
		": Saved\n:\nPIX Version 6.3(5)\n":                                    100,
		"interface Gi0/0\n nameif outside\n":                                  80,
		"hostname x\naccess-group OUT in interface outside\n":                 80,
		"access-list A extended permit ip any4 any4\n":                        80,
		"object network web\n host 1.2.3.4\n":                                 80,
		"":                                                                    0,
		"# README\n\nSome text about access-list and nameif.\n":               0,
		"key: value\nlist:\n  - access-list\n":                                0,
		"hostname r1\nip access-list extended X\n permit tcp any any eq 22\n": 0,
		"hostname r1\naccess-list X extended permit tcp any any eq 22\nobject-group network G\n host 1.1.1.1\ninterface Gi0/0\n ip access-group X in\n": 0,
		"access-list 101 permit ip any any\n":                                                      0,
		"firewall {\n    family inet {\n        filter F {\n            term t { then accept; }\n": 0,
		"set firewall family inet filter F term t then accept\n":                                   0,
		"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n":             0,
		"table inet filter {\n  chain input {\n    type filter hook input priority 0;\n  }\n}\n":   0,
	}
	for in, want := range cases {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%q) = %d, want %d", in, got, want)
		}
	}
	// Other vendors' corpus files are not ASA.
	for _, glob := range []string{"../../../shared/corpus/batfish/[^a]*", "../../../shared/corpus/pybatfish-example-filters/*/configs/*", "../../../shared/corpus/trigger/*"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			if s := Detect(data); s != 0 {
				t.Errorf("%s: detect %d, want 0", f, s)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"access-list X extended permit tcp any host 1.2.3.4 eq nosuch\n", 1, 55, "unknown port"},
		{"!\naccess-list X extended permit udp any any eq ssh\n", 2, 46, "unknown port"},
		{"access-list X extended permit tcp any 10.0.0.0 0.0.0.255\n", 1, 48, "invalid netmask"},
		{"access-list X extended permit foo any any\n", 1, 31, "unknown protocol"},
		{"access-list X extended permit tcp any\n", 1, 38, "missing destination"},
		{"access-list X extended permit tcp any any eq 80 bogus\n", 1, 49, "unexpected"},
		{"access-list X extended permit tcp any any range 100 50\n", 1, 53, "range"},
		{"access-list X bogus permit ip any any\n", 1, 15, "expected extended"},
		{"access-list X extended permit icmp any any nosuch\n", 1, 44, "unknown ICMP type"},
		{"access-list X extended allow ip any any\n", 1, 24, "expected permit or deny"},
		{"access-list X extended permit ip host\n", 1, 38, "missing host"},
		{"access-list X extended permit ip 300.0.0.1 255.0.0.0 any\n", 1, 34, "expected source address"},
		{"access-list X\n", 1, 13, "incomplete"},
		{"access-list X line 1\n", 1, 21, "incomplete"},
		{"object network A\n host 300.1.1.1\n", 2, 7, "bad address"},
		{"object network A\n range 10.0.0.9 10.0.0.1\n", 2, 17, "bad end address"},
		{"object network A\n subnet 10.0.0.0/33\n", 2, 9, "bad prefix"},
		{"object-group service S tcp\n port-object eq snmp\n", 2, 17, "unknown port"},
		{"object-group service S sctpx\n", 1, 24, "unknown protocol"},
		{"object-group service S\n service-object tcp destination lt\n", 2, 35, "missing port"},
		{"object-group protocol P\n protocol-object nosuch\n", 2, 18, "unknown protocol"},
		{"object-group icmp-type I\n icmp-object nosuch\n", 2, 14, "unknown ICMP type"},
		{"object-group widget W\n", 1, 14, "unknown type"},
		{"object service S\n service tcp destination eq 80 extra\n", 2, 32, "unexpected"},
		{"access-group X sideways interface y\n", 1, 16, "expected in, out or global"},
		{"access-group X in outside\n", 1, 16, "interface"},
		{"name 1.2.3 foo\n", 1, 6, "bad address"},
		{"interface Gi0/0\n ip address 1.2.3.x 255.0.0.0\n", 2, 13, "bad address"},
	}
	for _, tc := range cases {
		_, err := Parse("bad.cfg", []byte(tc.src))
		if err == nil {
			t.Errorf("%q: no error", tc.src)
			continue
		}
		pe, ok := parser.AsError(err)
		if !ok {
			t.Errorf("%q: %T is not a *parser.Error", tc.src, err)
			continue
		}
		if pe.Pos.File != "bad.cfg" || pe.Pos.Line != tc.line || pe.Pos.Col != tc.col || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("%q: got %v, want bad.cfg:%d:%d: ...%s...", tc.src, err, tc.line, tc.col, tc.msg)
		}
	}
}

func TestSkipsOutOfScope(t *testing.T) {
	c := parseString(t, `ASA Version 9.16
hostname fw
crypto map outside_map 1 match address VPN
crypto map outside_map 1 set peer 192.0.2.1
tunnel-group 192.0.2.1 type ipsec-l2l
tunnel-group 192.0.2.1 ipsec-attributes
 ikev1 pre-shared-key *****
route outside 0.0.0.0 0.0.0.0 192.0.2.254 1
banner motd Unauthorized access prohibited!
policy-map global_policy
 class inspection_default
  inspect dns preset_dns_map
access-list alert-interval 300
access-list VPN extended permit ip 10.0.0.0 255.0.0.0 10.1.0.0 255.255.0.0
access-list ETH ethertype permit bpdu
`)
	if len(c.Filters) != 2 || c.Device != "fw" {
		t.Fatalf("filters %d device %q", len(c.Filters), c.Device)
	}
	if f := c.Filter("ETH"); f.Entry || f.Meta["type"] != "ethertype" {
		t.Errorf("ethertype filter %+v", f)
	}
}

func TestIdentityAndWrongKind(t *testing.T) {
	c := parseString(t, `object-group network N
 network-object host 10.0.0.1
object-group service S tcp
 port-object eq 22
access-list A extended permit ip user LOCAL\bob any any
access-list A extended permit object-group N any any
access-list A extended permit tcp object-group S any
access-list A extended permit tcp any object-group S any
access-list A extended permit tcp any object-group UNDEF any
`)
	f := c.Filter("A")
	if len(f.Rules) != 5 {
		t.Fatalf("%d rules", len(f.Rules))
	}
	for _, r := range f.Rules[:3] {
		if d := c.Decide(&policy.Filter{Rules: []*policy.Rule{r}}, fl(tcp, "10.0.0.1", "10.0.0.2", 22, 22)); d.Rule != nil {
			t.Errorf("rule %s must match nothing: %+v", r.Name, r.Match)
		}
	}
	// "tcp any object-group S any": S is a port group in source-port position
	if r := f.Rules[3]; r.Match.SrcPorts.String() != "22" || !r.Match.Dst.Any {
		t.Errorf("source port group: %+v", r.Match)
	}
	// an undefined group followed by an address is read as a port group
	if r := f.Rules[4]; strings.Join(r.Match.Unresolved, ",") != "UNDEF" || !r.Match.Dst.Any {
		t.Errorf("undefined source port group: %+v", r.Match)
	}
	if len(c.Undefined) != 1 {
		t.Errorf("undefined %v", c.Undefined)
	}
}

func TestGenerateConfig(t *testing.T) {
	var a, b bytes.Buffer
	GenerateConfig(&a, 2000, 7)
	GenerateConfig(&b, 2000, 7)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("generator is not deterministic")
	}
	if Detect(a.Bytes()) != 100 {
		t.Fatal("generated config not detected")
	}
	c, err := Parse("gen.cfg", a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range c.Filters {
		n += len(f.Rules)
	}
	if n < 2000 {
		t.Fatalf("only %d rules", n)
	}
	if len(c.Undefined) != 0 {
		t.Fatalf("undefined refs in generated config: %v", c.Undefined[0])
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	corpus, _ := filepath.Glob("../../../shared/corpus/batfish/asa*")
	for _, p := range corpus {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	var gen bytes.Buffer
	GenerateConfig(&gen, 30, 1)
	f.Add(gen.Bytes())
	for _, s := range []string{
		"access-list A extended permit tcp any eq 80 host 1.2.3.4 range 1 2 log 3 interval 5\n",
		"access-list A line 1 extended deny object-group G any any inactive\n",
		"access-list A extended permit icmp any4 any6 3 1 time-range T\n",
		"access-list A standard permit 10.0.0.0 255.0.0.0\naccess-list A remark x\n",
		"access-list A webtype permit url http://x/*\naccess-list A ethertype deny bpdu\n",
		"access-list A extended permit ip user-group D\\g security-group tag 5 any any\n",
		"object-group service S tcp\n port-object neq 5\n group-object S\naccess-list A extended permit tcp any object-group S any\n",
		"object network O\n range 10.0.0.9 10.0.0.1\n",
		"access-group A in interface x control-plane\naccess-group B global\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		c, err := Parse("fuzz.cfg", data)
		if err != nil {
			if _, ok := parser.AsError(err); !ok {
				t.Fatalf("error %T %v is not a *parser.Error", err, err)
			}
			return
		}
		flows := []*policy.Flow{
			fl(tcp, "10.0.0.1", "192.0.2.1", 1234, 443),
			fl(icmp, "10.0.0.1", "192.0.2.1", 0, 8),
			fl(udp, "2001:db8::1", "2001:db8::2", 53, 53),
		}
		for _, flt := range c.Filters {
			for _, f := range flows {
				c.Decide(flt, f)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := parsebench.Generated(b, func(w *bytes.Buffer) error { GenerateConfig(w, 100000, 1); return nil })
	parsebench.Run(b, data, func(data []byte) error { _, err := Parse("bench.cfg", data); return err })
}

func TestPIXAndWebtypeAndLog(t *testing.T) {
	c := parseString(t, `PIX Version 6.3(5)
hostname pix
access-list outside_in permit tcp any host 192.0.2.1 eq www log disable
access-list outside_in deny icmp any any log informational interval 10
access-list WEB webtype permit url http://intranet/*
access-list WEB webtype permit tcp host 10.0.0.5 eq 8080
`)
	if c.Format != "pix" {
		t.Errorf("format %q", c.Format)
	}
	checkDecide(t, c, "outside_in", []decideCase{
		{"www", fl(tcp, "1.1.1.1", "192.0.2.1", 1, 80), policy.Permit, "1"},
		{"icmp", fl(icmp, "1.1.1.1", "192.0.2.1", 0, 8), policy.Deny, "2"},
	})
	rs := c.Filter("outside_in").Rules
	if rs[0].Extras.Log || rs[0].Extras.Vendor["log"] != "disable" {
		t.Errorf("log disable: %+v", rs[0].Extras)
	}
	if !rs[1].Extras.Log || rs[1].Extras.Vendor["log"] != "informational interval 10" {
		t.Errorf("log level: %+v", rs[1].Extras)
	}
	checkDecide(t, c, "WEB", []decideCase{
		{"url entries match no flow", fl(tcp, "1.1.1.1", "10.0.0.6", 1, 80), policy.Deny, ""},
		{"tcp entry", fl(tcp, "1.1.1.1", "10.0.0.5", 1, 8080), policy.Permit, "2"},
	})
	if f := c.Filter("WEB"); f.Meta["type"] != "webtype" || strings.Join(f.Rules[0].Match.Unresolved, ",") != "url http://intranet/*" {
		t.Errorf("webtype %+v", f.Rules[0].Match)
	}
}

func TestFTDAdvanced(t *testing.T) {
	c := parseString(t, `NGFW Version 7.0.1
access-list CSM_FW_ACL_ remark rule-id 268434432: ACCESS POLICY: p - Default
access-list CSM_FW_ACL_ advanced trust tcp ifc inside any ifc outside any eq https rule-id 268434433 event-log flow-end
access-list CSM_FW_ACL_ advanced permit ip any any rule-id 268434432
`)
	if c.Format != "ngfw" || Detect([]byte("NGFW Version 7.0.1\n")) != 100 {
		t.Errorf("format %q", c.Format)
	}
	r := c.Filter("CSM_FW_ACL_").Rules[0]
	if r.Name != "2" || r.Match.InIface != "inside" || r.Match.OutIface != "outside" || r.Extras.Vendor["rule-id"] != "268434433" || r.Action != policy.Permit {
		t.Errorf("advanced rule %+v", r)
	}
	f := fl(tcp, "10.0.0.1", "192.0.2.1", 1, 443)
	f.InIface, f.OutIface = "inside", "outside"
	if d := c.Decide(c.Filter("CSM_FW_ACL_"), f); d.Rule != r {
		t.Errorf("ifc flow decided by %+v", d.Rule)
	}
}

func TestObjectNetworkKinds(t *testing.T) {
	c := parseString(t, `name 10.1.0.0 branch-net
name 10.9.9.9 jump
object network R
 range 10.0.0.10 10.0.0.20
object network H
 host 10.0.0.99
object network S
 subnet 10.5.0.0 255.255.255.128
object network F
 fqdn www.example.com
access-list A extended permit tcp any object R eq 22
access-list A extended permit tcp any object H eq 22
access-list A extended permit tcp any object S eq 22
access-list A extended permit tcp any object F eq 22
access-list A extended permit tcp branch-net 255.255.0.0 host jump eq 22
`)
	P, D := policy.Permit, policy.Deny
	checkDecide(t, c, "A", []decideCase{
		{"range start", fl(tcp, "1.1.1.1", "10.0.0.10", 1, 22), P, "1"},
		{"range end", fl(tcp, "1.1.1.1", "10.0.0.20", 1, 22), P, "1"},
		{"range after", fl(tcp, "1.1.1.1", "10.0.0.21", 1, 22), D, ""},
		{"host", fl(tcp, "1.1.1.1", "10.0.0.99", 1, 22), P, "2"},
		{"subnet /25", fl(tcp, "1.1.1.1", "10.5.0.127", 1, 22), P, "3"},
		{"subnet /25 outside", fl(tcp, "1.1.1.1", "10.5.0.128", 1, 22), D, ""},
		{"fqdn matches nothing", fl(tcp, "1.1.1.1", "93.184.216.34", 1, 22), D, ""},
		{"name aliases", fl(tcp, "10.1.200.3", "10.9.9.9", 1, 22), P, "5"},
		{"name alias mask", fl(tcp, "10.2.0.3", "10.9.9.9", 1, 22), D, ""},
	})
	r := c.Filter("A").Rules[4]
	if strings.Join(r.Match.Src.Refs, ",") != "branch-net" || strings.Join(r.Match.Dst.Refs, ",") != "jump" {
		t.Errorf("alias refs %v %v", r.Match.Src.Refs, r.Match.Dst.Refs)
	}
	if r := c.Filter("A").Rules[3]; strings.Join(r.Match.Dst.Unresolved, ",") != "F" {
		t.Errorf("fqdn unresolved %v", r.Match.Dst)
	}
	if o := c.Object("F"); o.Unresolved != "fqdn www.example.com" || !o.Addrs.IsEmpty() {
		t.Errorf("fqdn object %+v", o)
	}
}

func TestPre9AnyIsIPv4(t *testing.T) {
	c := parseString(t, "ASA Version 8.4(7)\naccess-list A extended permit tcp any any eq 22\nipv6 access-list V6 permit tcp any any eq 22\n")
	checkDecide(t, c, "A", []decideCase{
		{"v4", fl(tcp, "1.1.1.1", "2.2.2.2", 1, 22), policy.Permit, "1"},
		{"v6 not matched by pre-9.0 any", fl(tcp, "2001:db8::1", "2001:db8::2", 1, 22), policy.Deny, ""},
	})
	if len(c.Filters) != 1 || len(c.Warnings) != 1 {
		t.Errorf("filters %d warnings %v", len(c.Filters), c.Warnings)
	}
	c = parseString(t, "ASA Version 9.1(7)\naccess-list A extended permit tcp any any eq 22\n")
	checkDecide(t, c, "A", []decideCase{
		{"9.x any covers v6", fl(tcp, "2001:db8::1", "2001:db8::2", 1, 22), policy.Permit, "1"},
	})
}
