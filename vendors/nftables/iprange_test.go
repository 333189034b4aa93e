package nftables

import (
	"math/rand"
	"net/netip"
	"testing"

	"go4.org/netipx"
)

// The range helpers must agree exactly with netipx's set algebra.
func TestRangeAlgebraMatchesNetipx(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	addr := func() netip.Addr {
		return netip.AddrFrom4([4]byte{10, byte(r.Intn(4)), byte(r.Intn(256)), byte(r.Intn(256))})
	}
	gen := func() (ipRanges, *netipx.IPSet) {
		var rs ipRanges
		var b netipx.IPSetBuilder
		for i := r.Intn(6); i > 0; i-- {
			a, c := addr(), addr()
			if c.Less(a) {
				a, c = c, a
			}
			rr := netipx.IPRangeFrom(a, c)
			rs = append(rs, rr)
			b.AddRange(rr)
		}
		s, _ := b.IPSet()
		return normRanges(rs), s
	}
	same := func(a ipRanges, s *netipx.IPSet) bool {
		b := s.Ranges()
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i < 2000; i++ {
		a, as := gen()
		b, bs := gen()
		if !same(a, as) {
			t.Fatalf("norm %v vs %v", a, as.Ranges())
		}
		var ib netipx.IPSetBuilder
		ib.AddSet(as)
		ib.Intersect(bs)
		is, _ := ib.IPSet()
		if got := intersectRanges(a, b); !same(got, is) {
			t.Fatalf("intersect %v %v = %v, want %v", a, b, got, is.Ranges())
		}
		var cb netipx.IPSetBuilder
		cb.AddRange(univ4[0])
		cb.RemoveSet(as)
		cs, _ := cb.IPSet()
		if got := complementRanges(a, univ4); !same(got, cs) {
			t.Fatalf("complement %v = %v, want %v", a, got, cs.Ranges())
		}
	}
	// edges: the full universe and ranges touching its ends
	if c := complementRanges(univ4, univ4); len(c) != 0 {
		t.Fatal(c)
	}
	if c := complementRanges(nil, univ6); len(c) != 1 || c[0] != univ6[0] {
		t.Fatal(c)
	}
}
