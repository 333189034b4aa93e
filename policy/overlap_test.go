package policy

import (
	"math/rand"
	"testing"
)

// MayOverlap's "false" must be exact: the two matches' sets are disjoint.
// Both answers must occur often, or the generator proves nothing.
func TestMayOverlapNeverMissesAnOverlap(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	m := NewManager(1 << 14)
	answers := map[[2]bool]int{}
	for i := 0; i < 20000; i++ {
		a, b := randMatch(rng), randMatch(rng)
		if rng.Intn(3) == 0 {
			b.Src = a.Src // share an address field now and then
		}
		fam := Family(rng.Intn(3))
		may := MayOverlap(&a, &b)
		meet := m.MatchSet(&a, fam).Intersects(m.MatchSet(&b, fam))
		if meet && !may {
			t.Fatalf("case %d: sets meet but MayOverlap says no\na %+v src=%v dst=%v\nb %+v src=%v dst=%v", i, a, a.Src.Set, a.Dst.Set, b, b.Src.Set, b.Dst.Set)
		}
		answers[[2]bool{may, meet}]++
		if m.NodeCount() > 1<<20 {
			m = NewManager(1 << 14)
		}
	}
	if answers[[2]bool{false, false}] < 1000 || answers[[2]bool{true, true}] < 1000 {
		t.Fatalf("generator too weak: %v", answers)
	}
	t.Log(answers)
}
