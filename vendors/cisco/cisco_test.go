package cisco

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

func load(t testing.TB, name string, v func(string, []byte) (*policy.Config, error)) *policy.Config {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "cisco", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v(name, data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return c
}

func mustParse(t testing.TB, d dialect, src string) *policy.Config {
	t.Helper()
	c, err := parse("t.cfg", []byte(src), d)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	return c
}

type fl struct {
	proto        uint8
	src, dst     string
	sport, dport uint16
	typ, code    uint8
}

func (f fl) flow() *policy.Flow {
	sp := f.sport
	if sp == 0 {
		sp = 40000
	}
	return &policy.Flow{Proto: f.proto, Src: netip.MustParseAddr(f.src), Dst: netip.MustParseAddr(f.dst),
		SrcPort: sp, DstPort: f.dport, ICMPType: f.typ, ICMPCode: f.code}
}

// expect checks the action and deciding rule ("" = the implicit default).
func expect(t *testing.T, c *policy.Config, filter string, f fl, action policy.Action, rule string) {
	t.Helper()
	flt := c.Filter(filter)
	if flt == nil {
		t.Fatalf("no filter %q", filter)
	}
	d := c.Decide(flt, f.flow())
	got := ""
	if d.Rule != nil {
		got = d.Rule.Name
	}
	if d.Action != action || got != rule || d.Default != (rule == "") {
		t.Errorf("%s %+v: got %s by %q (default %v), want %s by %q", filter, f, d.Action, got, d.Default, action, rule)
	}
}

func TestIOSRouterStructure(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	if c.Device != "core-rtr1" || c.Vendor != "ios" {
		t.Errorf("device %q vendor %q", c.Device, c.Vendor)
	}
	var names []string
	for _, f := range c.Filters {
		names = append(names, f.Name)
		if f.Kind != "acl" || !f.Entry || f.Default != policy.Deny {
			t.Errorf("%s: kind %q entry %v default %v", f.Name, f.Kind, f.Entry, f.Default)
		}
	}
	// the banner's "access-list 1 deny any" text must not become an ACL
	if got := strings.Join(names, ","); got != "EDGE-IN,ORDERED,MGMT,10,101,150,V6-IN,V6-STRICT" {
		t.Errorf("filters %s", got)
	}
	pos := map[string]int{"EDGE-IN": 57, "10": 85, "101": 89, "150": 94, "V6-IN": 96}
	for n, line := range pos {
		if p := c.Filter(n).Pos; p.Line != line || p.File != "ios-router.cfg" {
			t.Errorf("%s declared at %v, want line %d", n, p, line)
		}
	}
	if f := c.Filter("V6-IN"); f.Family != policy.FamilyIPv6 {
		t.Errorf("V6-IN family %v", f.Family)
	}
	if r := c.Filter("EDGE-IN").Rules[0]; r.Name != "10" || r.Pos.Line != 59 || r.Extras.Comment != "anti-spoofing" || !r.Extras.Log {
		t.Errorf("first rule %+v", r)
	}
	want := []string{
		"EDGE-IN interface GigabitEthernet0/0 in", "101 interface GigabitEthernet0/0 out",
		"V6-IN interface GigabitEthernet0/0 in", "MISSING-ACL interface GigabitEthernet0/1 in",
		"MGMT vty vty 0 4 in", "V6-STRICT vty vty 0 4 in",
	}
	var got []string
	for _, b := range c.Bindings {
		got = append(got, b.Filter+" "+b.Kind+" "+b.Target+" "+b.Direction)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("bindings\n got %q\nwant %q", got, want)
	}
	if len(c.Undefined) != 1 || c.Undefined[0].Name != "MISSING-ACL" || c.Undefined[0].Kind != "acl" || c.Undefined[0].Pos.Line != 115 {
		t.Errorf("undefined %+v", c.Undefined)
	}
	if o := c.Object("UNUSED-NET"); o == nil || o.Kind != kindNetwork || o.Pos.Line != 39 || !o.Addrs.Contains(netip.MustParseAddr("203.0.113.99")) {
		t.Errorf("UNUSED-NET object %+v", o)
	}
	if o := c.Object("MGMT-SVC"); o == nil || o.Kind != kindService || len(o.Members) != 1 || o.Members[0] != "WEB-SVC" {
		t.Errorf("MGMT-SVC object %+v", o)
	}
}

func TestFirstMatchAndImplicitDeny(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	tcp, udp, icmp := uint8(6), uint8(17), uint8(1)
	// rule 10 denies 10/8 before rule 20 permits the web server
	expect(t, c, "EDGE-IN", fl{proto: tcp, src: "10.1.2.3", dst: "192.0.2.10", dport: 80}, policy.Deny, "10")
	expect(t, c, "EDGE-IN", fl{proto: tcp, src: "8.8.8.8", dst: "192.0.2.10", dport: 80}, policy.Permit, "20")
	// implicit deny at the end
	expect(t, c, "EDGE-IN", fl{proto: udp, src: "8.8.8.8", dst: "192.0.2.10", dport: 9999}, policy.Deny, "")
	expect(t, c, "EDGE-IN", fl{proto: 47, src: "8.8.8.8", dst: "192.0.2.10"}, policy.Deny, "")
	// ICMP names: port-unreachable is type 3 code 3 only
	expect(t, c, "EDGE-IN", fl{proto: icmp, src: "8.8.8.8", dst: "9.9.9.9", typ: 3, code: 3}, policy.Permit, "90")
	expect(t, c, "EDGE-IN", fl{proto: icmp, src: "8.8.8.8", dst: "9.9.9.9", typ: 3, code: 1}, policy.Deny, "")
	// protocol object-group: gre, esp and 51 from 203.0.113.1
	expect(t, c, "EDGE-IN", fl{proto: 51, src: "203.0.113.1", dst: "9.9.9.9"}, policy.Permit, "50")
	expect(t, c, "EDGE-IN", fl{proto: 50, src: "203.0.113.2", dst: "9.9.9.9"}, policy.Deny, "")
	// source port range and destination lt
	expect(t, c, "EDGE-IN", fl{proto: udp, src: "8.8.8.8", dst: "9.9.9.9", sport: 1500, dport: 1023}, policy.Permit, "100")
	expect(t, c, "EDGE-IN", fl{proto: udp, src: "8.8.8.8", dst: "9.9.9.9", sport: 1500, dport: 1024}, policy.Deny, "")
	// standard ACL: bare address is a host, implicit deny
	expect(t, c, "MGMT", fl{proto: tcp, src: "10.7.7.7", dst: "1.1.1.1", dport: 22}, policy.Permit, "30")
	expect(t, c, "MGMT", fl{proto: tcp, src: "10.7.7.8", dst: "1.1.1.1", dport: 22}, policy.Deny, "40")
	expect(t, c, "10", fl{proto: udp, src: "172.16.9.9", dst: "1.1.1.1", dport: 1}, policy.Permit, "10")
	expect(t, c, "10", fl{proto: udp, src: "172.18.9.9", dst: "1.1.1.1", dport: 1}, policy.Deny, "")
}

func TestNeqAndEstablishedAndFragments(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	expect(t, c, "EDGE-IN", fl{proto: 6, src: "8.8.8.8", dst: "9.9.9.9", dport: 23}, policy.Deny, "")
	expect(t, c, "EDGE-IN", fl{proto: 6, src: "8.8.8.8", dst: "9.9.9.9", dport: 24}, policy.Permit, "70")
	expect(t, c, "EDGE-IN", fl{proto: 6, src: "8.8.8.8", dst: "9.9.9.9", dport: 0}, policy.Permit, "70")
	edge := c.Filter("EDGE-IN")
	est := edge.Rules[2]
	if est.Name != "30" || !est.Match.TCPEstablished || !est.Match.NotInitial {
		t.Errorf("established rule %+v", est.Match)
	}
	var frag *policy.Rule
	for _, r := range edge.Rules {
		if r.Name == "80" {
			frag = r
		}
	}
	if frag == nil || frag.Match.Fragment != "fragments" || !frag.Match.NotInitial || frag.Action != policy.Deny {
		t.Errorf("fragments rule %+v", frag)
	}
	// neq with several ports excludes each of them
	c2 := mustParse(t, dIOS, "ip access-list extended N\n permit tcp any any neq 22 23\n")
	expect(t, c2, "N", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 23}, policy.Deny, "")
	expect(t, c2, "N", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 22}, policy.Deny, "")
	expect(t, c2, "N", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 21}, policy.Permit, "10")
	// a port condition never matches a non-port protocol
	expect(t, c2, "N", fl{proto: 1, src: "1.1.1.1", dst: "2.2.2.2"}, policy.Deny, "")
	// TCP flag keywords: ack/rst only match non-initial packets, syn does not
	c3 := mustParse(t, dIOS, "ip access-list extended F\n permit tcp any any ack\n permit tcp any any match-all +syn -ack\n deny tcp any any match-any +rst +fin\n")
	rs := c3.Filter("F").Rules
	if !rs[0].Match.NotInitial || rs[1].Match.NotInitial || !rs[2].Match.NotInitial || rs[1].Match.TCPFlags != "match-all +syn -ack" {
		t.Errorf("flags: %+v %+v %+v", rs[0].Match, rs[1].Match, rs[2].Match)
	}
	expect(t, c3, "F", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 80}, policy.Permit, "20")
}

