package iptables

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

const fixtures = "../../testdata/iptables"

func load(t testing.TB, name string) *policy.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	var c *policy.Config
	if strings.HasSuffix(name, ".ipset") {
		c, err = ParseIPSet(filepath.Join(fixtures, name), data)
	} else {
		c, err = Parse(filepath.Join(fixtures, name), data)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

type flowSpec struct {
	proto            uint8
	src, dst         string
	sport, dport     uint16
	icmpType, icmpCd uint8
	in, out          string
}

func (f flowSpec) flow() *policy.Flow {
	return &policy.Flow{Proto: f.proto, Src: netip.MustParseAddr(f.src), Dst: netip.MustParseAddr(f.dst),
		SrcPort: f.sport, DstPort: f.dport, ICMPType: f.icmpType, ICMPCode: f.icmpCd, InIface: f.in, OutIface: f.out}
}

func tcp(src string, sport uint16, dport uint16) flowSpec {
	return flowSpec{proto: policy.ProtoTCP, src: src, dst: "192.0.2.1", sport: sport, dport: dport}
}

func udp(src string, sport uint16, dport uint16) flowSpec {
	return flowSpec{proto: policy.ProtoUDP, src: src, dst: "192.0.2.1", sport: sport, dport: dport}
}

func icmp(typ, code uint8) flowSpec {
	return flowSpec{proto: policy.ProtoICMP, src: "10.0.0.1", dst: "192.0.2.1", icmpType: typ, icmpCd: code}
}

type want struct {
	action policy.Action
	filter string // filter holding the deciding rule ("" = default)
	rule   string // rule name ("" = default)
	steps  int    // len(Trail), -1 = don't care
}

func check(t *testing.T, c *policy.Config, entry string, fs flowSpec, w want) {
	t.Helper()
	fl := c.Filter(entry)
	if fl == nil {
		t.Fatalf("no filter %s", entry)
	}
	d := c.Decide(fl, fs.flow())
	if d.Err != "" {
		t.Errorf("%+v: decide error %s", fs, d.Err)
	}
	gotRule, gotFilter := "", ""
	if d.Rule != nil {
		gotRule, gotFilter = d.Rule.Name, d.Filter.Name
	}
	if d.Action != w.action || gotRule != w.rule || gotFilter != w.filter || (w.steps >= 0 && len(d.Trail) != w.steps) {
		t.Errorf("%s %+v: got %v by %s/%s (default=%v, trail %+v), want %v by %s/%s (%d steps)",
			entry, fs, d.Action, gotFilter, gotRule, d.Default, d.Trail, w.action, w.filter, w.rule, w.steps)
	}
}

func TestBasicStructure(t *testing.T) {
	c := load(t, "basic.rules")
	if c.Vendor != "iptables" || c.Format != "iptables-save" {
		t.Errorf("vendor/format %s/%s", c.Vendor, c.Format)
	}
	var entries []string
	for _, f := range c.EntryFilters() {
		entries = append(entries, f.Name)
		if f.Family != policy.FamilyIPv4 {
			t.Errorf("%s family %v", f.Name, f.Family)
		}
	}
	if strings.Join(entries, ",") != "INPUT,FORWARD,OUTPUT" {
		t.Errorf("entry filters %v", entries)
	}
	if len(c.Filters) != 4+6 {
		t.Errorf("want 10 filters (4 nat + 6 filter), got %d", len(c.Filters))
	}
	in := c.Filter("INPUT")
	if in.Default != policy.Deny || in.Pos.Line != 13 || in.Meta["table"] != "filter" {
		t.Errorf("INPUT: default %v pos %v meta %v", in.Default, in.Pos, in.Meta)
	}
	if c.Filter("OUTPUT").Default != policy.Permit {
		t.Error("OUTPUT policy")
	}
	web := c.Filter("WEB")
	if web.Entry || web.Default != policy.Return || web.Pos.Line != 17 {
		t.Errorf("WEB: %+v", web)
	}
	nat := c.Filter("nat/PREROUTING")
	if nat == nil || nat.Entry || nat.Meta["table"] != "nat" || len(nat.Rules) != 1 || nat.Rules[0].Extras.Vendor["target"] != "DNAT" ||
		nat.Rules[0].Extras.Vendor["target-options"] != "--to-destination 192.168.1.10:8080" {
		t.Fatalf("nat/PREROUTING: %+v", nat)
	}
	// -I INPUT 1 lands first, named "1", with its own source line
	r1 := in.Rules[0]
	if r1.Name != "1" || r1.Pos.Line != 42 || r1.Action != policy.Reject || r1.Extras.RejectWith != "icmp-port-unreachable" {
		t.Errorf("inserted rule: %+v", r1)
	}
	if r := in.Rules[1]; r.Name != "2" || r.Pos.Line != 19 || r.Match.InIface != "lo" {
		t.Errorf("rule 2: %+v", r)
	}
	// multiport --ports and ! --icmp-type 3/4 are two rules with one name
	names := map[string]int{}
	for _, r := range in.Rules {
		names[r.Name]++
	}
	if names["8"] != 2 || names["11"] != 2 || names["24"] != 1 || len(names) != 24 {
		t.Errorf("rule names %v", names)
	}
	// bindings: one hook per built-in chain
	if len(c.Bindings) != 7 {
		t.Errorf("bindings %+v", c.Bindings)
	}
	var comment, limit, logp string
	var flags, frag string
	var ct []string
	for _, r := range in.Rules {
		if r.Extras.Comment != "" {
			comment = r.Extras.Comment
		}
		if v := r.Extras.Vendor["limit"]; v != "" {
			limit = v
		}
		if v := r.Extras.Vendor["log"]; v != "" {
			logp = v
			if !r.Extras.Log || r.Action != policy.Next {
				t.Errorf("LOG rule %+v", r)
			}
		}
		if r.Match.TCPFlags != "" && r.Match.NotInitial {
			flags = r.Match.TCPFlags
		}
		if r.Match.Fragment != "" {
			frag = r.Match.Fragment
			if !r.Match.NotInitial {
				t.Error("-f must be NotInitial")
			}
		}
		if r.Name == "19" {
			ct = r.Match.CtStates
		}
	}
	if comment != `smtp "relay"` || limit != "--limit 5/sec --limit-burst 10" || logp != `--log-prefix "in-drop: " --log-level 4` {
		t.Errorf("extras: comment %q limit %q log %q", comment, limit, logp)
	}
	if flags != "! --tcp-flags FIN,SYN,RST,ACK SYN" || frag != "-f" || strings.Join(ct, ",") != "!NEW" {
		t.Errorf("flags %q frag %q ct %v", flags, frag, ct)
	}
	// the unknown module is kept and warned about
	found := false
	for _, w := range c.Warnings {
		if strings.Contains(w.Msg, "match module mark") && w.Pos.Line == 33 {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning for -m mark: %+v", c.Warnings)
	}
	if r := ruleAtLine(in, 33); r == nil || r.Extras.Vendor["m:mark"] != "--mark 0x1" {
		t.Errorf("-m mark not kept: %+v", r)
	}
	// the unresolved set
	if len(c.Undefined) != 1 || c.Undefined[0].Name != "trusted" || c.Undefined[0].Kind != "ipset" || c.Undefined[0].Pos.Line != 38 {
		t.Errorf("undefined %+v", c.Undefined)
	}
	if r := ruleAtLine(in, 38); r == nil || len(r.Match.Src.Unresolved) != 1 || r.Match.Src.Unresolved[0] != "trusted" {
		t.Errorf("set rule %+v", r)
	}
}

func ruleAtLine(f *policy.Filter, line int) *policy.Rule {
	for _, r := range f.Rules {
		if r.Pos.Line == line {
			return r
		}
	}
	return nil
}

func TestBasicDecide(t *testing.T) {
	c := load(t, "basic.rules")
	cases := []struct {
		name string
		f    flowSpec
		w    want
	}{
		{"inserted reject first", tcp("192.0.2.50", 40000, 1), want{policy.Reject, "INPUT", "1", 0}},
		{"loopback rule needs an interface", tcp("127.0.0.1", 40000, 9), want{policy.Deny, "", "", 0}},
		{"loopback with interface", flowSpec{proto: policy.ProtoTCP, src: "127.0.0.1", dst: "127.0.0.1", sport: 1, dport: 9, in: "lo"}, want{policy.Permit, "INPUT", "2", 0}},
		{"comma list jump to LOGDROP", tcp("203.0.113.100", 40000, 22), want{policy.Deny, "LOGDROP", "2", 1}},
		{"outside the /25", tcp("203.0.113.200", 40000, 7000), want{policy.Permit, "INPUT", "17", 0}},
		{"icmp echo", icmp(8, 0), want{policy.Permit, "INPUT", "7", 0}},
		{"icmp frag-needed escapes ! 3/4", icmp(3, 4), want{policy.Deny, "", "", 0}},
		{"icmp port-unreachable", icmp(3, 3), want{policy.Deny, "INPUT", "8", 0}},
		{"icmp echo-reply", icmp(0, 0), want{policy.Deny, "INPUT", "8", 0}},
		{"jump to WEB, accept", tcp("10.0.0.1", 40000, 443), want{policy.Permit, "WEB", "2", 1}},
		{"WEB rejects 80", tcp("10.0.0.1", 40000, 80), want{policy.Reject, "WEB", "3", 1}},
		{"WEB returns, falls off INPUT", tcp("192.0.2.7", 40000, 443), want{policy.Deny, "", "", 2}},
		{"WEB falls off for 8050, back in INPUT", tcp("10.0.0.1", 40000, 8050), want{policy.Deny, "", "", 1}},
		{"goto MGMT accepts", tcp("10.1.2.3", 40000, 22), want{policy.Permit, "MGMT", "1", 1}},
		// RETURN in a chain entered by goto returns past INPUT: the policy
		// applies, rule 22 (which would accept 10.7/16) is never reached
		{"goto MGMT return = INPUT policy", tcp("10.7.0.1", 40000, 22), want{policy.Deny, "", "", 2}},
		{"--ports matches the source port", udp("10.0.0.1", 53, 9999), want{policy.Permit, "INPUT", "11", 0}},
		{"--ports matches the destination port", udp("10.0.0.1", 40000, 123), want{policy.Permit, "INPUT", "11", 0}},
		{"--ports neither", udp("10.0.0.1", 40000, 124), want{policy.Deny, "", "", 0}},
		{"smtp reject", tcp("10.0.0.1", 40000, 25), want{policy.Reject, "INPUT", "12", 0}},
		{"iprange+sport", tcp("10.0.0.6", 2000, 3306), want{policy.Permit, "INPUT", "13", 0}},
		{"iprange low sport", tcp("10.0.0.6", 80, 3306), want{policy.Deny, "", "", 0}},
		{"outside iprange", tcp("10.0.0.21", 2000, 3306), want{policy.Deny, "", "", 0}},
		{"! -s drop", tcp("11.0.0.1", 40000, 5432), want{policy.Deny, "INPUT", "14", 0}},
		{"inside 10/8", tcp("10.5.5.5", 40000, 5432), want{policy.Permit, "INPUT", "15", 0}},
		{"unknown module treated as matching", tcp("10.5.5.5", 40000, 6000), want{policy.Permit, "INPUT", "16", 0}},
		{"state NEW", tcp("10.5.5.5", 40000, 7000), want{policy.Permit, "INPUT", "17", 0}},
		{"! tcp-flags SYN never matches a SYN", tcp("10.5.5.5", 40000, 7001), want{policy.Deny, "", "", 0}},
		{"! ctstate NEW", tcp("10.5.5.5", 40000, 7002), want{policy.Deny, "", "", 0}},
		{"! ctstate INVALID", tcp("10.5.5.5", 40000, 7003), want{policy.Permit, "INPUT", "20", 0}},
		{"unresolved set matches nothing", tcp("10.20.1.1", 40000, 7004), want{policy.Deny, "", "", 0}},
		{"! --dport range excluded", tcp("10.7.0.1", 40000, 7006), want{policy.Deny, "", "", 0}},
		{"! --dport range outside", tcp("10.7.0.1", 40000, 7011), want{policy.Permit, "INPUT", "22", 0}},
		{"FORWARD without interfaces", tcp("10.0.0.1", 40000, 80), want{policy.Deny, "", "", 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entry := "INPUT"
			if strings.HasPrefix(tc.name, "FORWARD") {
				entry = "FORWARD"
			}
			check(t, c, entry, tc.f, tc.w)
		})
	}
	fw := tcp("10.0.0.1", 40000, 80)
	fw.in, fw.out = "eth1", "eth0"
	check(t, c, "FORWARD", fw, want{policy.Permit, "FORWARD", "1", 0})
	// the trail lists jump then return
	d := c.Decide(c.Filter("INPUT"), tcp("192.0.2.7", 40000, 443).flow())
	if len(d.Trail) != 2 || d.Trail[0].Action != policy.Jump || d.Trail[0].Target != "WEB" || d.Trail[0].Line != 26 ||
		d.Trail[1].Action != policy.Return || d.Trail[1].Filter != "WEB" {
		t.Errorf("trail %+v", d.Trail)
	}
}

func TestLinkIPSet(t *testing.T) {
	c := load(t, "basic.rules")
	sets := load(t, "basic.ipset")
	Link([]*policy.Config{c, sets})
	in := c.Filter("INPUT")
	check(t, c, "INPUT", tcp("10.20.1.1", 40000, 7004), want{policy.Permit, "INPUT", "21", 0})
	check(t, c, "INPUT", tcp("10.20.5.1", 40000, 7004), want{policy.Deny, "", "", 0})            // nomatch
	check(t, c, "INPUT", tcp("10.20.5.200", 40000, 7004), want{policy.Permit, "INPUT", "21", 0}) // more specific entry
	if len(c.Undefined) != 0 {
		t.Errorf("undefined after link: %+v", c.Undefined)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w.Msg, "trusted") {
			t.Errorf("stale warning %+v", w)
		}
	}
	if o := c.Object("trusted"); o == nil || o.Kind != "ipset" {
		t.Errorf("linked object not listed: %+v", c.Objects)
	}
	if r := ruleAtLine(in, 38); r.Match.Src.Refs[0] != "trusted" || len(r.Match.Src.Unresolved) != 0 {
		t.Errorf("linked rule %+v", r.Match.Src)
	}
	// another directory and device: stays unresolved
	c2 := load(t, "basic.rules")
	c2.File = "/elsewhere/basic.rules"
	Link([]*policy.Config{c2, sets})
	if len(c2.Undefined) != 1 {
		t.Errorf("set from another directory must not resolve: %+v", c2.Undefined)
	}
	// same device wins over directory
	c2.Device, sets.Device = "fw1", "fw1"
	Link([]*policy.Config{c2, sets})
	if len(c2.Undefined) != 0 {
		t.Errorf("same device must resolve: %+v", c2.Undefined)
	}
}

func TestIPSetParse(t *testing.T) {
	c := load(t, "basic.ipset")
	if c.Vendor != "ipset" || len(c.Filters) != 0 || len(c.Objects) != 5 {
		t.Fatalf("ipset config %+v", c)
	}
	in := func(set, ip string) bool {
		o := c.Object(set)
		return o != nil && o.Addrs.Contains(netip.MustParseAddr(ip))
	}
	for _, tc := range []struct {
		set, ip string
		want    bool
	}{
		{"trusted", "10.20.0.1", true}, {"trusted", "10.20.5.1", false}, {"trusted", "10.20.5.129", true},
		{"trusted", "10.21.0.1", false}, {"admins", "10.9.9.10", true}, {"admins", "10.9.9.11", false},
		{"svc", "10.30.0.1", true}, {"nets24", "10.40.1.77", true}, {"nets24", "10.40.2.1", false},
		{"all", "10.9.9.9", true}, {"all", "10.40.1.5", true}, {"all", "10.20.0.1", false},
	} {
		if got := in(tc.set, tc.ip); got != tc.want {
			t.Errorf("%s contains %s = %v", tc.set, tc.ip, got)
		}
	}
	if o := c.Object("all"); strings.Join(o.Members, ",") != "admins,nets24" || o.Pos.Line != 12 {
		t.Errorf("list:set %+v", o)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Msg, "hash:ip,port") {
		t.Errorf("warnings %+v", c.Warnings)
	}
}

func TestIPv6(t *testing.T) {
	c := load(t, "v6.rules")
	if c.Format != "ip6tables-save" {
		t.Errorf("format %s", c.Format)
	}
	for _, f := range c.Filters {
		if f.Family != policy.FamilyIPv6 {
			t.Errorf("%s family %v", f.Name, f.Family)
		}
	}
	v6 := func(proto uint8, src string, dport uint16, typ, code uint8) flowSpec {
		return flowSpec{proto: proto, src: src, dst: "2001:db8:ffff::1", sport: 40000, dport: dport, icmpType: typ, icmpCd: code}
	}
	check(t, c, "INPUT", v6(policy.ProtoICMPv6, "2001:db8:9::1", 0, 128, 0), want{policy.Permit, "ICMP6", "1", 1})
	check(t, c, "INPUT", v6(policy.ProtoICMPv6, "2001:db8:9::1", 0, 135, 0), want{policy.Permit, "ICMP6", "2", 1})
	check(t, c, "INPUT", v6(policy.ProtoICMPv6, "2001:db8:9::1", 0, 1, 4), want{policy.Permit, "ICMP6", "3", 1})
	check(t, c, "INPUT", v6(policy.ProtoICMPv6, "2001:db8:9::1", 0, 1, 3), want{policy.Deny, "ICMP6", "4", 1})
	check(t, c, "INPUT", v6(policy.ProtoTCP, "2001:db8:1:5::1", 22, 0, 0), want{policy.Permit, "INPUT", "4", 0})
	check(t, c, "INPUT", v6(policy.ProtoTCP, "2001:db8:2::1", 22, 0, 0), want{policy.Reject, "INPUT", "8", 0})
	check(t, c, "INPUT", v6(policy.ProtoUDP, "2001:db8:2::1", 546, 0, 0), want{policy.Deny, "INPUT", "5", 0})
	check(t, c, "INPUT", v6(policy.ProtoUDP, "fe80::1", 546, 0, 0), want{policy.Reject, "INPUT", "9", 0})
	if r := c.Filter("INPUT").Rules[8]; r.Extras.RejectWith != "icmp6-adm-prohibited" {
		t.Errorf("reject-with %q", r.Extras.RejectWith)
	}
	// family from addresses alone, no header
	c2, err := Parse("x", []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s ::1/128 -j ACCEPT\nCOMMIT\n"))
	if err != nil || c2.Filters[0].Family != policy.FamilyIPv6 {
		t.Fatalf("v6 by address: %v %+v", err, c2)
	}
}

func TestPositionedErrors(t *testing.T) {
	const hdr = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n"
	cases := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"rule before table", "-A INPUT -j ACCEPT\n", 1, 1, "before a table"},
		{"unknown option", hdr + "-A INPUT -p tcp --foo 1 -j ACCEPT\nCOMMIT\n", 7, 17, "unknown option"},
		{"port option without protocol", hdr + "-A INPUT --dport 22 -j ACCEPT\nCOMMIT\n", 7, 10, "unknown option"},
		{"missing target chain", hdr + "-A INPUT -p tcp -j NOPE\nCOMMIT\n", 7, 20, "undefined chain"},
		{"missing goto chain at EOF", hdr + "-A INPUT -g NOPE\n", 7, 13, "undefined chain"},
		{"bad address", hdr + "-A INPUT -s 10.0.0.300 -j DROP\nCOMMIT\n", 7, 13, "bad address"},
		{"bad prefix", hdr + "-A INPUT -d 10.0.0.0/33 -j DROP\nCOMMIT\n", 7, 13, "prefix length"},
		{"bad port", hdr + "-A INPUT -p tcp --dport foo -j DROP\nCOMMIT\n", 7, 25, "bad port"},
		{"port too big", hdr + "-A INPUT -p udp -m udp --sport 70000 -j DROP\nCOMMIT\n", 7, 32, "bad port"},
		{"undeclared chain", hdr + "-A NOPE -j DROP\nCOMMIT\n", 7, 4, "does not exist"},
		{"unknown table", "*filtre\n", 1, 2, "unknown table"},
		{"bad policy", "*filter\n:INPUT REJECT [0:0]\n", 2, 8, "bad policy"},
		{"user chain policy", "*filter\n:X ACCEPT [0:0]\n", 2, 4, "cannot have a policy"},
		{"unterminated quote", hdr + "-A INPUT -m comment --comment \"abc -j DROP\nCOMMIT\n", 7, 31, "unterminated quote"},
		{"mixed families", hdr + "-A INPUT -s 10.0.0.1 -j DROP\n-A INPUT -s ::1 -j DROP\nCOMMIT\n", 8, 13, "mixes address families"},
		{"v6 header, v4 address", "# Generated by ip6tables-save v1.8.9\n" + hdr + "-A INPUT -s 10.0.0.1 -j DROP\n", 8, 13, "mixes"},
		{"unknown protocol", hdr + "-A INPUT -p foo -j DROP\n", 7, 13, "unknown protocol"},
		{"unknown icmp type", hdr + "-A INPUT -p icmp -m icmp --icmp-type bogus -j DROP\n", 7, 38, "unknown ICMP type"},
		{"unknown state", hdr + "-A INPUT -m state --state NEW,BOGUS -j DROP\n", 7, 27, "conntrack state"},
		{"missing argument", hdr + "-A INPUT -s", 7, 12, "needs an argument"},
		{"two targets", hdr + "-A INPUT -j ACCEPT -j DROP\n", 7, 20, "more than one target"},
		{"jump to built-in", hdr + "-A A -j INPUT\nCOMMIT\n", 7, 9, "built-in"},
		{"jump loop", hdr + "-A A -j B\n-A B -j A\n-A INPUT -p tcp -j A\nCOMMIT\n", 9, 20, "jump loop"},
		{"self loop", hdr + "-A INPUT -j A\n-A A -g A\nCOMMIT\n", 8, 9, "jump loop"},
		{"bad reject type", hdr + "-A INPUT -j REJECT --reject-with nope\n", 7, 34, "reject-with"},
		{"insertion too big", hdr + "-I INPUT 3 -j DROP\n", 7, 10, "too big"},
		{"bad iprange", hdr + "-A INPUT -m iprange --src-range 10.0.0.9-10.0.0.1 -j DROP\n", 7, 33, "range"},
		{"not an option", hdr + "-A INPUT tcp -j DROP\n", 7, 10, "expected an option"},
		{"COMMIT outside table", "COMMIT\n", 1, 1, "outside a table"},
		{"unknown command", hdr + "-Z INPUT\n", 7, 1, "unsupported command"},
		{"duplicate chain", hdr + ":A - [0:0]\n", 7, 1, "already declared"},
		{"bad counters", hdr + "[1:x] -A INPUT -j DROP\n", 7, 1, "bad counters"},
		{"-m tcp without -p tcp", hdr + "-A INPUT -m tcp --dport 22 -j ACCEPT\n", 7, 13, "requires -p tcp"},
		{"-m udp with -p tcp", hdr + "-A INPUT -p tcp -m udp --dport 22 -j ACCEPT\n", 7, 20, "requires -p udp"},
		{"set flags", hdr + "-A INPUT -m set --match-set s sideways -j DROP\n", 7, 31, "bad set flags"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.rules", []byte(tc.src))
			pe, ok := parser.AsError(err)
			if !ok {
				t.Fatalf("want *parser.Error, got %v", err)
			}
			if pe.Pos.File != "t.rules" || pe.Pos.Line != tc.line || pe.Pos.Col != tc.col || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("got %v, want t.rules:%d:%d: ...%s...", err, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestLenientAndAccepted(t *testing.T) {
	// loops no built-in chain reaches are accepted, as the kernel does
	src := "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\nCOMMIT\n"
	if _, err := Parse("x", []byte(src)); err != nil {
		t.Errorf("unreachable loop: %v", err)
	}
	// fragment without COMMIT, undeclared built-in chain, no filter table
	c, err := Parse("frag", []byte("*mangle\n-A POSTROUTING -j ACCEPT\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Filters) != 1 || c.Filters[0].Name != "mangle/POSTROUTING" || len(c.Warnings) != 2 {
		t.Errorf("fragment: %+v %+v", c.Filters, c.Warnings)
	}
	// a filter table without chain declarations still evaluates with ACCEPT policies
	c, err = Parse("x", []byte("*filter\n-A INPUT -p tcp --dport 23 -j DROP\nCOMMIT\n"))
	if err != nil || c.Filter("INPUT") == nil || c.Filter("INPUT").Default != policy.Permit || !c.Filter("INPUT").Entry {
		t.Fatalf("undeclared INPUT: %v %+v", err, c)
	}
	// counters, -N, -P, ports given as service names, netmask notation
	c, err = Parse("x", []byte("*filter\n-N X\n-P INPUT DROP\n-A X -s 10.0.0.0/255.255.0.0 -p tcp --dport ssh -j ACCEPT\n[5:10] -A INPUT -j X\nCOMMIT\n"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, "INPUT", tcp("10.0.3.3", 1, 22), want{policy.Permit, "X", "1", 1})
	check(t, c, "INPUT", tcp("10.1.3.3", 1, 22), want{policy.Deny, "", "", 1})
	// a table given twice replaces the first; -F forgets the flushed jumps
	c, err = Parse("x", []byte("*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n-A INPUT -j A\n-A A -j DROP\nCOMMIT\n"+
		"*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n-A A -j A\n-F A\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Filters) != 4 || c.Filter("INPUT").Default != policy.Deny || len(c.Filter("INPUT").Rules) != 1 || len(c.Filter("A").Rules) != 0 {
		t.Fatalf("replaced table: %d filters %+v", len(c.Filters), c.Filter("INPUT"))
	}
	check(t, c, "INPUT", udp("10.0.0.1", 1, 1), want{policy.Permit, "INPUT", "1", 0})
	// -s combined with --src-range and a negation: exact intersection
	c, err = Parse("x", []byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/24 -m iprange ! --src-range 10.0.0.10-10.0.0.20 -j ACCEPT\nCOMMIT\n"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, "INPUT", tcp("10.0.0.9", 1, 1), want{policy.Permit, "INPUT", "1", 0})
	check(t, c, "INPUT", tcp("10.0.0.15", 1, 1), want{policy.Deny, "", "", 0})
	check(t, c, "INPUT", tcp("10.0.1.1", 1, 1), want{policy.Deny, "", "", 0})
}

func TestDetect(t *testing.T) {
	basic, _ := os.ReadFile(filepath.Join(fixtures, "basic.rules"))
	sets, _ := os.ReadFile(filepath.Join(fixtures, "basic.ipset"))
	cases := []struct {
		name     string
		data     string
		ipt, ips int
	}{
		{"iptables-save", string(basic), 100, 0},
		{"ipset", string(sets), 0, 100},
		{"headerless", "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n", 80, 0},
		{"bare rules", "-A INPUT -p tcp --dport 22 -j ACCEPT\n", 50, 0},
		{"junos", "firewall {\n    family inet {\n        filter f { term t { then accept; } }\n    }\n}\n", 0, 0},
		{"ios", "hostname r1\n!\nip access-list extended X\n permit tcp any any eq 22\n", 0, 0},
		{"asa", "ASA Version 9.8(1)\naccess-list OUT extended permit ip any any\n", 0, 0},
		{"nft", "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n", 0, 0},
		{"yaml", "sites:\n  - name: a\n", 0, 0},
		{"readme", "# Firewall notes\n\nSee -A INPUT docs.\n", 0, 0},
	}
	for _, tc := range cases {
		if got := Detect([]byte(tc.data)); got != tc.ipt {
			t.Errorf("%s: Detect = %d, want %d", tc.name, got, tc.ipt)
		}
		if got := DetectIPSet([]byte(tc.data)); got != tc.ips {
			t.Errorf("%s: DetectIPSet = %d, want %d", tc.name, got, tc.ips)
		}
	}
}

func TestCorpus(t *testing.T) {
	dir := "../../../shared/corpus/batfish"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("corpus not present")
	}
	cases := []struct {
		file            string
		filters, entry  int
		rules           int
		warnNoFilterTbl bool
	}{
		{"host1.iptables", 11, 3, 2, false},
		{"host2.iptables", 11, 3, 2, false},
		{"z1-firewall.v4", 1, 0, 3, true},
		{"z2-firewall.v4", 2, 0, 8, true},
	}
	for _, tc := range cases {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if Detect(data) < 80 {
			t.Errorf("%s: Detect %d", tc.file, Detect(data))
		}
		c, err := Parse(tc.file, data)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		rules := 0
		for _, f := range c.Filters {
			rules += len(f.Rules)
		}
		if len(c.Filters) != tc.filters || len(c.EntryFilters()) != tc.entry || rules != tc.rules {
			t.Errorf("%s: %d filters, %d entry, %d rules", tc.file, len(c.Filters), len(c.EntryFilters()), rules)
		}
		warned := false
		for _, w := range c.Warnings {
			warned = warned || strings.Contains(w.Msg, "no *filter table")
		}
		if warned != tc.warnNoFilterTbl {
			t.Errorf("%s: warnings %+v", tc.file, c.Warnings)
		}
	}
	// host2: the OUTPUT drop towards 2.128.0.101
	data, _ := os.ReadFile(filepath.Join(dir, "host2.iptables"))
	c, _ := Parse("host2.iptables", data)
	check(t, c, "OUTPUT", flowSpec{proto: policy.ProtoTCP, src: "10.0.0.1", dst: "2.128.0.101", sport: 1, dport: 80}, want{policy.Deny, "OUTPUT", "1", 0})
	check(t, c, "INPUT", tcp("1.2.3.4", 1, 22), want{policy.Permit, "INPUT", "1", 0})
	check(t, c, "INPUT", udp("1.2.3.4", 1, 53), want{policy.Deny, "", "", 0})
}

// TestDetectOtherVendorsCorpus: every non-iptables file of the corpus
// (Junos, IOS, ASA, ...) scores 0 for both vendors.
func TestDetectOtherVendorsCorpus(t *testing.T) {
	root := "../../../shared/corpus"
	if _, err := os.Stat(root); err != nil {
		t.Skip("corpus not present")
	}
	n := 0
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := filepath.Base(path)
		if strings.HasSuffix(base, ".iptables") || strings.HasSuffix(base, ".v4") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if s := Detect(data); s != 0 {
			t.Errorf("%s: Detect = %d", path, s)
		}
		if s := DetectIPSet(data); s != 0 {
			t.Errorf("%s: DetectIPSet = %d", path, s)
		}
		return nil
	})
	if n == 0 {
		t.Error("no corpus files")
	}
}

func TestGenerateConfigDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	GenerateConfig(&a, 500, 7)
	GenerateConfig(&b, 500, 7)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("generator is not deterministic")
	}
	c, err := Parse("gen", a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range c.Filters {
		if f.Meta["table"] == "filter" {
			for i, r := range f.Rules {
				if i == 0 || r.Name != f.Rules[i-1].Name {
					n++
				}
			}
		}
	}
	if n < 500 || n > 502 {
		t.Errorf("generated %d filter rules, want ~500", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"basic.rules", "v6.rules", "kernel.rules", "basic.ipset", "kernel.ipset"} {
		data, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n-A INPUT -p tcp -m multiport ! --ports 1:5,9 -g A\n-A A -p icmp -m icmp ! --icmp-type 3/1 -j RETURN\nCOMMIT\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func(string, []byte) (*policy.Config, error){Parse, ParseIPSet} {
			c, err := parse("fuzz", data)
			if err != nil {
				if _, ok := parser.AsError(err); !ok {
					t.Fatalf("error is not *parser.Error: %T %v", err, err)
				}
				continue
			}
			if c.Vendor == "iptables" {
				Link([]*policy.Config{c, {Vendor: "ipset", File: "fuzz"}})
				fl := &policy.Flow{Proto: policy.ProtoTCP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), SrcPort: 1, DstPort: 22}
				for _, e := range c.EntryFilters() {
					c.Decide(e, fl)
				}
			}
		}
		Detect(data)
		DetectIPSet(data)
	})
}

func FuzzParseIPSet(f *testing.F) {
	for _, name := range []string{"basic.ipset", "kernel.ipset"} {
		data, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("create a hash:net family inet6\nadd a 2001:db8::/32\nadd a 2001:db8:1::-2001:db8:1::ff nomatch\ncreate l list:set\nadd l a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseIPSet("fuzz", data)
		if err != nil {
			if _, ok := parser.AsError(err); !ok {
				t.Fatalf("error is not *parser.Error: %T %v", err, err)
			}
			return
		}
		for _, o := range c.Objects {
			if o.Kind != "ipset" || (o.Addrs == nil && o.Unresolved == "") {
				t.Fatalf("bad object %+v", o)
			}
		}
	})
}

func benchParse(b *testing.B, rules int) {
	data := parsebench.Generated(b, func(w *bytes.Buffer) error { return GenerateConfig(w, rules, 1) })
	parsebench.Run(b, data, func(data []byte) error { _, err := Parse("bench", data); return err })
}

func BenchmarkParse(b *testing.B) {
	b.Run("host-200", func(b *testing.B) { benchParse(b, 200) })
	b.Run("large-100k", func(b *testing.B) { benchParse(b, 100000) })
}
