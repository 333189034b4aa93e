package policy

import (
	"math/rand"
	"net/netip"
	"testing"

	"go4.org/netipx"
)

// A small field space where random rules overlap a lot: addresses around
// 10.0.0.0/28 and 2001:db8::/124 (plus a few outside), a handful of
// protocols, ports and ICMP types.
var (
	testProtos = []uint8{ProtoICMP, ProtoTCP, ProtoUDP, ProtoGRE, ProtoICMPv6, ProtoSCTP, ProtoDCCP}
	testPorts  = []uint16{0, 1, 2, 3, 7, 80, 443, 65535}
)

func randV4(rng *rand.Rand) netip.Addr {
	if rng.Intn(10) == 0 {
		return netip.AddrFrom4([4]byte{11, 0, 0, byte(rng.Intn(4))})
	}
	return netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.Intn(16))})
}

func randV6(rng *rand.Rand) netip.Addr {
	b := netip.MustParseAddr("2001:db8::").As16()
	if rng.Intn(10) == 0 {
		b[3] = 0xb9
	}
	b[15] = byte(rng.Intn(16))
	return netip.AddrFrom16(b)
}

func randAddrMatch(rng *rand.Rand) AddrMatch {
	if rng.Intn(4) == 0 {
		return AddrMatch{Any: true, Negate: rng.Intn(10) == 0}
	}
	var b AddrSetBuilder
	n := rng.Intn(4)
	for i := 0; i < n; i++ {
		v6 := rng.Intn(3) == 0
		a := randV4(rng)
		bits := 32
		if v6 {
			a, bits = randV6(rng), 128
		}
		switch rng.Intn(5) {
		case 0:
			b.AddAddr(a)
		case 1, 2:
			b.AddPrefix(netip.PrefixFrom(a, bits-rng.Intn(5)))
		case 3:
			// non-contiguous wildcard: a few don't-care bits in the low byte
			mb := make([]byte, bits/8)
			mb[len(mb)-1] = byte(rng.Intn(256)) & 0x0f
			mk, _ := netip.AddrFromSlice(mb)
			b.AddWildcard(Wildcard{a, mk})
		case 4:
			// a huge pattern that stays symbolic: every address with bit 0 = a's
			mb := make([]byte, bits/8)
			for j := range mb {
				mb[j] = 0xff
			}
			mb[len(mb)-1] = 0xfe
			if rng.Intn(2) == 0 {
				mb[len(mb)-1] = 0xf9 // bits 1 and 2 care
			}
			mk, _ := netip.AddrFromSlice(mb)
			b.AddWildcard(Wildcard{a, mk})
		}
	}
	am := AddrMatch{Set: b.Set(), Negate: rng.Intn(5) == 0}
	if rng.Intn(10) == 0 {
		am.Unresolved = []string{"missing-object"}
	}
	if rng.Intn(15) == 0 {
		am.Set = nil
	}
	return am
}

func randRanges(rng *rand.Rand, vals []uint16, max uint16) *Ranges {
	var rs []Range
	for i := rng.Intn(3); i >= 0; i-- {
		a := vals[rng.Intn(len(vals))]
		if rng.Intn(3) == 0 {
			b := uint16(min(uint32(a)+uint32(rng.Intn(6)), uint32(max)))
			rs = append(rs, Range{a, b})
		} else {
			rs = append(rs, Range{a, a})
		}
	}
	if rng.Intn(12) == 0 {
		rs = nil // empty: matches nothing
	}
	r := NewRanges(rs...)
	return &r
}

func randMatch(rng *rand.Rand) Match {
	m := Match{Src: randAddrMatch(rng), Dst: randAddrMatch(rng)}
	protoVals := make([]uint16, len(testProtos))
	for i, p := range testProtos {
		protoVals[i] = uint16(p)
	}
	if rng.Intn(5) < 3 {
		m.Protocols = randRanges(rng, protoVals, 300)
	}
	switch rng.Intn(4) {
	case 0:
		if rng.Intn(2) == 0 {
			m.DstPorts = randRanges(rng, testPorts, MaxPort)
		}
		if rng.Intn(3) == 0 {
			m.SrcPorts = randRanges(rng, testPorts, MaxPort)
		}
	case 1:
		if rng.Intn(2) == 0 {
			m.ICMPTypes = randRanges(rng, []uint16{0, 3, 8, 11, 128, 255}, MaxICMP)
		}
		if rng.Intn(2) == 0 {
			m.ICMPCodes = randRanges(rng, []uint16{0, 1, 4, 255}, MaxICMP)
		}
	case 2:
		if rng.Intn(8) == 0 {
			m.DstPorts = randRanges(rng, testPorts, MaxPort)
			m.ICMPTypes = randRanges(rng, []uint16{0, 8}, MaxICMP)
		}
	}
	switch rng.Intn(30) {
	case 0:
		m.NotInitial = true
	case 1:
		m.InIface = "eth0"
	case 2:
		m.OutIface, m.NegOutIface = "eth+", true
	}
	return m
}

