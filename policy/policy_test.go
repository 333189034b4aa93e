package policy

import (
	"net/netip"
	"testing"
)

func flow(proto uint8, src, dst string, dport uint16) *Flow {
	return &Flow{Proto: proto, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), SrcPort: 40000, DstPort: dport}
}

func rule(name string, a Action, m Match) *Rule {
	return &Rule{Name: name, Action: a, Match: m, Pos: Pos{Line: len(name)}}
}

func TestWildcardNonContiguousIsExact(t *testing.T) {
	var b AddrSetBuilder
	b.AddWildcard(Wildcard{netip.MustParseAddr("10.1.1.0"), netip.MustParseAddr("0.0.0.254")})
	s := b.Set()
	if !s.Contains(netip.MustParseAddr("10.1.1.2")) || s.Contains(netip.MustParseAddr("10.1.1.3")) {
		t.Fatalf("0.0.0.254 must match even addresses only: %v", s)
	}
	if n := len(s.Prefixes()); n != 128 {
		t.Fatalf("expected 128 /32s, got %d", n)
	}
	// a huge pattern stays symbolic but exact
	var b2 AddrSetBuilder
	b2.AddWildcard(Wildcard{netip.MustParseAddr("0.0.0.1"), netip.MustParseAddr("255.255.255.254")})
	odd := b2.Set()
	if len(odd.Wildcards()) != 1 || !odd.Contains(netip.MustParseAddr("192.0.2.7")) || odd.Contains(netip.MustParseAddr("192.0.2.8")) {
		t.Fatalf("odd-address wildcard wrong: %v", odd)
	}
	var b3 AddrSetBuilder
	b3.AddWildcard(Wildcard{netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("0.255.0.255")})
	s3 := b3.Set()
	if !s3.Contains(netip.MustParseAddr("10.77.0.9")) || s3.Contains(netip.MustParseAddr("10.77.1.9")) || len(s3.Prefixes()) != 256 {
		t.Fatalf("0.255.0.255 wrong: %d prefixes", len(s3.Prefixes()))
	}
}

func TestRangesAlgebra(t *testing.T) {
	r := NewRanges(Range{80, 80}, Range{81, 90}, Range{443, 443}, Range{1, 5})
	if r.String() != "1-5,80-90,443" {
		t.Fatal(r.String())
	}
	if c := Single(80).Complement(MaxPort); c.String() != "0-79,81-65535" {
		t.Fatal(c.String())
	}
	if i := r.Intersect(NewRanges(Range{4, 85})); i.String() != "4-5,80-85" {
		t.Fatal(i.String())
	}
}

func TestDecideFirstMatchAndDefault(t *testing.T) {
	tcp := Single(ProtoTCP)
	web := Single(443)
	f := &Filter{Name: "f", Entry: true, Default: Deny, Pos: Pos{Line: 1}, Rules: []*Rule{
		rule("count-only", Next, Match{Src: AnyAddr(), Dst: AnyAddr()}),
		rule("est", Permit, Match{Src: AnyAddr(), Dst: AnyAddr(), Protocols: &tcp, TCPEstablished: true, NotInitial: true}),
		rule("web", Permit, Match{Src: AnyAddr(), Dst: AddrMatch{Set: MustParseSet("192.0.2.0/24")}, Protocols: &tcp, DstPorts: &web}),
		rule("deny-net", Reject, Match{Src: AddrMatch{Set: MustParseSet("10.0.0.0/8")}, Dst: AnyAddr()}),
	}}
	c := &Config{}
	c.AddFilter(f)
	cases := []struct {
		fl      *Flow
		want    Action
		rule    string
		isDeflt bool
	}{
		{flow(ProtoTCP, "10.1.1.1", "192.0.2.5", 443), Permit, "web", false},
		{flow(ProtoTCP, "10.1.1.1", "192.0.2.5", 80), Reject, "deny-net", false},
		{flow(ProtoUDP, "172.16.0.1", "192.0.2.5", 443), Deny, "", true},
		{&Flow{Proto: ProtoICMP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("192.0.2.5")}, Reject, "deny-net", false},
	}
	for i, tc := range cases {
		d := c.Decide(f, tc.fl)
		got := ""
		if d.Rule != nil {
			got = d.Rule.Name
		}
		if d.Action != tc.want || got != tc.rule || d.Default != tc.isDeflt {
			t.Errorf("case %d: got %v %q default=%v, want %v %q %v", i, d.Action, got, d.Default, tc.want, tc.rule, tc.isDeflt)
		}
	}
}

