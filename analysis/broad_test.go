package analysis

import (
	"math/rand"
	"net/netip"
	"testing"

	"go4.org/netipx"
)

// mayHoldWide may only skip sets none of whose prefixes is wider than the limit.
func TestMayHoldWideIsSafe(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	skipped := 0
	for i := 0; i < 20000; i++ {
		var b netipx.IPSetBuilder
		v4 := i%2 == 0
		for k := 0; k < 1+rng.Intn(3); k++ {
			var from, to netip.Addr
			if v4 {
				x := rng.Uint32()
				span := uint32(1) << rng.Intn(32)
				y := x + uint32(rng.Int63n(int64(span)))
				if y < x {
					y = ^uint32(0)
				}
				from, to = netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}), netip.AddrFrom4([4]byte{byte(y >> 24), byte(y >> 16), byte(y >> 8), byte(y)})
			} else {
				var a [16]byte
				rng.Read(a[:])
				from = netip.AddrFrom16(a)
				z := rng.Intn(128)
				for j := 15; j >= 0; j-- {
					if bit := (15 - j) * 8; bit+8 <= z {
						a[j] = 0xff
					} else if bit < z {
						a[j] |= byte(1<<(z-bit) - 1)
					}
				}
				to = netip.AddrFrom16(a)
			}
			b.AddRange(netipx.IPRangeFrom(from, to))
		}
		set, _ := b.IPSet()
		lim4, lim6 := rng.Intn(33), rng.Intn(129)
		limit := func(v4 bool) int {
			if v4 {
				return lim4
			}
			return lim6
		}
		if mayHoldWide(set.Ranges(), limit) {
			continue
		}
		skipped++
		for _, p := range set.Prefixes() {
			if p.Bits() < limit(p.Addr().Is4()) {
				t.Fatalf("skipped %v (limits %d/%d) holding %v", set.Ranges(), lim4, lim6, p)
			}
		}
	}
	if skipped < 1000 {
		t.Fatalf("only %d sets skipped", skipped)
	}
}