func TestNonContiguousWildcards(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	// 10.1.1.0 0.0.0.254: every even address of 10.1.1.0/24
	expect(t, c, "101", fl{proto: 6, src: "10.1.1.2", dst: "1.1.1.1", dport: 179}, policy.Permit, "10")
	expect(t, c, "101", fl{proto: 6, src: "10.1.1.3", dst: "1.1.1.1", dport: 179}, policy.Permit, "30")
	// 10.0.0.0 0.255.0.255: any second and fourth octet, third octet 0
	expect(t, c, "101", fl{proto: 17, src: "10.77.0.9", dst: "1.1.1.1", dport: 1}, policy.Deny, "20")
	expect(t, c, "101", fl{proto: 17, src: "10.77.1.9", dst: "1.1.1.1", dport: 1}, policy.Permit, "30")
	// a pattern too large to expand stays exact and symbolic
	c2 := mustParse(t, dIOS, "access-list 1 permit 0.0.0.1 255.255.255.254\n")
	s := c2.Filter("1").Rules[0].Match.Src.Set
	if len(s.Wildcards()) != 1 || !s.Contains(netip.MustParseAddr("192.0.2.7")) || s.Contains(netip.MustParseAddr("192.0.2.8")) {
		t.Errorf("odd-address wildcard: %v", s)
	}
}

