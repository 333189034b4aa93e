package policy

import (
	"fmt"
	"math/rand"
	"net/netip"
	"testing"
)

func randIndexAddrMatch(r *rand.Rand) AddrMatch {
	switch r.Intn(8) {
	case 0:
		return AnyAddr()
	case 1:
		return AddrMatch{Set: MustParseSet(fmt.Sprintf("10.%d.0.0/16", r.Intn(4))), Negate: true}
	case 2:
		var b AddrSetBuilder
		b.AddWildcard(Wildcard{netip.MustParseAddr(fmt.Sprintf("10.%d.0.%d", r.Intn(4), r.Intn(2))), netip.MustParseAddr("0.0.255.254")})
		return AddrMatch{Set: b.Set()}
	case 3:
		return AddrMatch{Set: &AddrSet{}} // unresolved: matches nothing
	}
	var b AddrSetBuilder
	for k := 0; k <= r.Intn(3); k++ {
		bits := 16 + r.Intn(17)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(r.Intn(4)), byte(r.Intn(256)), byte(r.Intn(256))}), bits)
		b.AddPrefix(p.Masked())
	}
	return AddrMatch{Set: b.Set()}
}

// TestIndexedDecideEqualsLinear: the destination index never changes a verdict.
func TestIndexedDecideEqualsLinear(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	actions := []Action{Permit, Deny, Reject, Next, Jump, Return}
	for iter := 0; iter < 60; iter++ {
		c := &Config{}
		sub := &Filter{Name: "SUB", Default: Deny}
		top := &Filter{Name: "TOP", Entry: true, Default: Action(r.Intn(2))}
		for _, f := range []*Filter{top, sub} {
			for i := 0; i < 40+r.Intn(80); i++ {
				a := actions[r.Intn(len(actions))]
				if f == sub && a == Jump {
					a = Permit
				}
				rule := &Rule{Name: fmt.Sprint(i), Action: a, Match: Match{Src: randIndexAddrMatch(r), Dst: randIndexAddrMatch(r)}}
				if a == Jump {
					rule.Target = "SUB"
				}
				if r.Intn(3) == 0 {
					ports := NewRanges(Range{uint16(r.Intn(100)), uint16(100 + r.Intn(100))})
					rule.Match.DstPorts = &ports
				}
				f.Rules = append(f.Rules, rule)
			}
			c.AddFilter(f)
		}
		for k := 0; k < 400; k++ {
			fl := &Flow{Proto: ProtoTCP, SrcPort: 1000, DstPort: uint16(r.Intn(220)),
				Src: netip.AddrFrom4([4]byte{10, byte(r.Intn(4)), byte(r.Intn(256)), byte(r.Intn(256))}),
				Dst: netip.AddrFrom4([4]byte{10, byte(r.Intn(4)), byte(r.Intn(256)), byte(r.Intn(256))})}
			decideWithIndex = true
			a := c.Decide(top, fl)
			decideWithIndex = false
			b := c.Decide(top, fl)
			decideWithIndex = true
			if a.Action != b.Action || a.Rule != b.Rule || a.Default != b.Default || len(a.Trail) != len(b.Trail) {
				t.Fatalf("iter %d flow %+v: indexed %v %v, linear %v %v", iter, fl, a.Action, a.Rule, b.Action, b.Rule)
			}
		}
	}
}

// BenchmarkDecideLongACL: the notes' "ACL A": src a /16-/32 from 10/8 or
// any (10%), dst a /24-/32 from 172.16/12, ending in deny.
func BenchmarkDecideLongACL(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	f := &Filter{Name: "ACL", Entry: true, Default: Deny}
	pfx := func(a0, a1 byte, lo int) AddrMatch {
		bits := lo + r.Intn(33-lo)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{a0, a1 + byte(r.Intn(16)), byte(r.Intn(256)), byte(r.Intn(256))}), bits)
		return AddrMatch{Set: SetOfPrefixes(p.Masked())}
	}
	tcp := Single(ProtoTCP)
	for i := 0; i < 20000; i++ {
		m := Match{Src: pfx(10, byte(r.Intn(240)), 16), Dst: pfx(172, 16, 24), Protocols: &tcp}
		if r.Intn(10) == 0 {
			m.Src = AnyAddr()
		}
		port := Single(uint16(r.Intn(1024)))
		m.DstPorts = &port
		f.Rules = append(f.Rules, &Rule{Name: fmt.Sprint(i), Action: Permit, Match: m})
	}
	c := &Config{}
	c.AddFilter(f)
	flows := make([]*Flow, 1024)
	for i := range flows {
		fl := &Flow{Proto: ProtoTCP, SrcPort: 40000, DstPort: uint16(r.Intn(1024))}
		if i%2 == 0 { // a flow some rule decides: its own sample
			rule := f.Rules[r.Intn(len(f.Rules))]
			fl.Dst = rule.Match.Dst.Set.Ranges()[0].From()
			fl.DstPort = (*rule.Match.DstPorts)[0].Lo
			fl.Src = netip.AddrFrom4([4]byte{10, byte(r.Intn(256)), 1, 1})
		} else {
			fl.Src = netip.AddrFrom4([4]byte{10, byte(r.Intn(256)), 1, 1})
			fl.Dst = netip.AddrFrom4([4]byte{172, 16 + byte(r.Intn(16)), byte(r.Intn(256)), 9})
		}
		flows[i] = fl
	}
	for _, mode := range []bool{true, false} {
		b.Run(fmt.Sprintf("index=%v", mode), func(b *testing.B) {
			decideWithIndex = mode
			defer func() { decideWithIndex = true }()
			for i := 0; i < b.N; i++ {
				c.Decide(f, flows[i%len(flows)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}
