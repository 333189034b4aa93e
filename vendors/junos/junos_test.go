package junos

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/parsebench"
	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

const fixtures = "../../testdata/junos/"

func load(t testing.TB, name string) *policy.Config {
	t.Helper()
	data, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(name, data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return c
}

func fl(proto uint8, src, dst string, sport, dport uint16) *policy.Flow {
	return &policy.Flow{Proto: proto, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), SrcPort: sport, DstPort: dport}
}

func icmp(src, dst string, typ, code uint8) *policy.Flow {
	p := uint8(policy.ProtoICMP)
	if strings.Contains(src, ":") {
		p = policy.ProtoICMPv6
	}
	return &policy.Flow{Proto: p, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), ICMPType: typ, ICMPCode: code}
}

type want struct {
	filter string
	flow   *policy.Flow
	action policy.Action
	rule   string // "" = filter default decided
}

func check(t *testing.T, c *policy.Config, cases []want) {
	t.Helper()
	for i, w := range cases {
		f := c.Filter(w.filter)
		if f == nil {
			t.Fatalf("case %d: no filter %q", i, w.filter)
		}
		d := c.Decide(f, w.flow)
		got := ""
		if d.Rule != nil {
			got = d.Rule.Name
		}
		if d.Err != "" {
			t.Errorf("case %d: %s", i, d.Err)
		}
		if d.Action != w.action || got != w.rule || d.Default != (w.rule == "") {
			t.Errorf("case %d (%s %+v): got %v by %q (default=%v), want %v by %q", i, w.filter, *w.flow, d.Action, got, d.Default, w.action, w.rule)
		}
	}
}

const tcp, udp = policy.ProtoTCP, policy.ProtoUDP