func TestPortNamesPerProtocol(t *testing.T) {
	cases := []struct {
		ace  string
		port uint16
		err  bool
	}{
		{"permit tcp any any eq www", 80, false},
		{"permit udp any any eq www", 0, true},
		{"permit tcp any any eq bgp", 179, false},
		{"permit udp any any eq bgp", 0, true},
		{"permit tcp any any eq telnet", 23, false},
		{"permit udp any any eq telnet", 0, true},
		{"permit tcp any any eq domain", 53, false},
		{"permit udp any any eq domain", 53, false},
		{"permit udp any any eq bootps", 67, false},
		{"permit tcp any any eq bootps", 0, true},
		{"permit udp any any eq snmp", 161, false},
		{"permit tcp any any eq snmp", 0, true},
		{"permit udp any any eq tftp", 69, false},
		{"permit tcp any any eq tftp", 0, true},
		{"permit udp any any eq ntp", 123, false},
		{"permit tcp any any eq ntp", 0, true},
		{"permit tcp any any eq cmd", 514, false},
		{"permit udp any any eq syslog", 514, false},
		{"permit tcp any any eq 8443", 8443, false},
		{"permit tcp any any eq 65536", 0, true},
		{"permit tcp any any eq nosuchport", 0, true},
	}
	for _, tc := range cases {
		c, err := parse("t.cfg", []byte("ip access-list extended P\n "+tc.ace+"\n"), dIOS)
		if tc.err {
			pe, ok := parser.AsError(err)
			if !ok || pe.Pos.Line != 2 || pe.Pos.Col != 24 {
				t.Errorf("%q: want error at 2:24, got %v", tc.ace, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.ace, err)
			continue
		}
		r := c.Filter("P").Rules[0]
		if r.Match.DstPorts == nil || r.Match.DstPorts.String() != policy.Single(tc.port).String() {
			t.Errorf("%q: ports %v, want %d", tc.ace, r.Match.DstPorts, tc.port)
		}
	}
}

func TestServiceGroupInProtocolPosition(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	var rule40 []*policy.Rule
	for _, r := range c.Filter("EDGE-IN").Rules {
		if r.Name == "40" {
			rule40 = append(rule40, r)
		}
	}
	if len(rule40) != 4 {
		t.Fatalf("WEB-SVC entry expands to %d rules, want 4", len(rule40))
	}
	for _, r := range rule40 {
		if r.Pos != rule40[0].Pos || r.Pos.Line != 62 || len(r.Match.ServiceRefs) != 1 || r.Match.ServiceRefs[0] != "WEB-SVC" ||
			len(r.Match.Dst.Refs) != 1 || r.Match.Dst.Refs[0] != "DMZ" {
			t.Errorf("expanded rule %+v", r)
		}
	}
	dmz := "198.51.100.7"
	expect(t, c, "EDGE-IN", fl{proto: 6, src: "8.8.8.8", dst: dmz, dport: 443}, policy.Permit, "40")
	expect(t, c, "EDGE-IN", fl{proto: 17, src: "8.8.8.8", dst: dmz, dport: 53}, policy.Permit, "40")
	expect(t, c, "EDGE-IN", fl{proto: 1, src: "8.8.8.8", dst: dmz, typ: 8}, policy.Permit, "40")
	// not in the union: udp 443, tcp 53, icmp echo-reply
	expect(t, c, "EDGE-IN", fl{proto: 17, src: "8.8.8.8", dst: dmz, dport: 443}, policy.Deny, "")
	expect(t, c, "EDGE-IN", fl{proto: 6, src: "8.8.8.8", dst: dmz, dport: 53}, policy.Permit, "70") // falls to neq telnet
	expect(t, c, "EDGE-IN", fl{proto: 1, src: "8.8.8.8", dst: dmz, typ: 0}, policy.Deny, "")
	// nested service groups: MGMT-SVC = tcp 22 + WEB-SVC
	c2 := mustParse(t, dIOS, `object-group service A
 tcp eq 22
 group-object B
object-group service B
 udp range 5000 5010
 tcp source eq 179
 esp
ip access-list extended X
 permit object-group A any host 10.0.0.1
`)
	if n := len(c2.Filter("X").Rules); n != 4 {
		t.Fatalf("nested service group: %d rules", n)
	}
	expect(t, c2, "X", fl{proto: 17, src: "1.1.1.1", dst: "10.0.0.1", dport: 5005}, policy.Permit, "10")
	expect(t, c2, "X", fl{proto: 6, src: "1.1.1.1", dst: "10.0.0.1", sport: 179, dport: 5}, policy.Permit, "10")
	expect(t, c2, "X", fl{proto: 50, src: "1.1.1.1", dst: "10.0.0.1"}, policy.Permit, "10")
	expect(t, c2, "X", fl{proto: 6, src: "1.1.1.1", dst: "10.0.0.1", dport: 5005}, policy.Deny, "")
	expect(t, c2, "X", fl{proto: 6, src: "1.1.1.1", dst: "10.0.0.2", dport: 22}, policy.Deny, "")
}

func TestNestedNetworkGroups(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	dmz := c.Object("DMZ")
	for _, a := range []string{"192.0.2.10", "192.0.2.130", "192.0.2.203", "198.51.100.255"} {
		if !dmz.Addrs.Contains(netip.MustParseAddr(a)) {
			t.Errorf("DMZ lacks %s: %v", a, dmz.Addrs)
		}
	}
	for _, a := range []string{"192.0.2.11", "192.0.2.204", "192.0.2.127"} {
		if dmz.Addrs.Contains(netip.MustParseAddr(a)) {
			t.Errorf("DMZ has %s: %v", a, dmz.Addrs)
		}
	}
	c2 := mustParse(t, dIOS, `object-group network A
 group-object B
 group-object NOPE
object-group network B
 group-object C
 10.0.0.0 255.255.255.0
object-group network C
 host 192.0.2.1
 group-object A
ip access-list extended X
 permit ip object-group A any
`)
	expect(t, c2, "X", fl{proto: 6, src: "192.0.2.1", dst: "1.1.1.1", dport: 1}, policy.Permit, "10")
	expect(t, c2, "X", fl{proto: 6, src: "10.0.0.99", dst: "1.1.1.1", dport: 1}, policy.Permit, "10")
	expect(t, c2, "X", fl{proto: 6, src: "10.0.1.1", dst: "1.1.1.1", dport: 1}, policy.Deny, "")
	if len(c2.Undefined) != 1 || c2.Undefined[0].Name != "NOPE" || c2.Undefined[0].Pos.Line != 3 {
		t.Errorf("undefined %+v", c2.Undefined)
	}
	if len(c2.Warnings) < 2 { // undefined member + cycle
		t.Errorf("warnings %+v", c2.Warnings)
	}
}

func TestIPv6ACLs(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	v6 := c.Filter("V6-IN")
	if v6.Rules[0].Name != "10" || v6.Rules[1].Name != "20" || v6.Rules[2].Name != "30" {
		t.Errorf("sequence order: %s %s %s", v6.Rules[0].Name, v6.Rules[1].Name, v6.Rules[2].Name)
	}
	// "icmp" in an IPv6 ACL is ICMPv6; packet-too-big is type 2
	expect(t, c, "V6-IN", fl{proto: 58, src: "2001:db8:9::1", dst: "2001:db8::5", typ: 2}, policy.Permit, "10")
	expect(t, c, "V6-IN", fl{proto: 6, src: "2001:db8:1::1", dst: "2001:db8::5", dport: 22}, policy.Permit, "20")
	expect(t, c, "V6-IN", fl{proto: 6, src: "2001:db8:bad::1", dst: "2001:db8::1", dport: 22}, policy.Deny, "30")
	expect(t, c, "V6-IN", fl{proto: 17, src: "2001:db8:7::1", dst: "2001:db8::1", dport: 5}, policy.Permit, "40")
	// IOS implicitly permits neighbor discovery before the implicit deny
	expect(t, c, "V6-IN", fl{proto: 58, src: "fe80::1", dst: "fe80::2", typ: 135}, policy.Permit, "implicit-nd-ns")
	expect(t, c, "V6-IN", fl{proto: 58, src: "fe80::1", dst: "fe80::2", typ: 128}, policy.Deny, "")
	// ...unless an explicit deny ipv6 any any comes first
	expect(t, c, "V6-STRICT", fl{proto: 58, src: "fe80::1", dst: "fe80::2", typ: 136}, policy.Deny, "20")
	c2 := mustParse(t, dIOS, "ipv6 access-list S\n sequence 20 deny tcp any any\n sequence 10 permit tcp host 2001:db8::1 any\n")
	expect(t, c2, "S", fl{proto: 6, src: "2001:db8::1", dst: "2001:db8::2", dport: 80}, policy.Permit, "10")
	expect(t, c2, "S", fl{proto: 6, src: "2001:db8::3", dst: "2001:db8::2", dport: 80}, policy.Deny, "20")
	if _, err := parse("t.cfg", []byte("ipv6 access-list X\n permit ipv6 10.0.0.0/8 any\n"), dIOS); err == nil {
		t.Error("IPv4 prefix accepted in an IPv6 ACL")
	}
}

func TestManagementBindings(t *testing.T) {
	c := mustParse(t, dEOS, `ip access-list standard SSH
   10 permit 10.0.0.0/8
ipv6 access-list standard SSH6
   10 permit 2001:db8::/32
management ssh
   ip access-group SSH vrf MGMT in
   ipv6 access-group SSH6 in
system control-plane
   ip access-group SSH in
snmp-server community s3cret view all ro SSH
ntp access-group serve SSH kod
interface Ethernet2
   ip access-group SSH vrf X out
`)
	var got []string
	for _, b := range c.Bindings {
		got = append(got, b.Filter+"|"+b.Kind+"|"+b.Target+"|"+b.Direction)
	}
	want := "SSH|vty|management ssh|in,SSH6|vty|management ssh|in,SSH|global|control-plane|in,SSH|global|snmp-server community|in,SSH|global|ntp|in,SSH|interface|Ethernet2|out"
	if strings.Join(got, ",") != want {
		t.Errorf("bindings\n got %s\nwant %s", strings.Join(got, ","), want)
	}
}

func TestStandardExtendedClash(t *testing.T) {
	c := mustParse(t, dIOS, "ip access-list standard S\n permit 10.0.0.1\nip access-list extended S\n permit tcp any any\nip access-list extended 10\n permit tcp any any\n")
	if len(c.Filters) != 1 || len(c.Filter("S").Rules) != 1 || len(c.Warnings) != 2 {
		t.Errorf("filters %d, warnings %+v", len(c.Filters), c.Warnings)
	}
}

func TestEmptyACLPermitsAll(t *testing.T) {
	src := "ip access-list extended EMPTY\n remark nothing yet\nip access-list extended BROKEN\n permit ip object-group NOPE any\nipv6 access-list E6\nip access-list extended ONE\n permit tcp any any\n"
	c := mustParse(t, dIOS, src)
	for _, n := range []string{"EMPTY", "BROKEN", "E6"} {
		if f := c.Filter(n); f.Default != policy.Permit || f.Meta["empty"] != "true" {
			t.Errorf("%s: default %v meta %v", n, f.Default, f.Meta)
		}
	}
	expect(t, c, "EMPTY", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 53}, policy.Permit, "")
	expect(t, c, "BROKEN", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 53}, policy.Permit, "")
	expect(t, c, "E6", fl{proto: 17, src: "2001:db8::1", dst: "2001:db8::2", dport: 53}, policy.Permit, "")
	expect(t, c, "ONE", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 53}, policy.Deny, "")
	// NX-OS keeps the implicit deny
	c2 := mustParse(t, dNXOS, "ip access-list EMPTY\n  statistics per-entry\n")
	if c2.Filter("EMPTY").Default != policy.Deny {
		t.Error("NX-OS empty ACL must keep its implicit deny")
	}
}