func TestDecideJumpGotoReturn(t *testing.T) {
	tcp := Single(ProtoTCP)
	ssh := Single(22)
	c := &Config{}
	input := &Filter{Name: "INPUT", Entry: true, Default: Deny, Rules: []*Rule{
		rule("1", Jump, Match{Src: AnyAddr(), Dst: AnyAddr(), Protocols: &tcp}),
		rule("2", Goto, Match{Src: AddrMatch{Set: MustParseSet("10.9.0.0/16")}, Dst: AnyAddr()}),
		rule("3", Permit, Match{Src: AnyAddr(), Dst: AnyAddr()}),
	}}
	input.Rules[0].Target = "SSH"
	input.Rules[1].Target = "EMPTY"
	sshChain := &Filter{Name: "SSH", Rules: []*Rule{
		rule("ret", Return, Match{Src: AddrMatch{Set: MustParseSet("10.0.0.0/8")}, Dst: AnyAddr()}),
		rule("drop", Deny, Match{Src: AnyAddr(), Dst: AnyAddr(), DstPorts: &ssh}),
	}}
	c.AddFilter(input)
	c.AddFilter(sshChain)
	c.AddFilter(&Filter{Name: "EMPTY"})

	// RETURN from SSH resumes INPUT at rule 2, whose goto falls off EMPTY: INPUT's default.
	d := c.Decide(input, flow(ProtoTCP, "10.9.1.1", "192.0.2.1", 22))
	if d.Action != Deny || !d.Default || len(d.Trail) != 3 {
		t.Fatalf("goto from entry: %+v", d)
	}
	// not returned: SSH drops port 22
	d = c.Decide(input, flow(ProtoTCP, "192.168.1.1", "192.0.2.1", 22))
	if d.Action != Deny || d.Default || d.Rule.Name != "drop" || d.Filter.Name != "SSH" {
		t.Fatalf("ssh drop: %+v", d)
	}
	// falls off SSH, continues to rule 3
	d = c.Decide(input, flow(ProtoTCP, "192.168.1.1", "192.0.2.1", 80))
	if d.Action != Permit || d.Rule.Name != "3" {
		t.Fatalf("fall through: %+v", d)
	}
	// a loop is reported, not followed forever
	loop := &Filter{Name: "LOOP", Rules: []*Rule{rule("l", Jump, Match{Src: AnyAddr(), Dst: AnyAddr()})}}
	loop.Rules[0].Target = "LOOP"
	c.AddFilter(loop)
	top := &Filter{Name: "TOP", Entry: true, Default: Permit, Rules: []*Rule{{Name: "j", Action: Jump, Target: "LOOP", Match: Match{Src: AnyAddr(), Dst: AnyAddr()}}}}
	c.AddFilter(top)
	if d := c.Decide(top, flow(ProtoUDP, "1.1.1.1", "2.2.2.2", 53)); d.Err == "" {
		t.Fatal("loop not reported")
	}
}

func TestAddrNegationAndFamilies(t *testing.T) {
	m := AddrMatch{Set: MustParseSet("10.0.0.0/8"), Negate: true}
	if m.Matches(netip.MustParseAddr("10.1.1.1")) || !m.Matches(netip.MustParseAddr("11.1.1.1")) {
		t.Fatal("negation")
	}
	v6 := AddrMatch{Set: MustParseSet("2001:db8::/32")}
	if !v6.Matches(netip.MustParseAddr("2001:db8::1")) || v6.Matches(netip.MustParseAddr("10.0.0.1")) {
		t.Fatal("v6")
	}
}