func randFlow(rng *rand.Rand) *Flow {
	f := &Flow{Proto: testProtos[rng.Intn(len(testProtos))]}
	if rng.Intn(3) == 0 {
		f.Src, f.Dst = randV6(rng), randV6(rng)
	} else {
		f.Src, f.Dst = randV4(rng), randV4(rng)
	}
	if rng.Intn(10) == 0 {
		f.Proto = uint8(rng.Intn(256))
	}
	f.SrcPort = testPorts[rng.Intn(len(testPorts))]
	f.DstPort = testPorts[rng.Intn(len(testPorts))]
	f.ICMPType = []uint8{0, 3, 8, 9, 11, 128, 255}[rng.Intn(7)]
	f.ICMPCode = []uint8{0, 1, 4, 5, 255}[rng.Intn(5)]
	return f
}

func TestMatchSetExactness(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	m := NewManager(1 << 12)
	for i := 0; i < 2000; i++ {
		mt := randMatch(rng)
		fam := Family(rng.Intn(3))
		s := m.MatchSet(&mt, fam)
		for j := 0; j < 50; j++ {
			f := randFlow(rng)
			want := mt.Matches(f) && fam.Applies(f)
			if got := s.Contains(f); got != want {
				t.Fatalf("rule %d flow %d fam %v: set says %v, Matches says %v\nmatch %+v src=%v dst=%v\nflow %+v", i, j, fam, got, want, mt, mt.Src.Set, mt.Dst.Set, f)
			}
			if j%10 != 0 {
				continue
			}
			// the flow's own set is a member-exact singleton cylinder
			fs := m.FlowSet(f)
			if fs.Intersects(s) != want || fs.SubsetOf(s) != want {
				t.Fatalf("FlowSet disagrees for %+v", f)
			}
		}
		if smp, ok := s.Sample(); ok {
			if !s.Contains(&smp) || !mt.Matches(&smp) {
				t.Fatalf("sample %+v not in set of %+v", smp, mt)
			}
		} else if !s.IsEmpty() {
			t.Fatal("no sample from non-empty set")
		}
	}
}

func TestSetAlgebra(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	m := NewManager(0)
	for i := 0; i < 500; i++ {
		a, b := randMatch(rng), randMatch(rng)
		sa, sb := m.MatchSet(&a, FamilyAny), m.MatchSet(&b, FamilyAny)
		u, x, d, sd := sa.Union(sb), sa.Intersect(sb), sa.Diff(sb), sa.SymDiff(sb)
		if !x.SubsetOf(sa) || !sa.SubsetOf(u) || d.Intersects(sb) || !d.Union(x).Equal(sa) || !sd.Equal(u.Diff(x)) {
			t.Fatal("algebra identities")
		}
		if sa.Intersects(sb) != !x.IsEmpty() || sa.Complement().Complement() != sa {
			t.Fatal("intersects/complement")
		}
		for j := 0; j < 30; j++ {
			f := randFlow(rng)
			ia, ib := a.Matches(f), b.Matches(f)
			if u.Contains(f) != (ia || ib) || x.Contains(f) != (ia && ib) || d.Contains(f) != (ia && !ib) || sd.Contains(f) != (ia != ib) {
				t.Fatalf("pointwise algebra wrong for %+v", f)
			}
		}
	}
}