func TestSameNameIPv4AndIPv6(t *testing.T) {
	c := mustParse(t, dIOS, "ip access-list extended EDGE\n permit tcp any any\nipv6 access-list EDGE\n permit udp any any\ninterface Gi1\n ip access-group EDGE in\n ipv6 traffic-filter EDGE in\n")
	if len(c.Filters) != 2 || c.Filter("EDGE").Family != policy.FamilyIPv4 || c.Filter("ipv6:EDGE") == nil {
		t.Fatalf("filters %v", c.Filters)
	}
	if c.Bindings[0].Filter != "EDGE" || c.Bindings[1].Filter != "ipv6:EDGE" {
		t.Errorf("bindings %+v", c.Bindings)
	}
}

func TestNumberedVsNamed(t *testing.T) {
	c := mustParse(t, dIOS, `access-list 5 permit 10.0.0.1
ip access-list standard 5
 permit 10.0.0.2
access-list 5 deny 10.0.0.0 0.0.0.255
no access-list 115
access-list 115 permit tcp any any eq 22
access-list 115 deny ip any any
no access-list 115
access-list 115 permit udp any any
access-list 1300 permit any
access-list 2000 permit icmp any any echo
access-list 700 permit 0000.1111.2222 0000.0000.0000
ip access-list extended NAMED
 permit tcp any any
`)
	f5 := c.Filter("5")
	if f5 == nil || len(f5.Rules) != 3 || f5.Pos.Line != 1 || f5.Meta["type"] != "standard" || f5.Meta["numbered"] != "true" {
		t.Fatalf("ACL 5: %+v", f5)
	}
	expect(t, c, "5", fl{proto: 6, src: "10.0.0.2", dst: "1.1.1.1", dport: 1}, policy.Permit, "20")
	expect(t, c, "5", fl{proto: 6, src: "10.0.0.9", dst: "1.1.1.1", dport: 1}, policy.Deny, "30")
	f115 := c.Filter("115")
	if len(f115.Rules) != 1 || f115.Pos.Line != 9 || f115.Meta["type"] != "extended" {
		t.Errorf("ACL 115 after deletion: %d rules at %v", len(f115.Rules), f115.Pos)
	}
	expect(t, c, "1300", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 1}, policy.Permit, "10")
	expect(t, c, "2000", fl{proto: 1, src: "1.1.1.1", dst: "2.2.2.2", typ: 8}, policy.Permit, "10")
	if c.Filter("700") != nil || len(c.Warnings) != 1 {
		t.Errorf("MAC ACL 700 must be skipped with a warning: %+v", c.Warnings)
	}
	if f := c.Filter("NAMED"); f.Meta["numbered"] != "" || f.Meta["type"] != "extended" {
		t.Errorf("NAMED meta %v", f.Meta)
	}
}