var policyCases = []want{
	// first match, count-only term accepts nothing by itself, prefix-list
	{"PROTECT", fl(tcp, "198.51.100.5", "192.0.2.1", 40000, 22), policy.Permit, "ssh"},
	{"PROTECT", fl(tcp, "198.51.100.5", "192.0.2.1", 40000, 23), policy.Deny, ""},
	// apply-path prefix-list is unresolved: matches nothing
	{"PROTECT", fl(tcp, "192.0.2.200", "192.0.2.1", 40000, 179), policy.Deny, ""},
	// next term: counted, then falls to the implicit discard
	{"PROTECT", fl(tcp, "8.8.8.8", "192.0.2.1", 40000, 443), policy.Deny, ""},
	// tcp-flags "syn & !ack" matches the first packet
	{"PROTECT", fl(tcp, "8.8.8.8", "192.0.2.1", 40000, 8080), policy.Permit, "syn-only"},
	// ICMP names
	{"PROTECT", icmp("8.8.8.8", "192.0.2.1", 8, 0), policy.Permit, "ping"},
	{"PROTECT", icmp("8.8.8.8", "192.0.2.1", 3, 3), policy.Permit, "unreach"},
	{"PROTECT", icmp("8.8.8.8", "192.0.2.1", 3, 0), policy.Deny, ""},
	{"PROTECT", icmp("8.8.8.8", "192.0.2.1", 13, 0), policy.Deny, ""},
	// inactive source-address condition is ignored; port names and ranges
	{"PROTECT", fl(udp, "1.2.3.4", "192.0.2.1", 5000, 53), policy.Permit, "dns"},
	{"PROTECT", fl(udp, "1.2.3.4", "192.0.2.1", 53, 53), policy.Deny, ""},
	// "port" matches either port
	{"PROTECT", fl(udp, "1.2.3.4", "192.0.2.1", 123, 9999), policy.Reject, "ntp-reject"},
	{"PROTECT", fl(udp, "1.2.3.4", "192.0.2.1", 9999, 123), policy.Reject, "ntp-reject"},
	{"PROTECT", fl(tcp, "1.2.3.4", "192.0.2.1", 9999, 123), policy.Deny, ""},
	// inactive term never matches
	{"PROTECT", fl(tcp, "192.0.2.66", "192.0.2.1", 40000, 9999), policy.Deny, ""},
	// except: longest match
	{"EXCEPTS", fl(tcp, "10.1.1.5", "192.0.2.1", 40000, 80), policy.Permit, "nets"},
	{"EXCEPTS", fl(tcp, "10.1.2.5", "192.0.2.1", 40000, 80), policy.Deny, ""},
	{"EXCEPTS", fl(tcp, "10.200.2.5", "192.0.2.1", 40000, 80), policy.Permit, "nets"},
	// address (either direction) with except, protocol-except
	{"EXCEPTS", icmp("10.1.2.5", "192.0.2.1", 8, 0), policy.Deny, "either"},
	{"EXCEPTS", icmp("172.16.1.1", "172.17.0.1", 8, 0), policy.Deny, ""},
	{"EXCEPTS", icmp("172.16.1.1", "8.8.8.8", 8, 0), policy.Deny, "either"},
	// IPv6 filter of the same name
	{"inet6:PROTECT", icmp("2001:db8::1", "2001:db8::2", 135, 0), policy.Permit, "icmp6"},
	{"inet6:PROTECT", icmp("2001:db8::1", "2001:db8::2", 1, 0), policy.Deny, ""},
	{"inet6:PROTECT", fl(tcp, "2001:db8:1::5", "2001:db8::2", 40000, 22), policy.Permit, "mgmt"},
	{"inet6:PROTECT", fl(tcp, "2001:db8:2::5", "2001:db8::2", 40000, 22), policy.Deny, ""},
	// input-list: EXCEPTS falls through to PROTECT, one discard at the end
	{"ge-0/0/1.0-i", fl(tcp, "10.1.1.5", "192.0.2.1", 40000, 22), policy.Permit, "nets"},
	{"ge-0/0/1.0-i", fl(tcp, "198.51.100.5", "192.0.2.1", 40000, 22), policy.Permit, "ssh"},
	{"ge-0/0/1.0-i", fl(tcp, "8.8.8.8", "192.0.2.1", 40000, 22), policy.Deny, ""},
	// SRX zone pair: its policies, then global, then default deny
	{"untrust>dmz", fl(tcp, "8.8.8.8", "192.0.2.81", 40000, 443), policy.Permit, "allow-web"},
	{"untrust>dmz", fl(tcp, "8.8.8.8", "192.0.2.82", 40000, 443), policy.Deny, ""},
	{"untrust>dmz", fl(tcp, "8.8.8.8", "192.0.2.81", 40000, 22), policy.Deny, ""},
	{"untrust>dmz", fl(udp, "198.51.100.15", "9.9.9.9", 40000, 53), policy.Permit, "dns"},
	{"untrust>dmz", fl(tcp, "198.51.100.15", "9.9.9.9", 40000, 53), policy.Permit, "dns"},
	{"untrust>dmz", fl(tcp, "198.51.100.21", "9.9.9.9", 40000, 53), policy.Deny, ""},
	{"untrust>dmz", fl(tcp, "8.8.8.8", "10.20.1.1", 40000, 5432), policy.Reject, "db"},
	{"untrust>dmz", icmp("8.8.8.8", "10.20.1.1", 8, 0), policy.Permit, "ping-all"},
	// inactive policy "legacy" and dns-name address "cdn" match nothing
	{"untrust>dmz", fl(tcp, "8.8.8.8", "10.99.0.1", 40000, 22), policy.Deny, ""},
	{"global", icmp("1.1.1.1", "2.2.2.2", 8, 0), policy.Permit, "ping-all"},
	{"global", fl(tcp, "1.1.1.1", "2.2.2.2", 40000, 443), policy.Deny, ""},
	// a count-only term accepts
	{"OUT", fl(udp, "192.0.2.1", "8.8.8.8", 40000, 53), policy.Permit, "all"},
}

func TestDecisionsHierarchical(t *testing.T) { check(t, load(t, "policy.conf"), policyCases) }
func TestDecisionsSet(t *testing.T)          { check(t, load(t, "policy.set"), policyCases) }

// stripPos removes positions and the format so two parses of the same
// policy in different formats compare equal.
func stripPos(v any) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "pos")
		delete(x, "format")
		delete(x, "file")
		for k, e := range x {
			x[k] = stripPos(e)
		}
	case []any:
		for i, e := range x {
			x[i] = stripPos(e)
		}
	}
	return v
}

func canon(t *testing.T, c *policy.Config) any {
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		t.Fatal(err)
	}
	return stripPos(v)
}