func TestWildcardSetsV4V6(t *testing.T) {
	m := NewManager(0)
	var b AddrSetBuilder
	b.AddWildcard(Wildcard{netip.MustParseAddr("0.0.0.1"), netip.MustParseAddr("255.255.255.254")})
	b.AddWildcard(Wildcard{netip.MustParseAddr("::1"), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")})
	mt := Match{Src: AddrMatch{Set: b.Set()}, Dst: AnyAddr()}
	s := m.MatchSet(&mt, FamilyAny)
	for _, c := range []struct {
		src string
		in  bool
	}{{"192.0.2.7", true}, {"192.0.2.8", false}, {"2001:db8::3", true}, {"2001:db8::4", false}} {
		f := &Flow{Proto: ProtoUDP, Src: netip.MustParseAddr(c.src), Dst: netip.MustParseAddr(c.src)}
		if s.Contains(f) != c.in {
			t.Errorf("%s: want %v", c.src, c.in)
		}
	}
	mt.Src.Negate = true
	n := m.MatchSet(&mt, FamilyIPv4)
	if !n.Contains(&Flow{Proto: 6, Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("10.0.0.1")}) ||
		n.Contains(&Flow{Proto: 6, Src: netip.MustParseAddr("2001:db8::2"), Dst: netip.MustParseAddr("2001:db8::2")}) {
		t.Error("negated wildcard in a v4 filter")
	}
}

func checkRegions(t *testing.T, s PacketSet) []Region {
	t.Helper()
	rs, trunc := s.Regions(0)
	if trunc {
		t.Fatal("unlimited regions truncated")
	}
	u := s.Manager().None()
	for _, r := range rs {
		rset, err := s.Manager().RegionSet(r)
		if err != nil {
			t.Fatalf("region %q: %v", r, err)
		}
		if rset.IsEmpty() || !rset.SubsetOf(s) {
			t.Fatalf("region %q is empty or outside the set:\n%v", r, s)
		}
		if !rset.Contains(&r.Sample) {
			t.Fatalf("region %q: sample %+v outside", r, r.Sample)
		}
		u = u.Union(rset)
	}
	if !u.Equal(s) {
		t.Fatalf("regions do not cover the set: %v", rs)
	}
	return rs
}

func TestRegionsCoverExactly(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	m := NewManager(0)
	for i := 0; i < 150; i++ {
		a, b := randMatch(rng), randMatch(rng)
		sa, sb := m.MatchSet(&a, FamilyAny), m.MatchSet(&b, FamilyAny)
		for _, s := range []PacketSet{sa, sa.Diff(sb), sa.Union(sb), sa.SymDiff(sb)} {
			checkRegions(t, s)
		}
	}
}

func TestRegionString(t *testing.T) {
	m := NewManager(0)
	tcp, web := Single(ProtoTCP), NewRanges(Range{80, 80}, Range{443, 443})
	mt := Match{Src: AddrMatch{Set: MustParseSet("10.0.0.0/8")}, Dst: AddrMatch{Set: MustParseSet("203.0.113.0/28")}, Protocols: &tcp, DstPorts: &web}
	rs := checkRegions(t, m.MatchSet(&mt, FamilyAny))
	if len(rs) != 1 || rs[0].String() != "tcp src 10.0.0.0/8 dst 203.0.113.0/28 dport 80,443" {
		t.Fatalf("got %v", rs)
	}
	icmp, echo := Single(ProtoICMP), Single(8)
	ping := Match{Src: AnyAddr(), Dst: AddrMatch{Set: MustParseSet("192.0.2.1"), Negate: true}, Protocols: &icmp, ICMPTypes: &echo}
	rs = checkRegions(t, m.MatchSet(&ping, FamilyIPv4))
	if len(rs) != 1 || rs[0].String() != "icmp src any dst any except 192.0.2.1/32 icmp-type 8" {
		t.Fatalf("got %v", rs)
	}
	// any protocol minus tcp/80: two regions, not hundreds of cubes
	all := Match{Src: AnyAddr(), Dst: AnyAddr()}
	d := m.MatchSet(&all, FamilyIPv4).Diff(m.MatchSet(&Match{Src: AnyAddr(), Dst: AnyAddr(), Protocols: &tcp, DstPorts: Single(80).Ptr()}, FamilyIPv4))
	rs = checkRegions(t, d)
	got := []string{}
	for _, r := range rs {
		got = append(got, r.String())
	}
	if len(rs) != 2 || got[0] != "ip except tcp src any dst any" || got[1] != "tcp src any dst any dport 0-79,81-65535" {
		t.Fatalf("got %q", got)
	}
}

// FuzzMatchSet checks set membership against Match.Matches and the
// decision map against Config.Decide for configs derived from the seed.
func FuzzMatchSet(f *testing.F) {
	for _, s := range []int64{1, 2, 3, 42} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		rng := rand.New(rand.NewSource(seed))
		m := NewManager(1 << 10)
		mt := randMatch(rng)
		s := m.MatchSet(&mt, FamilyAny)
		for j := 0; j < 20; j++ {
			fl := randFlow(rng)
			if s.Contains(fl) != mt.Matches(fl) {
				t.Fatalf("membership differs for %+v", fl)
			}
		}
		c, e := randConfig(rng, 5)
		dm := m.Decisions(c, e)
		for j := 0; j < 20; j++ {
			fl := randFlowOf(rng, e.Family)
			if got, _ := dm.Decide(fl); got != OutcomeOf(c.Decide(e, fl)) {
				t.Fatalf("decision differs for %+v", fl)
			}
		}
	})
}