func TestSequenceNumbers(t *testing.T) {
	c := load(t, "ios-router.cfg", IOS.Parse)
	var got []string
	for _, r := range c.Filter("ORDERED").Rules {
		got = append(got, r.Name)
	}
	if strings.Join(got, ",") != "10,20,40" {
		t.Errorf("ORDERED rules %v", got)
	}
	expect(t, c, "ORDERED", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 23}, policy.Deny, "10")
	expect(t, c, "ORDERED", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 80}, policy.Deny, "")
	if r := c.Filter("ORDERED").Rules[1]; r.Extras.Comment != "block smtp too" {
		t.Errorf("remark %q", r.Extras.Comment)
	}
	c2 := mustParse(t, dIOS, "ip access-list extended D\n 10 permit ip any any\n 10 deny ip any any\n 30 deny ip any any\n 20 permit tcp any any\n 20 deny tcp any any\n no 30\n 30 permit udp any any\n")
	var names []string
	for _, r := range c2.Filter("D").Rules {
		names = append(names, r.Name+":"+r.Action.String())
	}
	if strings.Join(names, ",") != "10:permit,20:permit,30:permit" || len(c2.Warnings) != 2 {
		t.Errorf("duplicate sequence numbers must keep the first entry: %v %v", names, c2.Warnings)
	}
	// reversed numbering is sorted back and stays fast
	var b strings.Builder
	b.WriteString("ip access-list R\n")
	for i := 20000; i > 0; i-- {
		b.WriteString("  " + strconv.Itoa(i*10) + " permit tcp any any eq " + strconv.Itoa(i%65535) + "\n")
	}
	c3 := mustParse(t, dNXOS, b.String())
	if rs := c3.Filter("R").Rules; len(rs) != 20000 || rs[0].Name != "10" || rs[0].Pos.Line != 20001 {
		t.Errorf("reversed ACL: %d rules, first %s", len(rs), rs[0].Name)
	}
}

