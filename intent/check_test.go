package intent

import (
	"fmt"
	"math/rand"
	"net/netip"
	"reflect"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

func randPrefixMatch(r *rand.Rand) policy.AddrMatch {
	if r.Intn(4) == 0 {
		return policy.AnyAddr()
	}
	p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(r.Intn(3)), byte(r.Intn(4)), byte(r.Intn(4))}), 16+r.Intn(17))
	return policy.AddrMatch{Set: policy.SetOfPrefixes(p.Masked()), Negate: r.Intn(8) == 0}
}

func randRule(r *rand.Rand, i int) *policy.Rule {
	m := policy.Match{Src: randPrefixMatch(r), Dst: randPrefixMatch(r)}
	switch r.Intn(4) {
	case 0:
		m.Protocols = policy.Single(policy.ProtoTCP).Ptr()
		m.DstPorts = policy.NewRanges(policy.Range{Lo: uint16(r.Intn(30)), Hi: uint16(20 + r.Intn(30))}).Ptr()
	case 1:
		m.Protocols = policy.Single(policy.ProtoUDP).Ptr()
	case 2:
		m.InIface = "lo"
	}
	actions := []policy.Action{policy.Permit, policy.Deny, policy.Permit, policy.Next, policy.Reject}
	return &policy.Rule{Name: fmt.Sprint(i), Action: actions[r.Intn(len(actions))], Match: m, Pos: policy.Pos{Line: i + 1}}
}

// TestShortcutsAreExact: the cheap pre-checks never change a report.
func TestShortcutsAreExact(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for iter := 0; iter < 40; iter++ {
		var cfgs []*policy.Config
		for d := 0; d < 4; d++ {
			c := &policy.Config{Device: fmt.Sprintf("d%d", d), Site: "s", Role: []string{"host", "edge"}[d%2]}
			if c.Role == "host" {
				c.OwnAddrs = []netip.Addr{netip.AddrFrom4([4]byte{10, byte(r.Intn(3)), byte(r.Intn(4)), byte(r.Intn(4))})}
			}
			for _, name := range []string{"INPUT", "OUTPUT", "FORWARD"} {
				f := &policy.Filter{Name: name, Kind: "iptables-chain", Entry: true, Default: policy.Action(r.Intn(2)), Family: policy.FamilyIPv4}
				for i := 0; i < 3+r.Intn(8); i++ {
					f.Rules = append(f.Rules, randRule(r, i))
				}
				c.AddFilter(f)
			}
			cfgs = append(cfgs, c)
		}
		var intents []*Intent
		for k := 0; k < 6; k++ {
			it := &Intent{Name: fmt.Sprint(k), Expect: []Expectation{Deny, Permit, Reachable}[r.Intn(3)]}
			it.Match.Protocol = []string{[]string{"tcp", "udp", "any"}[r.Intn(3)]}
			if r.Intn(2) == 0 {
				it.Match.Src = []string{fmt.Sprintf("10.%d.0.0/16", r.Intn(3))}
			}
			if r.Intn(2) == 0 {
				it.Match.Dst = []string{fmt.Sprintf("10.%d.%d.0/24", r.Intn(3), r.Intn(4))}
			}
			if it.Match.Protocol[0] == "tcp" && r.Intn(2) == 0 {
				it.Match.DstPort = []string{fmt.Sprintf("%d-%d", r.Intn(20), 20+r.Intn(20))}
			}
			intents = append(intents, it)
		}
		shortcuts = true
		fast, err := Check(cfgs, intents, nil)
		shortcuts = false
		slow, err2 := Check(cfgs, intents, nil)
		shortcuts = true
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		if !reflect.DeepEqual(fast.Statuses, slow.Statuses) {
			t.Fatalf("iter %d: statuses differ\nfast %+v\nslow %+v", iter, fast.Statuses, slow.Statuses)
		}
		// the same filters break each intent (counterexamples may differ)
		key := func(rep *Report) map[string]bool {
			m := map[string]bool{}
			for _, v := range rep.Violations {
				m[v.Intent+"/"+v.Device+"/"+v.Filter] = true
			}
			return m
		}
		if !reflect.DeepEqual(key(fast), key(slow)) {
			t.Fatalf("iter %d: violations differ\nfast %v\nslow %v", iter, key(fast), key(slow))
		}
		// every counterexample really breaks its intent
		for _, v := range fast.Violations {
			if v.Expect == Deny && v.Action != "permit" || v.Expect == Permit && v.Action == "permit" {
				t.Fatalf("counterexample does not break the intent: %+v", v)
			}
		}
	}
}