func TestSetEqualsHierarchical(t *testing.T) {
	h, s := load(t, "policy.conf"), load(t, "policy.set")
	if h.Format != "hierarchical" || s.Format != "set" {
		t.Fatalf("formats %q %q", h.Format, s.Format)
	}
	ch, cs := canon(t, h), canon(t, s)
	if !reflect.DeepEqual(ch, cs) {
		a, _ := json.MarshalIndent(ch, "", " ")
		b, _ := json.MarshalIndent(cs, "", " ")
		al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
		for i := 0; i < len(al) && i < len(bl); i++ {
			if al[i] != bl[i] {
				t.Fatalf("parse JSON differs at line %d:\nhier: %s\nset:  %s", i+1, al[i], bl[i])
			}
		}
		t.Fatalf("parse JSON differs in length: %d vs %d lines", len(al), len(bl))
	}
	// identical decisions over a grid of flows on every entry filter
	srcs := []string{"10.1.1.5", "10.1.2.5", "198.51.100.15", "172.16.1.1", "8.8.8.8", "192.0.2.66"}
	n := 0
	for _, f := range h.EntryFilters() {
		g := s.Filter(f.Name)
		for _, src := range srcs {
			for _, dport := range []uint16{22, 53, 80, 123, 179, 443, 5432, 8080} {
				for _, p := range []uint8{tcp, udp, policy.ProtoICMP} {
					x := fl(p, src, "192.0.2.81", 40000, dport)
					x.ICMPType = uint8(dport % 16)
					d1, d2 := h.Decide(f, x), s.Decide(g, x)
					if d1.Action != d2.Action || (d1.Rule == nil) != (d2.Rule == nil) || d1.Rule != nil && d1.Rule.Name != d2.Rule.Name {
						t.Fatalf("%s %+v: hierarchical %v, set %v", f.Name, *x, d1.Action, d2.Action)
					}
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no decisions compared")
	}
}

func TestModelDetails(t *testing.T) {
	c := load(t, "policy.conf")
	if c.Device != "edge1" {
		t.Errorf("device %q", c.Device)
	}
	v6 := c.Filter("inet6:PROTECT")
	if v6 == nil || v6.Family != policy.FamilyIPv6 || v6.Meta["family"] != "inet6" || v6.Meta["name"] != "PROTECT" {
		t.Fatalf("inet6 filter: %+v", v6)
	}
	if p := c.Filter("PROTECT"); p.Family != policy.FamilyIPv4 || p.Default != policy.Deny || !p.Entry || p.Pos.Line != 49 {
		t.Errorf("PROTECT: %+v", p)
	}
	var old, ssh, est, frags *policy.Rule
	for _, r := range c.Filter("PROTECT").Rules {
		switch r.Name {
		case "old":
			old = r
		case "ssh":
			ssh = r
		case "established":
			est = r
		case "frags":
			frags = r
		}
	}
	if old == nil || !old.Inactive || old.Match.Src.Any {
		t.Errorf("inactive term must be kept with its content: %+v", old)
	}
	if ssh.Extras.Comment != "management ssh only" || ssh.Pos.Line != 57 || ssh.Pos.Col != 13 {
		t.Errorf("ssh term: %+v %v", ssh.Extras, ssh.Pos)
	}
	if !est.Match.NotInitial || !est.Match.TCPEstablished || !frags.Match.NotInitial {
		t.Errorf("NotInitial not set: %+v %+v", est.Match, frags.Match)
	}
	wantBind := map[string]string{
		"PROTECT|ge-0/0/0.0|in": "", "OUT|ge-0/0/0.0|out": "", "inet6:PROTECT|ge-0/0/0.0|in": "",
		"ge-0/0/1.0-i|ge-0/0/1.0|in": "", "untrust>dmz|untrust>dmz|": "zone-pair", "global|global|": "global",
	}
	for _, b := range c.Bindings {
		k := b.Filter + "|" + b.Target + "|" + b.Direction
		kind, ok := wantBind[k]
		if !ok {
			t.Errorf("unexpected binding %+v", b)
			continue
		}
		if kind == "" {
			kind = "interface"
		}
		if b.Kind != kind {
			t.Errorf("binding %s kind %q", k, b.Kind)
		}
		delete(wantBind, k)
	}
	if len(wantBind) > 0 {
		t.Errorf("missing bindings %v", wantBind)
	}
	pair := c.Filter("untrust>dmz")
	if pair.Kind != "srx-policy" || pair.Meta["from-zone"] != "untrust" || pair.Meta["to-zone"] != "dmz" {
		t.Errorf("zone pair: %+v", pair)
	}
	ws := ""
	for _, w := range c.Warnings {
		ws += w.Msg + "\n"
	}
	for _, s := range []string{"apply-path", "DNS name"} {
		if !strings.Contains(ws, s) {
			t.Errorf("no warning about %s in:\n%s", s, ws)
		}
	}
	if o := c.Object("webs"); o == nil || o.Addrs.String() != "192.0.2.80/31" || len(o.Members) != 2 {
		t.Errorf("address-set: %+v", o)
	}
	if o := c.Object("BGP-PEERS"); o == nil || o.Unresolved == "" {
		t.Errorf("apply-path prefix-list: %+v", o)
	}
}

func TestLongestMatchExcept(t *testing.T) {
	src := `firewall { family inet { filter F { term t { from { source-address { 10.0.0.0/8; 10.1.0.0/16 except; 10.1.1.0/24; } } then accept; } } } }`
	c, err := Parse("x", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Filter("F")
	for ip, wantPermit := range map[string]bool{"10.1.1.5": true, "10.1.2.5": false, "10.9.9.9": true, "11.0.0.1": false} {
		d := c.Decide(f, fl(tcp, ip, "1.1.1.1", 1, 2))
		if (d.Action == policy.Permit) != wantPermit {
			t.Errorf("%s: %v", ip, d.Action)
		}
	}
}

func TestTCPFlags(t *testing.T) {
	for expr, want := range map[string]bool{
		"syn": true, "syn & !ack": true, "!ack": true, "ack": false, "rst | ack": false,
		"(syn|ack) & !rst": true, "syn + ack": false, "0x02": true, "0x12": false, "!syn": false, "fin,syn": true,
	} {
		got, err := evalTCPFlags(expr)
		if err != nil || got != want {
			t.Errorf("%q: %v %v", expr, got, err)
		}
	}
	for _, bad := range []string{"syn &", "(syn", "bogus", "syn ack"} {
		if _, err := evalTCPFlags(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"unbalanced", "firewall {\n}\n}\n", 3, 1, "unbalanced"},
		{"truncated", "firewall {\n    filter F {\n        term T {\n", 4, 1, "missing '}'"},
		{"no-semicolon", "firewall {\n  filter F {\n    term T {\n      then accept\n    }\n  }\n}\n", 5, 5, "expected ';'"},
		{"unknown-port", "firewall {\n  filter F {\n    term T {\n      from {\n        destination-port sshh;\n      }\n    }\n  }\n}\n", 5, 26, "unknown port"},
		{"bad-prefix", "firewall {\n  filter F {\n    term T {\n      from {\n        source-address {\n          10.0.0.300/24;\n        }\n      }\n    }\n  }\n}\n", 6, 11, "bad address"},
		{"v6-in-inet", "firewall { filter F { term T { from { source-address 2001:db8::/32; } } } }", 1, 54, "not a family inet"},
		{"bad-prefix-list", "policy-options {\n    prefix-list P {\n        10.0.0.0/33;\n    }\n}\n", 3, 9, "bad address"},
		{"unterminated-string", "system {\n  host-name \"abc;\n}\n", 2, 13, "unterminated string"},
		{"unterminated-comment", "/* abc\nfirewall {}\n", 1, 1, "unterminated"},
		{"set-truncated", "set system host-name x\nset firewall filter F term T from\n", 2, 30, "missing statement"},
		{"set-truncated-cond", "set system host-name x\nset firewall filter F term T from source-port\n", 2, 35, "missing value"},
		{"set-unknown-port", "set system host-name x\nset firewall family inet filter F term T from port bogus-port\n", 2, 52, "unknown port"},
		{"set-bad-range", "set system host-name x\nset firewall filter F term T from destination-port 90-80\n", 2, 52, "bad port range"},
		{"set-bad-icmp", "set system host-name x\nset firewall filter F term T from icmp-type echo-everything\n", 2, 45, "unknown ICMP type"},
		{"set-bad-tcp-flags", "set system host-name x\nset firewall filter F term T from tcp-flags \"syn &\"\n", 2, 45, "tcp-flags"},
		{"set-bad-address-book", "set security address-book global address A 1.2.3/33\n", 1, 44, "bad address"},
		{"set-bad-app-port", "set applications application A protocol tcp\nset applications application A destination-port nope\nset security policies from-zone a to-zone b policy p match application A\n", 2, 49, "unknown port"},
		{"set-unterminated-list", "set firewall filter F term T from protocol [ tcp udp\n", 1, 53, "unterminated '['"},
	}
	for _, tc := range cases {
		_, err := Parse("f.conf", []byte(tc.src))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var pe *parser.Error
		if !errors.As(err, &pe) {
			t.Errorf("%s: not a *parser.Error: %v", tc.name, err)
			continue
		}
		if pe.Pos.File != "f.conf" || pe.Pos.Line != tc.line || pe.Pos.Col != tc.col || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("%s: got %v, want f.conf:%d:%d: ...%s...", tc.name, err, tc.line, tc.col, tc.msg)
		}
	}
}

func TestSkipsNonFirewall(t *testing.T) {
	src := `
system { host-name r1; login { user admin { authentication { encrypted-password "$6$x;y}"; } } } }
protocols { ospf { area 0.0.0.0 { interface ge-0/0/0.0; } } bgp { group g { neighbor 192.0.2.1 { peer-as 65000; } } } }
routing-options { static { route 0.0.0.0/0 next-hop 192.0.2.254; } }
snmp { community public { authorization read-only; } }
firewall { policer p { if-exceeding { bandwidth-limit 1m; burst-size-limit 10k; } then discard; } }
`
	c, err := Parse("r1", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Device != "r1" || len(c.Filters) != 0 {
		t.Fatalf("%+v", c)
	}
}

func TestInactiveFilterDropped(t *testing.T) {
	for _, src := range []string{
		"firewall { family inet { inactive: filter F { term t { then accept; } } filter G { term t { then accept; } } } }",
		"set firewall filter F term t then accept\nset firewall filter G term t then accept\ndeactivate firewall filter F\n",
	} {
		c, err := Parse("x", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if c.Filter("F") != nil || c.Filter("G") == nil || len(c.Warnings) == 0 {
			t.Errorf("inactive filter not dropped: %+v %v", c.Filters, c.Warnings)
		}
	}
}

func TestNestedFilterAndDelete(t *testing.T) {
	src := "set firewall filter COMMON term a from protocol udp\nset firewall filter COMMON term a then accept\n" +
		"set firewall filter F term common filter COMMON\nset firewall filter F term tcp from protocol tcp\nset firewall filter F term tcp then accept\n" +
		"set firewall filter F term gone then accept\ndelete firewall filter F term gone\n"
	c, err := Parse("x", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Filter("F")
	if len(f.Rules) != 2 {
		t.Fatalf("rules: %d", len(f.Rules))
	}
	check(t, c, []want{
		{"F", fl(udp, "1.1.1.1", "2.2.2.2", 1, 2), policy.Permit, "a"},
		{"F", fl(tcp, "1.1.1.1", "2.2.2.2", 1, 2), policy.Permit, "tcp"},
		{"F", icmp("1.1.1.1", "2.2.2.2", 8, 0), policy.Deny, ""},
	})
}

// corpus lists the Junos files of ../shared/corpus with their filter counts.
var corpus = map[string]int{
	"batfish/firewall-filters":             12, // 7 filters + 5 input/output lists
	"batfish/firewall-combined-policies":   3,  // FILTER1, trust>untrust, global
	"batfish/firewall-global-address-book": 2,
	"batfish/juniper_firewall":             3, // ethernet-switching filters skipped
	"batfish/juniper_security":             2,
	"trigger/junos-examples.txt":           9, // each example twice: merged
}

func TestCorpus(t *testing.T) {
	root := "../../../shared/corpus/"
	if _, err := os.Stat(root); err != nil {
		t.Skip("corpus absent")
	}
	for name, n := range corpus {
		data, err := os.ReadFile(root + name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if Detect(data) < 50 {
			t.Errorf("%s: detect %d", name, Detect(data))
		}
		c, err := Parse(name, data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(c.Filters) != n {
			var names []string
			for _, f := range c.Filters {
				names = append(names, f.Name)
			}
			t.Errorf("%s: %d filters %v, want %d", name, len(c.Filters), names, n)
		}
	}
	// spot checks of corpus semantics
	data, _ := os.ReadFile(root + "batfish/firewall-combined-policies")
	c, _ := Parse("fcp", data)
	check(t, c, []want{
		{"trust>untrust", fl(tcp, "1.2.3.1", "9.9.9.9", 1, 2), policy.Permit, "P0"},
		{"trust>untrust", fl(tcp, "1.2.3.2", "9.9.9.9", 1, 2), policy.Deny, "P1"},
		{"trust>untrust", fl(tcp, "1.2.3.5", "9.9.9.9", 1, 2), policy.Deny, "P1"}, // global P1
		{"trust>untrust", fl(tcp, "1.2.3.9", "9.9.9.9", 1, 2), policy.Permit, ""}, // default-policy permit-all
		{"FILTER1", fl(tcp, "2.2.2.2", "9.9.9.9", 1, 2), policy.Reject, "TERM1"},
	})
	data, _ = os.ReadFile(root + "batfish/firewall-global-address-book")
	c, _ = Parse("fgab", data)
	check(t, c, []want{
		{"trust>untrust", fl(tcp, "1.2.3.4", "9.9.9.9", 1, 2), policy.Permit, "PNAME"}, // wildcard-address
		{"trust>untrust", fl(tcp, "1.3.3.4", "9.9.9.9", 1, 2), policy.Permit, "PNAME"},
		{"trust>untrust", fl(tcp, "1.3.3.5", "9.9.9.9", 1, 2), policy.Deny, ""},
		{"trust>untrust", fl(tcp, "2.2.2.2", "9.9.9.9", 1, 2), policy.Permit, "PNAME"},
	})
}

func TestDetect(t *testing.T) {
	for _, name := range []string{"policy.conf", "policy.set"} {
		data, _ := os.ReadFile(fixtures + name)
		if d := Detect(data); d != 100 {
			t.Errorf("%s: detect %d", name, d)
		}
	}
	others := map[string]string{
		"iptables":  "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
		"nft":       "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t\ttcp dport 22 accept\n\t}\n}\n",
		"ios":       "hostname r1\n!\nip access-list extended X\n permit tcp any any eq 22\n!\ninterface Gi0/0\n ip access-group X in\n",
		"asa":       "ASA Version 9.8\nhostname fw\naccess-list OUT extended permit tcp any any eq 443\n",
		"yaml":      "filters:\n  - name: x\n    rules: []\n",
		"readme":    "# Firewall\n\nSet up the filter {like this}.\n",
		"route-map": "route-map X permit 10\n set local-preference 200\n set community 1:1\n",
	}
	for name, s := range others {
		if d := Detect([]byte(s)); d != 0 {
			t.Errorf("%s: detect %d, want 0", name, d)
		}
	}
	root := "../../../shared/corpus/"
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".md") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if _, isJunos := corpus[rel]; isJunos {
			return nil
		}
		data, _ := os.ReadFile(p)
		if s := Detect(data); s != 0 {
			t.Errorf("%s: detect %d, want 0", rel, s)
		}
		return nil
	})
}

func TestGeneratorFormatsAgree(t *testing.T) {
	var h, s bytes.Buffer
	if err := GenerateConfig(&h, 120, 7); err != nil {
		t.Fatal(err)
	}
	if err := GenerateSetConfig(&s, 120, 7); err != nil {
		t.Fatal(err)
	}
	ch, err := Parse("h", h.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Parse("s", s.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Filters) != 3 || !reflect.DeepEqual(canon(t, ch), canon(t, cs)) {
		t.Fatalf("generated formats disagree (%d filters)", len(ch.Filters))
	}
	var h2 bytes.Buffer
	GenerateConfig(&h2, 120, 7)
	if !bytes.Equal(h.Bytes(), h2.Bytes()) {
		t.Fatal("generator not deterministic")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"policy.conf", "policy.set"} {
		data, err := os.ReadFile(fixtures + name)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("firewall { filter F { term T { from { address { 10/8 except; } port [ 1-2 ssh ]; tcp-flags \"(syn&!ack)\"; } then { count c; next term; } } } }"))
	f.Add([]byte("set security policies global policy p match application junos-dns-udp\ndeactivate security policies global policy p\nannotate firewall filter F \"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz", data)
		if err != nil {
			if _, ok := parser.AsError(err); !ok {
				t.Fatalf("error is not a *parser.Error: %v", err)
			}
			return
		}
		_ = Detect(data)
		for _, fl := range c.Filters {
			c.Decide(fl, &policy.Flow{Proto: 6, Src: netip.MustParseAddr("10.1.1.1"), Dst: netip.MustParseAddr("10.2.2.2"), DstPort: 22})
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, format := range []string{"hierarchical", "set"} {
		b.Run(format, func(b *testing.B) {
			gen := GenerateConfig
			if format == "set" {
				gen = GenerateSetConfig
			}
			data := parsebench.Generated(b, func(w *bytes.Buffer) error { return gen(w, 20000, 1) })
			parsebench.Run(b, data, func(data []byte) error { _, err := Parse("bench", data); return err })
		})
	}
}
