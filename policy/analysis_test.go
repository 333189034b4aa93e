package policy

import (
	"fmt"
	"math/rand"
	"testing"
)

// randConfig builds an entry filter "E" and up to three chains with random
// rules, jumps, gotos (only forward, so Config.Decide terminates), returns
// and undefined targets.
func randConfig(rng *rand.Rand, maxRules int) (*Config, *Filter) {
	c := &Config{}
	nch := rng.Intn(4)
	e := &Filter{Name: "E", Entry: true, Default: []Action{Deny, Permit, Reject}[rng.Intn(3)], Family: Family(rng.Intn(3))}
	filters := []*Filter{e}
	for i := 0; i < nch; i++ {
		filters = append(filters, &Filter{Name: fmt.Sprintf("C%d", i)})
	}
	line := 1
	for fi, f := range filters {
		n := rng.Intn(maxRules + 1)
		for i := 0; i < n; i++ {
			r := &Rule{Name: fmt.Sprintf("%s-%d", f.Name, i), Pos: Pos{Line: line}, Match: randMatch(rng)}
			line++
			switch x := rng.Intn(20); {
			case x < 12:
				r.Action = []Action{Deny, Permit, Reject}[rng.Intn(3)]
			case x < 13:
				r.Action = Next
			case x < 15:
				r.Action = Return
			case x < 18 && nch > 0:
				r.Action = Jump
				r.Target = fmt.Sprintf("C%d", rng.Intn(nch))
			case x < 20 && fi < nch:
				r.Action = Goto // to a later chain only
				r.Target = fmt.Sprintf("C%d", fi+rng.Intn(nch-fi))
			default:
				r.Action = Permit
			}
			if rng.Intn(25) == 0 {
				r.Target = "UNDEFINED"
				r.Action = Jump
			}
			if rng.Intn(20) == 0 {
				r.Inactive = true
			}
			f.Rules = append(f.Rules, r)
		}
		c.AddFilter(f)
	}
	return c, e
}

func randFlowOf(rng *rand.Rand, fam Family) *Flow {
	for {
		f := randFlow(rng)
		if fam.Applies(f) {
			return f
		}
	}
}

func TestDecisionMapMatchesDecide(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 1500; i++ {
		c, e := randConfig(rng, 7)
		m := NewManager(1 << 12)
		dm := m.Decisions(c, e)
		// outcomes partition the universe
		u := m.None()
		for _, o := range dm.Outcomes {
			if o.Set.IsEmpty() || u.Intersects(o.Set) {
				t.Fatalf("config %d: outcome sets empty or overlapping", i)
			}
			u = u.Union(o.Set)
		}
		if !u.Equal(m.Universe(e.Family)) {
			t.Fatalf("config %d: outcomes do not cover the universe", i)
		}
		for j := 0; j < 80; j++ {
			f := randFlowOf(rng, e.Family)
			want := OutcomeOf(c.Decide(e, f))
			got, ok := dm.Decide(f)
			if !ok || got != want {
				t.Fatalf("config %d flow %+v:\n got  %v\n want %v", i, f, got, want)
			}
			// each outcome's sample flow is decided by that outcome
		}
		for _, o := range dm.Outcomes {
			s, _ := o.Set.Sample()
			if got := OutcomeOf(c.Decide(e, &s)); got != o.Outcome {
				t.Fatalf("config %d: sample %+v of %v decided by %v", i, s, o.Outcome, got)
			}
		}
	}
}