func TestUndefinedObjectGroups(t *testing.T) {
	c := mustParse(t, dIOS, `object-group network USED
 host 10.0.0.1
object-group network UNUSED
 host 10.0.0.2
ip access-list extended X
 permit ip object-group NOSUCH any
 permit object-group NOSVC any any
 permit tcp any object-group USED portgroup NOPG
 permit ip object-group USED any
`)
	var undef []string
	for _, u := range c.Undefined {
		undef = append(undef, u.Kind+":"+u.Name)
	}
	if strings.Join(undef, ",") != "object-group:NOSUCH,object-group:NOSVC,object-group:NOPG" {
		t.Errorf("undefined %v", undef)
	}
	rs := c.Filter("X").Rules
	if rs[0].Match.Src.Unresolved[0] != "NOSUCH" || rs[1].Match.Unresolved[0] != "NOSVC" || rs[2].Match.Unresolved[0] != "NOPG" {
		t.Errorf("unresolved not kept: %+v", rs)
	}
	// rules with undefined references match nothing; evaluation goes on
	expect(t, c, "X", fl{proto: 6, src: "10.0.0.9", dst: "10.0.0.1", dport: 80}, policy.Deny, "")
	expect(t, c, "X", fl{proto: 6, src: "10.0.0.1", dst: "10.0.0.1", dport: 80}, policy.Permit, "40")
	if len(c.Warnings) != 3 {
		t.Errorf("warnings %+v", c.Warnings)
	}
	// Refs record every group used, so lint can compute UNUSED
	refs := map[string]bool{}
	for _, r := range rs {
		for _, n := range append(append(r.Match.Src.Refs, r.Match.Dst.Refs...), r.Match.ServiceRefs...) {
			refs[n] = true
		}
	}
	if !refs["USED"] || !refs["NOSUCH"] || !refs["NOSVC"] || !refs["NOPG"] || refs["UNUSED"] {
		t.Errorf("refs %v", refs)
	}
	if c.Object("UNUSED") == nil {
		t.Error("unused group not recorded")
	}
}

