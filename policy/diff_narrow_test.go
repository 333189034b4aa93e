package policy

import (
	"fmt"
	"math/rand"
	"testing"
)

// AlignSeqs finds a longest common subsequence (checked against dynamic
// programming) and a valid pairing.
func TestAlignSeqsIsLCS(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	for c := 0; c < 3000; c++ {
		gen := func() []int32 {
			s := make([]int32, rng.Intn(14))
			for i := range s {
				s[i] = int32(rng.Intn(1 + c%5))
			}
			return s
		}
		x, y := gen(), gen()
		pairOf, ok := AlignSeqs(x, y, 64)
		if !ok {
			t.Fatalf("case %d: gave up", c)
		}
		got, last := 0, -1
		for i, j := range pairOf {
			if j < 0 {
				continue
			}
			if int(j) <= last || x[i] != y[j] {
				t.Fatalf("case %d: bad pairing %v for %v / %v", c, pairOf, x, y)
			}
			last = int(j)
			got++
		}
		dp := make([][]int, len(x)+1)
		for i := range dp {
			dp[i] = make([]int, len(y)+1)
		}
		for i := len(x) - 1; i >= 0; i-- {
			for j := len(y) - 1; j >= 0; j-- {
				if x[i] == y[j] {
					dp[i][j] = dp[i+1][j+1] + 1
				} else {
					dp[i][j] = max(dp[i+1][j], dp[i][j+1])
				}
			}
		}
		if got != dp[0][0] {
			t.Fatalf("case %d: %d pairs, LCS %d for %v / %v", c, got, dp[0][0], x, y)
		}
	}
	if _, ok := AlignSeqs([]int32{1, 2, 3, 4}, []int32{5, 6, 7, 8}, 3); ok {
		t.Fatal("8 edits fit a budget of 3")
	}
}

// plainFilter is a first-match filter without jumps (what narrowing handles).
func plainFilter(rng *rand.Rand, n int) *Filter {
	f := &Filter{Name: "acl", Entry: true, Default: []Action{Deny, Permit}[rng.Intn(2)], Family: Family(rng.Intn(3))}
	for i := 0; i < n; i++ {
		r := &Rule{Name: fmt.Sprint(i), Pos: Pos{Line: i + 1}, Match: randMatch(rng),
			Action: []Action{Deny, Permit, Reject, Permit, Deny, Next, Return}[rng.Intn(7)], Inactive: rng.Intn(30) == 0}
		f.Rules = append(f.Rules, r)
	}
	return f
}

// The narrowed diff is the whole diff: the same changes, deciding rules and
// exact sets, over filters where narrowing drops most rules.
func TestNarrowedDiffEqualsWholeDiff(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	narrowed, dropped, changes := 0, 0, 0
	for i := 0; i < 400; i++ {
		a := plainFilter(rng, 5+rng.Intn(60))
		ca := &Config{}
		ca.AddFilter(a)
		cb, b := mutate(rng, ca, a)
		if na, nb, ok := narrowForDiff(a, b); ok {
			narrowed++
			dropped += len(a.Rules) + len(b.Rules) - len(na.Rules) - len(nb.Rules)
		}
		m := NewManager(1 << 14)
		for _, opt := range []DiffOptions{{}, {RejectEqualsDeny: true}} {
			whole := m.diffFilters(ca, a, cb, b, opt)
			got := m.DiffFilters(ca, a, cb, b, opt)
			if len(got.Changes) != len(whole.Changes) || got.Summary != whole.Summary {
				t.Fatalf("case %d: %d changes narrowed, %d whole", i, len(got.Changes), len(whole.Changes))
			}
			for k, c := range got.Changes {
				w := whole.Changes[k]
				if c.Old != w.Old || c.New != w.New || !c.Set.Equal(w.Set) {
					t.Fatalf("case %d change %d: narrowed %v → %v %v, whole %v → %v %v", i, k, c.Old, c.New, c.Set, w.Old, w.New, w.Set)
				}
			}
			changes += len(whole.Changes)
		}
	}
	if narrowed < 200 || dropped < 2000 || changes < 200 {
		t.Fatalf("test too weak: %d of 400 narrowed, %d rules dropped, %d changes", narrowed, dropped, changes)
	}
	t.Logf("%d narrowed, %d rules dropped, %d changes", narrowed, dropped, changes)
}

// FuzzNarrowedDiff: for any seed, narrowing changes nothing in the diff.
func FuzzNarrowedDiff(f *testing.F) {
	f.Add(int64(1), uint8(20))
	f.Add(int64(7), uint8(60))
	f.Fuzz(func(t *testing.T, seed int64, n uint8) {
		rng := rand.New(rand.NewSource(seed))
		a := plainFilter(rng, 1+int(n)%80)
		ca := &Config{}
		ca.AddFilter(a)
		cb, b := mutate(rng, ca, a)
		m := NewManager(1 << 12)
		whole := m.diffFilters(ca, a, cb, b, DiffOptions{})
		got := m.DiffFilters(ca, a, cb, b, DiffOptions{})
		if len(got.Changes) != len(whole.Changes) || got.Summary != whole.Summary {
			t.Fatalf("%d changes narrowed, %d whole", len(got.Changes), len(whole.Changes))
		}
		for k, c := range got.Changes {
			w := whole.Changes[k]
			if c.Old != w.Old || c.New != w.New || !c.Set.Equal(w.Set) {
				t.Fatalf("change %d: narrowed %v → %v, whole %v → %v", k, c.Old, c.New, w.Old, w.New)
			}
		}
	})
}