// Samples read like traffic where the set allows: IPv4, TCP, an ephemeral
// source port, not a network address; otherwise the lowest allowed value.
func TestSamplePrefersReadableValues(t *testing.T) {
	m := NewManager(1 << 12)
	pfx := func(s string) *AddrSet {
		pr := netip.MustParsePrefix(s)
		return NewAddrSetFromRanges([]netipx.IPRange{netipx.RangeOfPrefix(pr)}, nil)
	}
	a := netip.MustParseAddr
	tcp, udp := Single(ProtoTCP), Single(ProtoUDP)
	low := NewRanges(Range{Lo: 1000, Hi: 2000})
	cases := []struct {
		m    Match
		fam  Family
		want Flow
	}{
		{Match{Src: AddrMatch{Set: pfx("10.0.0.0/24")}, Dst: AddrMatch{Set: pfx("192.0.2.7/32")}, Protocols: &tcp, DstPorts: &low}, FamilyAny,
			Flow{Proto: ProtoTCP, Src: a("10.0.0.1"), Dst: a("192.0.2.7"), SrcPort: 49152, DstPort: 1000}},
		{Match{Src: AnyAddr(), Dst: AnyAddr()}, FamilyAny,
			Flow{Proto: ProtoTCP, Src: a("0.0.0.1"), Dst: a("0.0.0.1"), SrcPort: 49152}},
		{Match{Src: AnyAddr(), Dst: AnyAddr(), Protocols: &udp, SrcPorts: &low}, FamilyIPv6,
			Flow{Proto: ProtoUDP, Src: a("::1"), Dst: a("::1"), SrcPort: 1000}},
	}
	for _, c := range cases {
		s := m.MatchSet(&c.m, c.fam)
		f, ok := s.Sample()
		if !ok || !s.Contains(&f) || f != c.want {
			t.Errorf("sample of %+v: %+v (in set %v), want %+v", c.m, f, s.Contains(&f), c.want)
		}
	}
}

// sampleByLevels is Sample's reference: every level visited in order.
func sampleByLevels(s PacketSet) Flow {
	m := s.m
	var p point
	n := s.n
	for lv := int32(0); lv < numLevels; lv++ {
		want := samplePref(lv, p.v6)
		bit := want
		if nd := m.nodes[n]; nd.level == lv {
			next := nd.lo
			if want {
				next = nd.hi
			}
			if next == bddFalse {
				bit = !want
				next = nd.hi
				if want {
					next = nd.lo
				}
			}
			n = next
		}
		if bit {
			p.setBit(lv)
		}
	}
	return p.flow()
}

func TestSampleSkipsFreeLevelsExactly(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	m := NewManager(1 << 14)
	for i := 0; i < 3000; i++ {
		a, b := randMatch(rng), randMatch(rng)
		s := m.MatchSet(&a, Family(rng.Intn(3)))
		if i%2 == 0 {
			s = s.Diff(m.MatchSet(&b, FamilyAny))
		}
		got, ok := s.Sample()
		if !ok {
			continue
		}
		if want := sampleByLevels(s); got != want || !s.Contains(&got) {
			t.Fatalf("case %d: sample %+v, reference %+v (in set %v)", i, got, want, s.Contains(&got))
		}
	}
}

// Consecutive ICMP types with the same codes print as one range: types
// 1-255 with codes 0 and 30 are two entries, not 510.
func TestICMPRegionsMergeTypes(t *testing.T) {
	var rs []Range
	for ty := 1; ty <= 255; ty++ {
		rs = append(rs, Range{uint16(ty<<8 | 0), uint16(ty<<8 | 0)}, Range{uint16(ty<<8 | 30), uint16(ty<<8 | 30)})
	}
	got := icmpRanges(NewRanges(rs...))
	want := []ICMPRange{{Range{1, 255}, Range{0, 0}}, {Range{1, 255}, Range{30, 30}}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("%v", got)
	}
	// whole types stay one entry, and a following type with other codes
	// stays apart
	got = icmpRanges(NewRanges(Range{0, 3<<8 | 255}, Range{4 << 8, 4<<8 | 7}))
	if len(got) != 2 || got[0] != (ICMPRange{Range{0, 3}, Range{0, 255}}) || got[1] != (ICMPRange{Range{4, 4}, Range{0, 7}}) {
		t.Fatalf("%v", got)
	}
}

func TestICMPTextGroupsTypesByCodes(t *testing.T) {
	irs := []ICMPRange{
		{Range{0, 0}, Range{0, 255}},
		{Range{1, 9}, Range{0, 0}}, {Range{1, 9}, Range{30, 30}},
		{Range{10, 10}, Range{0, 255}},
		{Range{11, 11}, Range{0, 0}}, {Range{11, 11}, Range{30, 30}},
		{Range{12, 12}, Range{5, 5}},
	}
	if got, want := icmpText(irs), "icmp-type 0,10, icmp-type 1-9,11 code 0,30, icmp-type 12 code 5"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}