func TestNXOS(t *testing.T) {
	c := load(t, "nxos-leaf.cfg", NXOS.Parse)
	if c.Device != "leaf1" || c.Vendor != "nxos" || len(c.Filters) != 2 {
		t.Fatalf("device %q vendor %q filters %d", c.Device, c.Vendor, len(c.Filters))
	}
	expect(t, c, "COPP-ACL", fl{proto: 6, src: "11.36.216.170", dst: "11.36.216.169", dport: 179}, policy.Permit, "20")
	expect(t, c, "COPP-ACL", fl{proto: 1, src: "1.1.1.1", dst: "2.2.2.2", typ: 5, code: 1}, policy.Deny, "30")
	// addrgroup + portgroup; the NX-OS group entry "10.30.0.0 0.0.255.254" is a wildcard
	expect(t, c, "COPP-ACL", fl{proto: 6, src: "1.1.1.1", dst: "10.20.3.4", dport: 8085}, policy.Permit, "40")
	expect(t, c, "COPP-ACL", fl{proto: 6, src: "1.1.1.1", dst: "10.30.7.8", dport: 80}, policy.Permit, "40")
	expect(t, c, "COPP-ACL", fl{proto: 6, src: "1.1.1.1", dst: "10.30.7.9", dport: 80}, policy.Deny, "80")
	expect(t, c, "COPP-ACL", fl{proto: 6, src: "1.1.1.1", dst: "10.20.3.4", dport: 81}, policy.Deny, "80")
	expect(t, c, "COPP-ACL", fl{proto: 17, src: "192.0.2.9", sport: 50000, dst: "192.0.2.1", dport: 3784}, policy.Permit, "50")
	// a bare address is a host
	expect(t, c, "COPP-ACL", fl{proto: 47, src: "166.146.58.184", dst: "2.2.2.2"}, policy.Permit, "60")
	expect(t, c, "COPP-ACL", fl{proto: 47, src: "166.146.58.185", dst: "2.2.2.2"}, policy.Deny, "80")
	if r := c.Filter("COPP-ACL").Rules[5]; r.Name != "70" || !r.Match.NotInitial || r.Match.TCPFlags != "ack" {
		t.Errorf("ack rule %+v", r.Match)
	}
	// NX-OS implicit IPv6 rules permit ND and RS/RA
	expect(t, c, "V6-ACL", fl{proto: 58, src: "fe80::1", dst: "ff02::1", typ: 134}, policy.Deny, "20")
	if n := len(c.Filter("V6-ACL").Rules); n != 6 {
		t.Errorf("V6-ACL rules %d", n)
	}
	if len(c.Bindings) != 3 || c.Bindings[2].Kind != "vty" || c.Bindings[1].Direction != "out" {
		t.Errorf("bindings %+v", c.Bindings)
	}
}

