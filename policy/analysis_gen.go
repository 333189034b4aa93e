package policy

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strconv"
)

// GenerateACL builds a synthetic first-match ACL of n rules plus a final
// "deny ip any any", like ../shared/notes/packet-space.md's ACL A, for
// benchmarks and tests. Each rule is tcp, udp or ip, permit or deny; its
// source is a random /16–/32 inside 10/8 or any (10%); its destination a
// /24–/32 inside 172.16/12; its destination port one port, a range or any.
//
// Variants:
//   - "sparse" (or ""): addresses drawn freely, rules barely overlap;
//   - "p64", "p16": addresses drawn from pools of 64 or 16 prefixes per
//     field (and ports from a small pool), so rules overlap heavily and many
//     are shadowed;
//   - "v6": like sparse in an IPv6 filter: sources /112–/128 of random
//     addresses in 2001:db8::/32, destinations /120–/128 in 2001:db8:ffff::/48.
//
// The result is deterministic for a seed. The filter is named "acl".
func GenerateACL(n int, seed int64, variant string) *Config {
	g := newACLGen(seed, variant)
	f := &Filter{Name: "acl", Kind: "acl", Entry: true, Default: Deny, Pos: Pos{File: "gen-" + variant, Line: 1},
		Meta: map[string]string{"generator": variant, "seed": strconv.FormatInt(seed, 10)}}
	if g.v6 {
		f.Family = FamilyIPv6
	}
	for i := 0; i < n; i++ {
		f.Rules = append(f.Rules, g.rule(strconv.Itoa((i+1)*10)))
	}
	f.Rules = append(f.Rules, &Rule{Name: strconv.Itoa((n + 1) * 10), Action: Deny, Match: Match{Src: AnyAddr(), Dst: AnyAddr()}})
	renumber(f)
	c := &Config{File: f.Pos.File, Device: "gen", Vendor: "generated"}
	c.AddFilter(f)
	return c
}

// MutateACL returns a copy of a generated ACL with changes edits: 40%
// inserted rules, 30% deleted and 30% with a flipped action (50 changes =
// 20 inserted, 15 deleted, 15 flipped, like the notes' ACL B). The final
// deny-all rule is never touched. c itself is not modified.
func MutateACL(c *Config, changes int, seed int64) *Config {
	old := c.Filter("acl")
	if old == nil && len(c.Filters) > 0 {
		old = c.Filters[0]
	}
	if old == nil {
		return &Config{}
	}
	variant := old.Meta["generator"]
	g := newACLGen(seed^0x5eed, variant)
	rng := rand.New(rand.NewSource(seed))
	nf := old.Clone()
	nf.Meta = map[string]string{"generator": variant, "mutated": strconv.Itoa(changes)}
	rules := make([]*Rule, len(old.Rules))
	for i, r := range old.Rules {
		cp := *r
		rules[i] = &cp
	}
	ins := changes * 2 / 5
	del := (changes - ins) / 2
	flip := changes - ins - del
	body := func() int { return len(rules) - 1 } // keep the final deny-all last
	for k := 0; k < del && body() > 0; k++ {
		at := rng.Intn(body())
		rules = append(rules[:at], rules[at+1:]...)
	}
	for k := 0; k < flip && body() > 0; k++ {
		r := rules[rng.Intn(body())]
		if r.Action == Permit {
			r.Action = Deny
		} else {
			r.Action = Permit
		}
	}
	for k := 0; k < ins; k++ {
		at := rng.Intn(body() + 1)
		r := g.rule(fmt.Sprintf("ins%d", k+1))
		rules = append(rules[:at], append([]*Rule{r}, rules[at:]...)...)
	}
	nf.Rules = rules
	renumber(nf)
	nc := &Config{File: c.File + "-b", Device: c.Device, Vendor: c.Vendor}
	nc.AddFilter(nf)
	return nc
}

func renumber(f *Filter) {
	for i, r := range f.Rules {
		r.Pos = Pos{File: f.Pos.File, Line: i + 2}
	}
}

type aclGen struct {
	rng        *rand.Rand
	v6         bool
	srcs, dsts []netip.Prefix // pools (nil = draw freely)
	ports      []Ranges
}

func newACLGen(seed int64, variant string) *aclGen {
	g := &aclGen{rng: rand.New(rand.NewSource(seed)), v6: variant == "v6"}
	pool := 0
	switch variant {
	case "p64":
		pool = 64
	case "p16":
		pool = 16
	}
	if pool > 0 {
		for i := 0; i < pool; i++ {
			g.srcs = append(g.srcs, g.randSrc())
			g.dsts = append(g.dsts, g.randDst())
			g.ports = append(g.ports, g.randPorts())
		}
	}
	return g
}

func (g *aclGen) randSrc() netip.Prefix {
	r := g.rng
	if g.v6 {
		b := netip.MustParseAddr("2001:db8::").As16()
		for i := 4; i < 16; i++ {
			b[i] = byte(r.Intn(256))
		}
		return netip.PrefixFrom(netip.AddrFrom16(b), 112+r.Intn(17)).Masked()
	}
	a := netip.AddrFrom4([4]byte{10, byte(r.Intn(256)), byte(r.Intn(256)), byte(r.Intn(256))})
	return netip.PrefixFrom(a, 16+r.Intn(17)).Masked()
}

func (g *aclGen) randDst() netip.Prefix {
	r := g.rng
	if g.v6 {
		b := netip.MustParseAddr("2001:db8:ffff::").As16()
		for i := 6; i < 16; i++ {
			b[i] = byte(r.Intn(256))
		}
		return netip.PrefixFrom(netip.AddrFrom16(b), 120+r.Intn(9)).Masked()
	}
	a := netip.AddrFrom4([4]byte{172, byte(16 + r.Intn(16)), byte(r.Intn(256)), byte(r.Intn(256))})
	return netip.PrefixFrom(a, 24+r.Intn(9)).Masked()
}

var commonPorts = []uint16{22, 25, 53, 80, 123, 389, 443, 636, 1433, 3306, 3389, 5432, 8080, 8443}

func (g *aclGen) randPorts() Ranges {
	r := g.rng
	switch r.Intn(4) {
	case 0:
		return nil // any
	case 1:
		lo := uint16(1024 + r.Intn(60000))
		return Ranges{{lo, lo + uint16(r.Intn(500))}}
	}
	if r.Intn(2) == 0 {
		return Single(commonPorts[r.Intn(len(commonPorts))])
	}
	return Single(uint16(1 + r.Intn(65535)))
}

func (g *aclGen) rule(name string) *Rule {
	r := g.rng
	var src, dst netip.Prefix
	var ports Ranges
	if g.srcs != nil {
		src, dst, ports = g.srcs[r.Intn(len(g.srcs))], g.dsts[r.Intn(len(g.dsts))], g.ports[r.Intn(len(g.ports))]
	} else {
		src, dst, ports = g.randSrc(), g.randDst(), g.randPorts()
	}
	m := Match{Src: AddrMatch{Set: SetOfPrefixes(src)}, Dst: AddrMatch{Set: SetOfPrefixes(dst)}}
	if r.Intn(10) == 0 {
		m.Src = AnyAddr()
	}
	switch r.Intn(3) {
	case 0:
		m.Protocols = Single(ProtoTCP).Ptr()
	case 1:
		m.Protocols = Single(ProtoUDP).Ptr()
	}
	if m.Protocols != nil && ports != nil {
		m.DstPorts = ports.Ptr()
	}
	act := Permit
	if r.Intn(5) < 2 {
		act = Deny
	}
	return &Rule{Name: name, Action: act, Match: m}
}
