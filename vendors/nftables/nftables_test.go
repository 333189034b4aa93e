package nftables

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

const fixtures = "../../testdata/nftables"

func parseFixture(t testing.TB, name string) *policy.Config {
	t.Helper()
	path := filepath.Join(fixtures, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(path, data)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return cfg
}

func fixtureFiles(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(fixtures, "*.nft"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	return m
}

type fcase struct {
	proto   uint8
	src     string
	dst     string
	sport   uint16
	dport   uint16
	icmp    uint8
	in, out string
	want    policy.Action
	rule    string // rule name, "" = chain default
	filter  string // filter holding the deciding rule ("" = entry filter)
	trail   int    // expected trail steps: 0 = don't check, -1 = none
}

func (c fcase) flow() *policy.Flow {
	sp := c.sport
	if sp == 0 {
		sp = 40000
	}
	return &policy.Flow{Proto: c.proto, Src: netip.MustParseAddr(c.src), Dst: netip.MustParseAddr(c.dst),
		SrcPort: sp, DstPort: c.dport, ICMPType: c.icmp, InIface: c.in, OutIface: c.out}
}

func checkCases(t *testing.T, cfg *policy.Config, entry string, cases []fcase) {
	t.Helper()
	f := cfg.Filter(entry)
	if f == nil || !f.Entry {
		t.Fatalf("no entry filter %q", entry)
	}
	for i, c := range cases {
		d := cfg.Decide(f, c.flow())
		got := ""
		if d.Rule != nil {
			got = d.Rule.Name
		}
		if d.Err != "" {
			t.Errorf("%s case %d: evaluation error %s", entry, i, d.Err)
		}
		if d.Action != c.want || got != c.rule {
			t.Errorf("%s case %d (%d %s->%s:%d): got %v rule %q, want %v rule %q (trail %+v)", entry, i, c.proto, c.src, c.dst, c.dport, d.Action, got, c.want, c.rule, d.Trail)
			continue
		}
		if c.filter != "" && d.Filter.Name != c.filter {
			t.Errorf("%s case %d: decided in %s, want %s", entry, i, d.Filter.Name, c.filter)
		}
		if want := c.trail; want != 0 && len(d.Trail) != max(want, 0) {
			t.Errorf("%s case %d: trail %+v, want %d steps", entry, i, d.Trail, c.trail)
		}
	}
}

const (
	tcp  = policy.ProtoTCP
	udp  = policy.ProtoUDP
	icmp = policy.ProtoICMP
	icm6 = policy.ProtoICMPv6
)

func TestHostFixture(t *testing.T) {
	cfg := parseFixture(t, "host.nft")
	if cfg.Vendor != "nftables" || len(cfg.EntryFilters()) != 3 || len(cfg.Filters) != 4 {
		t.Fatalf("filters: %d entry %d", len(cfg.Filters), len(cfg.EntryFilters()))
	}
	in := cfg.Filter("input")
	if in.Default != policy.Deny || in.Meta["hook"] != "input" || in.Meta["priority"] != "0" || in.Meta["family"] != "inet" || in.Family != policy.FamilyAny {
		t.Fatalf("input meta: %+v default %v", in.Meta, in.Default)
	}
	if in.Pos.Line != 22 {
		t.Fatalf("input pos %v", in.Pos)
	}
	// the ct state vmap expands into 3 rules sharing name and position
	if r := in.Rules; r[0].Name != "1" || r[1].Name != "1" || r[2].Name != "1" || r[2].Pos.Line != 25 || !r[0].Match.NotInitial {
		t.Fatalf("vmap expansion: %+v", r[:3])
	}
	if cfg.Filter("admin").Entry || cfg.Filter("admin").Default != policy.Return {
		t.Fatal("admin is a regular chain")
	}
	bl := cfg.Object("blocklist_v4")
	if bl == nil || bl.Kind != "nft-set" || bl.Scope != "filter" || !bl.Addrs.Contains(netip.MustParseAddr("198.19.255.255")) || bl.Addrs.Contains(netip.MustParseAddr("198.20.0.0")) {
		t.Fatalf("blocklist object: %+v", bl)
	}
	if tp := cfg.Object("trusted_ports"); tp == nil || strings.Join(tp.Members, ",") != "22,9100" {
		t.Fatalf("trusted_ports: %+v", tp)
	}
	const me = "192.0.2.100"
	checkCases(t, cfg, "input", []fcase{
		{proto: tcp, src: "8.8.8.8", dst: me, dport: 443, want: policy.Permit, rule: "6", trail: -1},
		{proto: tcp, src: "203.0.113.9", dst: me, dport: 443, want: policy.Deny, rule: "3"},
		{proto: tcp, src: "2001:db8::1", dst: "2001:db8::2", dport: 80, want: policy.Permit, rule: "6"},
		{proto: tcp, src: "8.8.8.8", dst: me, dport: 8080, want: policy.Deny, rule: "", trail: -1},
		// loopback: only a flow naming the interface matches iifname
		{proto: tcp, src: "127.0.0.1", dst: "127.0.0.1", dport: 8080, in: "lo", want: policy.Permit, rule: "2"},
		{proto: icmp, src: "8.8.8.8", dst: me, icmp: 8, want: policy.Permit, rule: "4"},
		{proto: icmp, src: "8.8.8.8", dst: me, icmp: 13, want: policy.Deny, rule: ""},
		{proto: icm6, src: "fe80::1", dst: "fe80::2", icmp: 135, want: policy.Permit, rule: "5"},
		// the ICMPv4 rule does not apply to ICMPv6 echo and vice versa
		{proto: icm6, src: "2001:db8::1", dst: "2001:db8::2", icmp: 8, want: policy.Deny, rule: ""},
		// jump admin: allowed admin net accepted inside admin
		{proto: tcp, src: "192.0.2.3", dst: me, dport: 22, want: policy.Permit, rule: "1", filter: "admin", trail: 1},
		{proto: tcp, src: "2001:db8:a:1::5", dst: "2001:db8::2", dport: 9100, want: policy.Permit, rule: "2", filter: "admin", trail: 1},
		// others: reject with tcp reset at the end of admin
		{proto: tcp, src: "8.8.8.8", dst: me, dport: 22, want: policy.Reject, rule: "4", filter: "admin", trail: 1},
		{proto: udp, src: "8.8.8.8", dst: me, dport: 33500, want: policy.Reject, rule: "8"},
		{proto: udp, src: "8.8.8.8", dst: me, dport: 53, want: policy.Deny, rule: ""},
	})
	r := cfg.Filter("admin").Rules[3]
	if r.Extras.RejectWith != "tcp reset" || r.Match.Protocols == nil || !r.Match.Protocols.Contains(tcp) {
		t.Fatalf("reject with tcp reset implies tcp: %+v", r)
	}
	if lg := in.Rules[len(in.Rules)-1]; lg.Action != policy.Next || !lg.Extras.Log || lg.Extras.Vendor["log_prefix"] != "input drop: " {
		t.Fatalf("log rule: %+v", lg)
	}
	checkCases(t, cfg, "output", []fcase{
		{proto: udp, src: me, dst: "192.0.2.255", dport: 137, out: "eth0", want: policy.Deny, rule: "1"},
		{proto: udp, src: me, dst: "192.0.2.255", dport: 137, want: policy.Permit, rule: ""},
	})
}

func TestRouterFixture(t *testing.T) {
	cfg := parseFixture(t, "router.nft")
	if len(cfg.Filters) != 7 || len(cfg.EntryFilters()) != 3 {
		t.Fatalf("filters %d entry %d", len(cfg.Filters), len(cfg.EntryFilters()))
	}
	if f := cfg.Filter("prerouting_raw"); f.Meta["priority"] != "-300" || f.Family != policy.FamilyIPv4 {
		t.Fatalf("raw priority: %+v", f.Meta)
	}
	if f := cfg.Filter("postrouting"); f.Entry || f.Meta["type"] != "nat" {
		t.Fatal("nat chains are not entry filters")
	}
	if m := cfg.Object("zone_policy"); m == nil || m.Kind != "nft-map" || !m.Addrs.Contains(netip.MustParseAddr("10.10.50.1")) {
		t.Fatalf("zone_policy: %+v", m)
	}
	const wan, lan, dmz = "eth0", "eth1", "eth2"
	checkCases(t, cfg, "prerouting_raw", []fcase{
		{proto: tcp, src: "192.168.1.1", dst: "198.51.100.1", dport: 80, in: wan, want: policy.Deny, rule: "1"},
		{proto: tcp, src: "192.168.1.1", dst: "198.51.100.1", dport: 80, in: lan, want: policy.Permit, rule: ""},
	})
	checkCases(t, cfg, "input", []fcase{
		{proto: tcp, src: "10.10.1.5", dst: "10.10.0.1", dport: 22, in: lan, want: policy.Permit, rule: "4"},
		{proto: tcp, src: "10.10.1.7", dst: "10.10.0.1", dport: 22, in: lan, want: policy.Deny, rule: ""},
		{proto: tcp, src: "10.10.1.5", dst: "10.10.0.1", dport: 22, in: wan, want: policy.Deny, rule: ""},
		{proto: udp, src: "10.10.1.7", dst: "10.10.0.1", dport: 67, in: lan, want: policy.Permit, rule: "5"},
		{proto: icmp, src: "8.8.8.8", dst: "198.51.100.1", icmp: 8, in: wan, want: policy.Permit, rule: "6"},
	})
	checkCases(t, cfg, "forward", []fcase{
		// GRE from the LAN is not in allowed_out_proto
		{proto: policy.ProtoGRE, src: "10.10.0.5", dst: "8.8.8.8", in: lan, out: wan, want: policy.Deny, rule: "2"},
		// named vmap: accept, drop, jump lan_restricted (+ return)
		{proto: tcp, src: "10.10.0.5", dst: "8.8.8.8", dport: 22, in: lan, out: wan, want: policy.Permit, rule: "3", trail: -1},
		{proto: tcp, src: "10.10.99.5", dst: "8.8.8.8", dport: 443, in: lan, out: wan, want: policy.Deny, rule: "3"},
		{proto: tcp, src: "10.10.50.5", dst: "8.8.8.8", dport: 443, in: lan, out: wan, want: policy.Permit, rule: "1", filter: "lan_restricted", trail: 1},
		{proto: tcp, src: "10.10.50.5", dst: "8.8.8.8", dport: 25, in: lan, out: wan, want: policy.Reject, rule: "6", trail: 2},
		{proto: tcp, src: "10.10.50.5", dst: "8.8.8.8", dport: 22, in: lan, out: wan, want: policy.Deny, rule: "", trail: 2},
		// not in the map: falls through to the smtp reject / default
		{proto: tcp, src: "10.10.7.5", dst: "8.8.8.8", dport: 25, in: lan, out: wan, want: policy.Reject, rule: "6"},
		{proto: tcp, src: "8.8.8.8", dst: "172.16.10.10", dport: 443, in: wan, out: dmz, want: policy.Permit, rule: "4"},
		{proto: tcp, src: "8.8.8.8", dst: "172.16.10.11", dport: 443, in: wan, out: dmz, want: policy.Deny, rule: ""},
		// goto dmz_out: falling off it applies forward's policy, even though
		// rule 6 would have rejected smtp
		{proto: tcp, src: "172.16.10.10", dst: "8.8.8.8", dport: 25, in: dmz, out: wan, want: policy.Deny, rule: "", trail: 1},
		{proto: udp, src: "172.16.10.10", dst: "8.8.8.8", dport: 123, in: dmz, out: wan, want: policy.Permit, rule: "1", filter: "dmz_out"},
		{proto: tcp, src: "172.16.10.10", dst: "10.1.1.1", dport: 443, in: dmz, out: wan, want: policy.Deny, rule: ""},
	})
	// iifname { $LAN, $DMZ } expands into two rules sharing the name
	n := 0
	for _, r := range cfg.Filter("forward").Rules {
		if r.Name == "6" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("interface set expansion: %d rules", n)
	}
}

func TestDualStackFixture(t *testing.T) {
	cfg := parseFixture(t, "dualstack.nft")
	checkCases(t, cfg, "input", []fcase{
		{proto: icm6, src: "2001:db8::1", dst: "2001:db8::2", icmp: 135, want: policy.Permit, rule: "3"},
		{proto: icmp, src: "192.0.2.1", dst: "192.0.2.2", icmp: 8, want: policy.Permit, rule: "4"},
		{proto: tcp, src: "2001:db8:100:ff::9", dst: "2001:db8::2", dport: 22, want: policy.Permit, rule: "5"},
		{proto: tcp, src: "2001:db8:300::9", dst: "2001:db8::2", dport: 22, want: policy.Deny, rule: ""},
		{proto: tcp, src: "10.9.9.9", dst: "10.0.0.1", dport: 22, want: policy.Permit, rule: "6"},
		{proto: tcp, src: "10.30.0.15", dst: "10.0.0.1", dport: 5432, want: policy.Permit, rule: "7"},
		{proto: tcp, src: "10.30.0.21", dst: "10.0.0.1", dport: 5432, want: policy.Deny, rule: ""},
		// ip6 daddr != 2001:db8::/32 never matches IPv4 (nfproto dependency)
		{proto: udp, src: "192.0.2.1", dst: "192.0.2.2", dport: 53, want: policy.Permit, rule: "9"},
		{proto: udp, src: "2001:db8::1", dst: "2001:dead::2", dport: 53, want: policy.Deny, rule: "8"},
		{proto: tcp, src: "2001:db8::1", dst: "2001:db8::2", dport: 53, want: policy.Permit, rule: "9"},
		// != 10/8 in an inet table: IPv4 outside 10/8 only; IPv6 skips the reject
		{proto: tcp, src: "192.0.2.1", dst: "10.0.0.1", dport: 8050, want: policy.Reject, rule: "10"},
		{proto: tcp, src: "10.1.1.1", dst: "10.0.0.1", dport: 8050, want: policy.Permit, rule: "11"},
		{proto: tcp, src: "2001:db8::1", dst: "2001:db8::2", dport: 8050, want: policy.Permit, rule: "11"},
		{proto: udp, src: "0.0.0.0", dst: "255.255.255.255", sport: 67, dport: 68, want: policy.Permit, rule: "12"},
		{proto: udp, src: "0.0.0.0", dst: "255.255.255.255", sport: 68, dport: 68, want: policy.Deny, rule: ""},
		// meta mark is not modelled: that rule never matches (never widen)
		{proto: udp, src: "192.0.2.1", dst: "192.0.2.2", dport: 9, want: policy.Deny, rule: ""},
		{proto: udp, src: "192.0.2.1", dst: "192.0.2.2", dport: 9, in: "wg0", want: policy.Permit, rule: "14"},
	})
	// tcp flags & (syn|ack) != syn excludes the initial SYN: NotInitial
	r := cfg.Filter("input").Rules[1]
	if !r.Match.NotInitial || r.Match.TCPFlags == "" {
		t.Fatalf("tcp flags rule: %+v", r.Match)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Msg, "meta mark") {
		t.Fatalf("warnings: %+v", cfg.Warnings)
	}
	if mk := cfg.Filter("input").Rules[12]; !strings.Contains(mk.Extras.Vendor["statements"], "meta mark") || len(mk.Match.Unresolved) == 0 {
		t.Fatalf("unknown match kept verbatim: %+v", mk)
	}
	checkCases(t, cfg, "output", []fcase{
		{proto: tcp, src: "192.0.2.9", dst: "192.0.2.1", dport: 80, want: policy.Permit, rule: ""},
		{proto: tcp, src: "192.0.2.9", dst: "192.0.2.1", dport: 8080, want: policy.Reject, rule: "1"},
		{proto: udp, src: "192.0.2.9", dst: "192.0.2.1", dport: 8080, want: policy.Permit, rule: ""},
	})
}

func TestMultiChainFixture(t *testing.T) {
	cfg := parseFixture(t, "multichain.nft")
	// two tables with a chain "input": qualified TABLE/CHAIN
	for _, n := range []string{"early/input", "main/input", "raw_prerouting", "sec", "arpfilter/input"} {
		if cfg.Filter(n) == nil {
			t.Fatalf("missing filter %s", n)
		}
	}
	if cfg.Filter("arpfilter/input").Entry {
		t.Fatal("arp chains are not evaluated as IP")
	}
	if p := cfg.Filter("early/input").Meta["priority"]; p != "-10" {
		t.Fatalf("filter - 10 = %s", p)
	}
	chains := HookChains(cfg, "input", &policy.Flow{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2")})
	var names []string
	for _, c := range chains {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "early/input,main/input,sec" {
		t.Fatalf("hook order: %v", names)
	}
	v6 := HookChains(cfg, "input", &policy.Flow{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")})
	if len(v6) != 2 {
		t.Fatalf("ip table must not see IPv6: %d chains", len(v6))
	}
	cases := []struct {
		c     fcase
		want  policy.Action
		steps int
		by    string
	}{
		// accepted by early (accept ends only that chain), then main accepts
		{fcase{proto: tcp, src: "192.0.2.1", dst: "192.0.2.2", dport: 22}, policy.Permit, 3, "sec"},
		// scanner dropped by the first chain: final
		{fcase{proto: tcp, src: "192.0.2.66", dst: "192.0.2.2", dport: 80}, policy.Deny, 1, "early/input"},
		{fcase{proto: tcp, src: "192.0.2.1", dst: "192.0.2.2", dport: 23}, policy.Reject, 1, "early/input"},
		// early's policy accepts, main's policy drops
		{fcase{proto: tcp, src: "192.0.2.1", dst: "192.0.2.2", dport: 443}, policy.Deny, 2, "main/input"},
		// main accepts 80, the security chain drops 198.51.100.0/24
		{fcase{proto: tcp, src: "198.51.100.9", dst: "192.0.2.2", dport: 80}, policy.Deny, 3, "sec"},
		{fcase{proto: tcp, src: "2001:db8::1", dst: "2001:db8::2", dport: 80}, policy.Permit, 2, "sec"},
	}
	for i, tc := range cases {
		d, steps := CombinedVerdict(cfg, "input", tc.c.flow())
		if d.Action != tc.want || len(steps) != tc.steps || d.Filter.Name != tc.by {
			t.Errorf("case %d: %v by %s after %d chains, want %v by %s after %d", i, d.Action, d.Filter.Name, len(steps), tc.want, tc.by, tc.steps)
		}
	}
	if d, steps := CombinedVerdict(cfg, "forward", cases[0].c.flow()); d.Action != policy.Permit || len(steps) != 0 {
		t.Fatal("no chain on the hook: accept")
	}
	if d, _ := CombinedVerdict(cfg, "prerouting", &policy.Flow{Proto: udp, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), DstPort: 9999}); d.Action != policy.Deny {
		t.Fatal("raw prerouting drop")
	}
}

func TestCommandsIncludeDefine(t *testing.T) {
	cfg := parseFixture(t, "commands.nft")
	in := cfg.Filter("in")
	if in == nil || len(in.Rules) != 4 || in.Rules[0].Match.InIface != "lo" {
		t.Fatalf("insert rule goes first: %+v", in)
	}
	if b := cfg.Object("blocked"); b == nil || !b.Addrs.Contains(netip.MustParseAddr("203.0.113.100")) || b.Addrs.Contains(netip.MustParseAddr("203.0.113.200")) {
		t.Fatalf("add element + define: %+v", b)
	}
	checkCases(t, cfg, "in", []fcase{
		{proto: tcp, src: "10.1.1.1", dst: "10.0.0.1", dport: 8443, want: policy.Permit, rule: "1", filter: "svc", trail: 1},
		{proto: tcp, src: "8.8.8.8", dst: "10.0.0.1", dport: 443, want: policy.Permit, rule: "2", filter: "svc"},
		{proto: tcp, src: "8.8.8.8", dst: "10.0.0.1", dport: 8443, want: policy.Deny, rule: "", trail: 1},
		{proto: tcp, src: "198.51.100.1", dst: "10.0.0.1", dport: 443, want: policy.Deny, rule: "3"},
	})
}

func TestHandlesNameRules(t *testing.T) {
	src := `table inet filter { # handle 4
	chain input { # handle 1
		type filter hook input priority filter; policy drop;
		tcp dport 22 accept # handle 7
		ip saddr vmap { 10.0.0.0/8 : accept, 10.1.0.0/16 : drop } # handle 9
	}
}
`
	cfg, err := Parse("h.nft", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rs := cfg.Filter("input").Rules
	if len(rs) != 3 || rs[0].Name != "7" || rs[1].Name != "9" || rs[2].Name != "9" || rs[1].Pos.Line != 5 {
		t.Fatalf("rules: %+v", rs)
	}
	// most specific vmap element first: 10.1/16 drop before 10/8 accept
	if rs[1].Action != policy.Deny || rs[2].Action != policy.Permit {
		t.Fatalf("vmap order: %v %v", rs[1].Action, rs[2].Action)
	}
	if cfg.Format != "ruleset-handles" {
		t.Fatal(cfg.Format)
	}
}

func TestSemanticsInline(t *testing.T) {
	src := `define LANS = { 10.1.0.0/16, 10.2.0.0/16 }
table ip t {
	chain c {
		type filter hook forward priority 0;
		ip saddr != $LANS tcp dport < 1024 drop
		tcp dport >= 60000 reject
		ip daddr 10.9.0.0-10.9.0.255 ct state != established accept
		ct state invalid,untracked drop
		meta l4proto udp meta mark set 0x1 counter
		fib daddr type local drop
		oifname "ppp*" udp dport 500 accept
		ip protocol { gre, esp } accept
	}
}`
	cfg, err := Parse("s.nft", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Filter("c")
	if c.Default != policy.Permit {
		t.Fatal("no policy: accept")
	}
	checkCases(t, cfg, "c", []fcase{
		{proto: tcp, src: "8.8.8.8", dst: "10.1.0.1", dport: 80, want: policy.Deny, rule: "1"},
		{proto: tcp, src: "10.1.2.3", dst: "10.1.0.1", dport: 80, want: policy.Permit, rule: ""},
		{proto: tcp, src: "8.8.8.8", dst: "10.1.0.1", dport: 1024, want: policy.Permit, rule: ""},
		{proto: tcp, src: "8.8.8.8", dst: "10.1.0.1", dport: 60000, want: policy.Reject, rule: "2"},
		// ct state != established includes new: the rule applies
		{proto: udp, src: "8.8.8.8", dst: "10.9.0.7", dport: 5000, want: policy.Permit, rule: "3"},
		// fib is not modelled: never matches (warning), policy applies
		{proto: udp, src: "8.8.8.8", dst: "10.7.0.7", dport: 5000, want: policy.Permit, rule: ""},
		{proto: udp, src: "8.8.8.8", dst: "10.7.0.7", dport: 500, out: "ppp0", want: policy.Permit, rule: "7"},
		{proto: policy.ProtoESP, src: "8.8.8.8", dst: "10.7.0.7", want: policy.Permit, rule: "8"},
	})
	rs := c.Rules
	if !rs[3].Match.NotInitial {
		t.Fatal("ct state invalid,untracked is NotInitial")
	}
	if rs[4].Action != policy.Next || rs[4].Match.Src.Constrained() && len(rs[4].Match.Unresolved) > 0 {
		t.Fatalf("meta mark set is a non-matching statement: %+v", rs[4])
	}
	if !rs[5].Match.Src.Constrained() || len(rs[5].Match.Unresolved) == 0 || len(cfg.Warnings) != 2 {
		t.Fatalf("fib: %+v warnings %v", rs[5].Match, cfg.Warnings)
	}
	if rs[6].Match.OutIface != "ppp+" {
		t.Fatal(rs[6].Match.OutIface)
	}
}

func TestConcatSetWarnsAndNeverMatches(t *testing.T) {
	src := `table inet t {
	set pairs {
		type ipv4_addr . inet_service
		elements = { 10.0.0.1 . 22 }
	}
	chain c {
		type filter hook input priority 0; policy accept;
		ip saddr . tcp dport @pairs drop
	}
}`
	cfg, err := Parse("c.nft", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) < 2 {
		t.Fatalf("warnings: %v", cfg.Warnings)
	}
	d := cfg.Decide(cfg.Filter("c"), fcase{proto: tcp, src: "10.0.0.1", dst: "10.0.0.2", dport: 22}.flow())
	if d.Action != policy.Permit || !d.Default {
		t.Fatalf("concat rule must never match: %+v", d)
	}
}

func TestDormantTable(t *testing.T) {
	cfg, err := Parse("d.nft", []byte("table inet t {\n\tflags dormant\n\tchain c {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f := cfg.Filter("c"); f.Entry || f.Meta["dormant"] != "true" {
		t.Fatalf("dormant table chains are not entry filters: %+v", f)
	}
}

func TestFlushRuleset(t *testing.T) {
	src := `table ip old { chain c { type filter hook input priority 0; policy drop; } }
flush ruleset
table ip new { chain d { type filter hook input priority 0; } }`
	cfg, err := Parse("f.nft", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Filters) != 1 || cfg.Filters[0].Name != "d" {
		t.Fatalf("%+v", cfg.Filters)
	}
}

func TestPositionedErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"unclosed", "table inet t {\n\tchain c {\n\t\ttcp dport 22 accept\n", 2, 10, "never closed"},
		{"extra brace", "table inet t {\n}\n}\n", 3, 1, "unbalanced '}'"},
		{"unknown set", "table inet t {\n\tchain c {\n\t\tip saddr @nope drop\n\t}\n}\n", 3, 12, "does not exist"},
		{"bad prefix", "table inet t {\n\tchain c {\n\t\tip saddr 10.0.0.0/33 drop\n\t}\n}\n", 3, 12, "bad prefix"},
		{"v6 in ip", "table ip t {\n\tchain c {\n\t\tip daddr ::1 drop\n\t}\n}\n", 3, 12, "not an ipv4_addr"},
		{"bad port", "table ip t {\n  chain c {\n    tcp dport nosuchsvc accept\n  }\n}\n", 3, 15, "unknown port"},
		{"jump undefined", "table ip t {\n\tchain c {\n\t\tjump nowhere\n\t}\n}\n", 3, 8, "undefined chain"},
		{"jump loop", "table ip t {\n\tchain a {\n\t\tjump b\n\t}\n\tchain b {\n\t\tgoto a\n\t}\n}\n", 6, 8, "loop"},
		{"jump base", "table ip t {\n\tchain a {\n\t\ttype filter hook input priority 0;\n\t}\n\tchain b {\n\t\tjump a\n\t}\n}\n", 6, 8, "base chain"},
		{"vmap undefined", "table ip t {\n\tchain c {\n\t\tip saddr vmap { 10.0.0.1 : jump x }\n\t}\n}\n", 3, 35, "undefined chain"},
		{"undefined var", "table ip t {\n\tchain c {\n\t\ttcp dport $P accept\n\t}\n}\n", 3, 13, "undefined variable"},
		{"bad policy", "table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy reject;\n\t}\n}\n", 3, 45, "policy"},
		{"bad priority", "table ip t {\n\tchain c {\n\t\ttype filter hook input priority bogus;\n\t}\n}\n", 3, 35, "priority"},
		{"unterminated string", "table ip t {\n\tchain c {\n\t\tcomment \"abc\n\t}\n}\n", 3, 11, "unterminated"},
		{"unknown command", "tabel ip t {\n}\n", 1, 1, "unknown nft command"},
		{"rule in missing chain", "add table ip t\nadd rule ip t c accept\n", 2, 15, "does not exist"},
		{"truncated", "table ip t {\n\tchain c {\n\t\ttcp dport\n\t}\n}\n", 3, 7, "expected a value"},
		{"bad set elem", "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1, foo }\n\t}\n}\n", 4, 26, "bad address"},
		{"tcp flags", "table ip t {\n\tchain c {\n\t\ttcp flags bogus drop\n\t}\n}\n", 3, 13, "unknown tcp flag"},
	}
	for _, c := range cases {
		_, err := Parse("e.nft", []byte(c.src))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		pe, ok := parser.AsError(err)
		if !ok {
			t.Errorf("%s: not a *parser.Error: %v", c.name, err)
			continue
		}
		if pe.Pos.File != "e.nft" || pe.Pos.Line != c.line || (c.col > 0 && pe.Pos.Col != c.col) || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: got %v, want e.nft:%d:%d ...%s", c.name, err, c.line, c.col, c.msg)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, f := range fixtureFiles(t) {
		data, _ := os.ReadFile(f)
		if s := Detect(data); s < 80 {
			t.Errorf("%s: detect %d", f, s)
		}
	}
	others := map[string]string{
		"junos":    "firewall {\n    family inet {\n        filter f {\n            term t { then accept; }\n        }\n    }\n}\n",
		"junosset": "set firewall family inet filter f term t then accept\n",
		"ios":      "!\nhostname r1\nip access-list extended ACL\n permit tcp any any eq 22\n",
		"asa":      ": Saved\nASA Version 9.8(1)\nhostname fw\naccess-list out extended permit ip any any\n",
		"iptables": "# Generated by iptables-save v1.8.7\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
		"yaml":     "sites:\n  - name: a\n    devices: [r1]\n",
		"readme":   "# fwpol\n\nExample:\n\n    table inet filter {\n",
		"empty":    "",
	}
	for name, s := range others {
		if d := Detect([]byte(s)); d != 0 {
			t.Errorf("%s: detect %d, want 0", name, d)
		}
	}
	if Detect([]byte("define X = 1\ntable inet t {\n}\n")) != 80 {
		t.Error("define then table: 80")
	}
}

func TestGenerateConfigParses(t *testing.T) {
	var a, b bytes.Buffer
	if err := GenerateConfig(&a, 1000, 7); err != nil {
		t.Fatal(err)
	}
	GenerateConfig(&b, 1000, 7)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("generator not deterministic")
	}
	cfg, err := Parse("gen.nft", a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range cfg.Filters {
		if !f.Entry {
			seen := map[string]bool{}
			for _, r := range f.Rules {
				seen[r.Name] = true
			}
			n += len(seen)
		}
	}
	if n != 1000 || len(cfg.Warnings) != 0 {
		t.Fatalf("generated %d rules, warnings %v", n, cfg.Warnings)
	}
}

func FuzzParse(f *testing.F) {
	m, _ := filepath.Glob(filepath.Join(fixtures, "*.nft"))
	for _, p := range m {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Add([]byte("table ip t { chain c { ip saddr vmap { 10.0.0.0/8 : jump c } } }"))
	f.Add([]byte("define X = { 1, 2 }\nadd table t\nadd chain t c\nadd rule t c tcp dport $X tcp flags & (syn|ack) == syn accept"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// includes would read arbitrary files: the fuzzer parses in a
		// directory-less name so relative includes resolve nowhere useful.
		if bytes.Contains(data, []byte("include")) {
			return
		}
		cfg, err := Parse("fuzz.nft", data)
		if err != nil {
			if _, ok := parser.AsError(err); !ok {
				t.Fatalf("error is not *parser.Error: %v", err)
			}
			return
		}
		fl := &policy.Flow{Proto: tcp, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), SrcPort: 1, DstPort: 22}
		for _, f := range cfg.EntryFilters() {
			cfg.Decide(f, fl)
		}
		CombinedVerdict(cfg, "input", fl)
	})
}

func benchParse(b *testing.B, rules int) {
	data := parsebench.Generated(b, func(w *bytes.Buffer) error { return GenerateConfig(w, rules, 1) })
	parsebench.Run(b, data, func(data []byte) error { _, err := Parse("bench", data); return err })
}

func BenchmarkParse(b *testing.B) {
	b.Run("rules=200", func(b *testing.B) { benchParse(b, 200) })
	b.Run("rules=100000", func(b *testing.B) { benchParse(b, 100000) })
}

func TestTCPFlagsForms(t *testing.T) {
	cases := []struct {
		expr       string
		notInitial bool
	}{
		{"tcp flags syn", false},
		{"tcp flags == syn", false},
		{"tcp flags syn / fin,syn,rst,ack", false},
		{"tcp flags & (fin|syn|rst|ack) == syn", false},
		{"tcp flags & (syn | ack) != syn", true},
		{"tcp flags != syn / syn,ack", true},
		{"tcp flags { syn | ack, syn }", false},
		{"tcp flags { syn | ack }", true},
		{"tcp flags & syn == syn", false},
		{"tcp flags != syn", true},
		{"tcp flags ! syn,ack", true},
		{"tcp flags ! fin,rst", false},
		{"tcp flags syn,ack", false},
		{"tcp flags ack", true},
		{"tcp flags rst", true},
		{"tcp flags fin,syn / fin,syn", true},
	}
	for _, c := range cases {
		src := "table ip t {\n chain c {\n  " + c.expr + " drop\n }\n}\n"
		cfg, err := Parse("f.nft", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		r := cfg.Filter("c").Rules[0]
		if r.Match.NotInitial != c.notInitial || len(r.Match.Unresolved) > 0 || len(cfg.Warnings) > 0 {
			t.Errorf("%s: NotInitial=%v unresolved %v, want %v", c.expr, r.Match.NotInitial, r.Match.Unresolved, c.notInitial)
		}
	}
}

// The shared corpus has no nftables files (see its README): every file in it
// belongs to another vendor, so Detect must say 0 for all of them.
func TestCorpusNotDetected(t *testing.T) {
	root := "../../../shared/corpus"
	if _, err := os.Stat(root); err != nil {
		t.Skip("corpus absent")
	}
	n := 0
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		n++
		if s := Detect(data); s != 0 {
			t.Errorf("%s: detect %d, want 0", p, s)
		}
		return nil
	})
	if n == 0 {
		t.Fatal("empty corpus")
	}
}

func TestWorkstationFixture(t *testing.T) {
	cfg := parseFixture(t, "workstation.nft")
	checkCases(t, cfg, "input", []fcase{
		{proto: tcp, src: "192.0.2.1", dst: "192.0.2.2", dport: 22, in: "eth0", want: policy.Permit, rule: "12"},
		{proto: tcp, src: "192.0.2.1", dst: "192.0.2.2", dport: 80, in: "eth0", want: policy.Deny, rule: ""},
		{proto: tcp, src: "192.0.2.1", dst: "127.0.0.1", dport: 80, in: "eth0", want: policy.Deny, rule: "4"},
		{proto: tcp, src: "127.0.0.1", dst: "127.0.0.1", dport: 80, in: "lo", want: policy.Permit, rule: "3"},
		{proto: udp, src: "192.0.2.1", dst: "224.0.0.251", dport: 5353, in: "eth0", want: policy.Permit, rule: "10"},
		{proto: udp, src: "fe80::1", dst: "ff02::fb", dport: 5353, in: "eth0", want: policy.Permit, rule: "9"},
		{proto: udp, src: "fe80::1", dst: "fe80::2", sport: 547, dport: 546, in: "eth0", want: policy.Permit, rule: "11"},
		{proto: icmp, src: "192.0.2.1", dst: "192.0.2.2", icmp: 11, in: "eth0", want: policy.Permit, rule: "6"},
		{proto: icmp, src: "192.0.2.1", dst: "192.0.2.2", icmp: 8, in: "eth0", want: policy.Permit, rule: "8"},
		// meta pkttype is not modelled: the reject rule never matches
		{proto: udp, src: "192.0.2.1", dst: "192.0.2.2", dport: 9, in: "eth0", want: policy.Deny, rule: "", trail: -1},
	})
}