func TestEOS(t *testing.T) {
	c := load(t, "eos-switch.cfg", EOS.Parse)
	if c.Device != "sw1" || len(c.Filters) != 3 {
		t.Fatalf("device %q filters %d", c.Device, len(c.Filters))
	}
	expect(t, c, "MGMT-STD", fl{proto: 6, src: "10.1.2.3", dst: "1.1.1.1", dport: 22}, policy.Permit, "10")
	expect(t, c, "MGMT-STD", fl{proto: 6, src: "11.1.2.3", dst: "1.1.1.1", dport: 22}, policy.Deny, "30")
	// "tracked" only matches existing connections
	expect(t, c, "CP-ACL", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 4432}, policy.Permit, "30")
	expect(t, c, "CP-ACL", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 68}, policy.Permit, "40")
	expect(t, c, "CP-ACL", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 123}, policy.Permit, "40")
	expect(t, c, "CP-ACL", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 69}, policy.Deny, "70")
	expect(t, c, "CP-ACL", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 443}, policy.Permit, "60")
	if r := c.Filter("CP-ACL").Rules[1]; !r.Match.NotInitial {
		t.Error("tracked must be NotInitial")
	}
	if r := c.Filter("CP-ACL").Rules[2]; r.Extras.Vendor["ttl"] != "eq 255" {
		t.Errorf("ttl kept: %v", r.Extras.Vendor)
	}
	// no implicit ND rules modelled for EOS
	if n := len(c.Filter("V6-CP").Rules); n != 2 {
		t.Errorf("V6-CP rules %d", n)
	}
}

func TestUnindentedEntries(t *testing.T) {
	c := mustParse(t, dIOS, "object-group network G\nhost 10.0.0.1\nip access-list extended X\npermit ip object-group G any\ndeny ip any any\ninterface Gi1\npermit ip any any\n")
	if n := len(c.Filter("X").Rules); n != 2 {
		t.Errorf("X has %d rules", n)
	}
	expect(t, c, "X", fl{proto: 6, src: "10.0.0.1", dst: "1.1.1.1", dport: 1}, policy.Permit, "10")
}

func TestBanners(t *testing.T) {
	c := mustParse(t, dIOS, "banner exec ^C\nip access-list extended FAKE\n permit ip any any\n^C\nbanner motd #one line#\nbanner login %\n% access-list 1 permit any\naccess-list 2 permit any\n")
	if len(c.Filters) != 1 || c.Filters[0].Name != "2" {
		t.Errorf("filters %v", c.Filters)
	}
	_, err := parse("t.cfg", []byte("hostname x\nbanner motd ^C\nnever closed\n"), dIOS)
	if pe, ok := parser.AsError(err); !ok || pe.Pos.Line != 2 || pe.Pos.Col != 13 {
		t.Errorf("unterminated banner: %v", err)
	}
}

func TestPositionedErrors(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"ip access-list extended X\n permit tcp any any eq\n", 2, 23, "missing port"},
		{"ip access-list extended X\n permit tcp 10.0.0.300 any\n", 2, 13, "invalid address"},
		{"ip access-list extended X\n permit bogus any any\n", 2, 9, "unknown protocol"},
		{"ip access-list extended X\n permit ip any any foo\n", 2, 20, "unexpected"},
		{"ip access-list extended X\n allow ip any any\n", 2, 2, "expected permit"},
		{"access-list 101 permit tcp any any range 90 80\n", 1, 45, "reversed"},
		{"access-list 101 permit ip any\n", 1, 30, "missing address"},
		{"access-list 101 permit udp any any established\n", 1, 36, "needs protocol tcp"},
		{"access-list 101 permit ip any any eq 80\n", 1, 35, "needs protocol"},
		{"ipv6 access-list V\n permit tcp 2001:db8::/129 any\n", 2, 13, "invalid address"},
		{"object-group network G\n 10.0.0.0 255.0.255.0\n", 2, 11, "non-contiguous"},
		{"object-group network G\n host x\n", 2, 7, "invalid host"},
		{"object-group service S\n tcp eq nosuch\n", 2, 9, "unknown tcp port"},
		{"ip access-list X\n  10 permit tcp any any eq 80 ttl foo 1\n", 2, 35, "unknown ttl operator"},
	}
	for _, tc := range cases {
		_, err := parse("bad.cfg", []byte(tc.src), dIOS)
		pe, ok := parser.AsError(err)
		if !ok {
			t.Errorf("%q: want *parser.Error, got %v", tc.src, err)
			continue
		}
		if pe.Pos.File != "bad.cfg" || pe.Pos.Line != tc.line || pe.Pos.Col != tc.col || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("%q: got %v, want bad.cfg:%d:%d: ...%s...", tc.src, err, tc.line, tc.col, tc.msg)
		}
	}
}
