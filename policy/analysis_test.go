package policy

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/netip"
	"reflect"
	"strings"
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
		// the backward (diagram) construction used by diff and lint agrees
		// with the forward walk outcome by outcome
		root := newBuilder(m, c, e, false, bddTrue).build()
		terms := 0
		for _, tm := range m.terminals(root) {
			if tm != bddFalse {
				terms++
			}
		}
		if terms != len(dm.Outcomes) {
			t.Fatalf("config %d: %d terminals vs %d outcomes", i, terms, len(dm.Outcomes))
		}
		for _, o := range dm.Outcomes {
			if m.leafSet(root, m.leafFor(leafKey{o: o.Outcome})) != o.Set.n {
				t.Fatalf("config %d: backward and forward disagree on %v", i, o.Outcome)
			}
		}
		for _, o := range dm.Outcomes {
			s, _ := o.Set.Sample()
			if got := OutcomeOf(c.Decide(e, &s)); got != o.Outcome {
				t.Fatalf("config %d: sample %+v of %v decided by %v", i, s, o.Outcome, got)
			}
		}
	}
}

// mutate returns a copy of c whose entry filter E has a few rules inserted,
// deleted, flipped or moved, and possibly another default.
func mutate(rng *rand.Rand, c *Config, e *Filter) (*Config, *Filter) {
	nc := &Config{}
	ne := &Filter{Name: e.Name, Entry: true, Default: e.Default, Family: e.Family}
	ne.Rules = append([]*Rule(nil), e.Rules...)
	for k := rng.Intn(4); k >= 0; k-- {
		switch rng.Intn(5) {
		case 0:
			r := &Rule{Name: fmt.Sprintf("new-%d", rng.Intn(1000)), Pos: Pos{Line: 900 + rng.Intn(100)}, Match: randMatch(rng), Action: []Action{Deny, Permit, Reject}[rng.Intn(3)]}
			at := rng.Intn(len(ne.Rules) + 1)
			ne.Rules = append(ne.Rules[:at], append([]*Rule{r}, ne.Rules[at:]...)...)
		case 1:
			if len(ne.Rules) > 0 {
				at := rng.Intn(len(ne.Rules))
				ne.Rules = append(ne.Rules[:at], ne.Rules[at+1:]...)
			}
		case 2:
			if len(ne.Rules) > 0 {
				at := rng.Intn(len(ne.Rules))
				r := *ne.Rules[at]
				if r.Action.Terminating() {
					r.Action = []Action{Deny, Permit, Reject}[rng.Intn(3)]
				}
				ne.Rules[at] = &r
			}
		case 3:
			if len(ne.Rules) > 1 {
				i, j := rng.Intn(len(ne.Rules)), rng.Intn(len(ne.Rules))
				ne.Rules[i], ne.Rules[j] = ne.Rules[j], ne.Rules[i]
			}
		case 4:
			ne.Default = []Action{Deny, Permit, Reject}[rng.Intn(3)]
		}
	}
	for _, f := range c.Filters {
		if f == e {
			nc.AddFilter(ne)
		} else {
			nc.AddFilter(f)
		}
	}
	return nc, ne
}

func TestDiffMatchesDecide(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 700; i++ {
		ca, ea := randConfig(rng, 6)
		cb, eb := mutate(rng, ca, ea)
		if rng.Intn(4) == 0 {
			eb.Family = Family(rng.Intn(3))
		}
		m := NewManager(1 << 12)
		d := m.DiffFilters(ca, ea, cb, eb, DiffOptions{})
		for ci, c := range d.Changes {
			if SameVerdict(c.Old.Action, c.New.Action, false) || c.Set.IsEmpty() {
				t.Fatalf("case %d: non-change %+v", i, c)
			}
			oa, ob := OutcomeOf(ca.Decide(ea, &c.Sample)), OutcomeOf(cb.Decide(eb, &c.Sample))
			if sideOf(oa) != c.Old || sideOf(ob) != c.New {
				t.Fatalf("case %d: sample %+v decided %v / %v, change says %v / %v", i, c.Sample, oa, ob, c.Old, c.New)
			}
			for cj := range ci {
				if d.Changes[cj].Set.Intersects(c.Set) {
					t.Fatalf("case %d: changes overlap", i)
				}
			}
			if i%8 == 0 {
				checkRegions(t, c.Set)
			}
		}
		both := ea.Family
		if both == FamilyAny {
			both = eb.Family
		} else if eb.Family != FamilyAny && eb.Family != ea.Family {
			both = 99 // disjoint families: nothing to compare
		}
		for j := 0; j < 150; j++ {
			f := randFlow(rng)
			if both == 99 || !both.Applies(f) {
				continue
			}
			oa, ob := OutcomeOf(ca.Decide(ea, f)), OutcomeOf(cb.Decide(eb, f))
			var in []Change
			for _, c := range d.Changes {
				if c.Set.Contains(f) {
					in = append(in, c)
				}
			}
			if oa.Action == ob.Action {
				if len(in) != 0 {
					t.Fatalf("case %d: unchanged flow %+v reported as %v → %v", i, f, in[0].Old, in[0].New)
				}
				continue
			}
			if len(in) != 1 || in[0].Old != sideOf(oa) || in[0].New != sideOf(ob) {
				t.Fatalf("case %d: flow %+v changed %v → %v but diff has %d changes for it", i, f, oa, ob, len(in))
			}
		}
		// permit gate helpers agree with the changes
		if d.WithoutDenyReject().NewlyPermits() != d.NewlyPermits() {
			t.Fatal("deny/reject filtering dropped a permit change")
		}
	}
}

func TestDiffDefaultsAndNoops(t *testing.T) {
	tcp := Single(ProtoTCP)
	a := &Filter{Name: "acl", Entry: true, Default: Deny, Rules: []*Rule{
		{Name: "10", Pos: Pos{Line: 1}, Action: Permit, Match: Match{Src: AddrMatch{Set: MustParseSet("10.0.0.0/8")}, Dst: AnyAddr(), Protocols: &tcp, DstPorts: Single(22).Ptr()}},
		{Name: "20", Pos: Pos{Line: 2}, Action: Permit, Match: Match{Src: AddrMatch{Set: MustParseSet("10.0.0.0/9")}, Dst: AnyAddr(), Protocols: &tcp}},
		{Name: "30", Pos: Pos{Line: 3}, Action: Permit, Match: Match{Src: AddrMatch{Set: MustParseSet("10.128.0.0/9")}, Dst: AnyAddr(), Protocols: &tcp}},
	}}
	// merge 20+30 into one rule, rename, drop the now-redundant 10: no verdict changes
	b := &Filter{Name: "acl", Entry: true, Default: Deny, Rules: []*Rule{
		{Name: "merged", Pos: Pos{Line: 7}, Action: Permit, Match: Match{Src: AddrMatch{Set: MustParseSet("10.0.0.0/8")}, Dst: AnyAddr(), Protocols: &tcp}},
	}}
	if d := DiffFilters(nil, a, nil, b); len(d.Changes) != 0 {
		t.Fatalf("no-op change reported: %+v", d.Changes)
	}
	// only the defaults differ: the region where both fall through must show up
	c := b.Clone()
	c.Default = Permit
	d := DiffFilters(nil, b, nil, c)
	if len(d.Changes) != 1 || d.Changes[0].Old.Action != Deny || d.Changes[0].New.Action != Permit || !d.Changes[0].Old.Default || !d.NewlyPermits() {
		t.Fatalf("default change: %+v", d)
	}
	if got := d.Changes[0].Regions[0].String(); got != "ip except tcp src any dst any" {
		t.Fatalf("region %q", got)
	}
	if d.Summary.NewlyPermitted != len(d.Changes[0].Regions) || d.Summary.NewlyBlocked != 0 {
		t.Fatalf("summary %+v", d.Summary)
	}
	// deny → reject only: a change unless deny and reject are equated
	r := c.Clone()
	r.Default = Reject
	if d := DiffFilters(nil, b, nil, r); len(d.Changes) == 0 || d.NewlyPermits() || len(d.WithoutDenyReject().Changes) != 0 {
		t.Fatalf("deny→reject: %+v", d)
	}
	if d := DiffFiltersWith(nil, b, nil, r, DiffOptions{RejectEqualsDeny: true}); len(d.Changes) != 0 {
		t.Fatal("RejectEqualsDeny ignored")
	}
}

// withoutRule returns c with rule i removed from entry filter e.
func withoutRule(c *Config, e *Filter, i int) (*Config, *Filter) {
	nc := &Config{}
	ne := e.Clone()
	ne.Rules = append(append([]*Rule(nil), e.Rules[:i]...), e.Rules[i+1:]...)
	for _, f := range c.Filters {
		if f == e {
			nc.AddFilter(ne)
		} else {
			nc.AddFilter(f)
		}
	}
	return nc, ne
}

func TestLintExact(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	kinds := map[FindingKind]int{}
	exactRelated := 0
	for i := 0; i < 600; i++ {
		c, e := randConfig(rng, 8)
		m := NewManager(1 << 12)
		fs := m.LintFilter(c, e)
		dm := m.Decisions(c, e)
		byRule := map[string]Finding{}
		for _, f := range fs {
			byRule[f.Rule] = f
			kinds[f.Kind]++
		}
		for ri, r := range e.Rules {
			if r.Inactive || r.Action == Next || r.Match.NotInitial || r.Match.InIface != "" || r.Match.OutIface != "" {
				if _, ok := byRule[r.Name]; ok {
					t.Fatalf("case %d: finding for unanalysed rule %s", i, r.Name)
				}
				continue
			}
			f, found := byRule[r.Name]
			ms := m.MatchSet(&r.Match, e.Family)
			if ms.IsEmpty() != (found && f.Kind == FindingEmpty) {
				t.Fatalf("case %d rule %s: empty=%v finding=%+v", i, r.Name, ms.IsEmpty(), f)
			}
			if ms.IsEmpty() {
				continue
			}
			if r.Action.Terminating() {
				shadowed := dm.RuleRegion(r).IsEmpty()
				if shadowed != (found && f.Kind == FindingShadowed) {
					t.Fatalf("case %d rule %s: shadowed=%v finding=%+v", i, r.Name, shadowed, f)
				}
				if shadowed && plainRules(e) {
					if got, want, ok := relatedExact(dm, ms, e.Rules[:ri], f); !ok {
						t.Fatalf("case %d rule %s: related %v (+%d), want %v", i, r.Name, got, f.RelatedMore, want)
					}
					exactRelated++
				}
				if shadowed {
					for _, rel := range f.Related {
						var rr *Rule
						for _, x := range e.Rules {
							if x.Name == rel.Rule {
								rr = x
							}
						}
						if rr == nil || !m.MatchSet(&rr.Match, e.Family).Intersects(ms) {
							t.Fatalf("case %d: related %v does not touch %s", i, rel, r.Name)
						}
					}
					conflict := false
					for _, o := range dm.Outcomes {
						if o.Action != r.Action && o.Set.Intersects(ms) {
							conflict = true
						}
					}
					if conflict != f.Conflict {
						t.Fatalf("case %d rule %s: conflict=%v finding %+v", i, r.Name, conflict, f)
					}
				}
			}
			if found && f.Kind == FindingShadowed {
				continue
			}
			// redundant ⇔ removing the rule changes no verdict
			nc, ne := withoutRule(c, e, ri)
			same := len(m.DiffFilters(c, e, nc, ne, DiffOptions{}).Changes) == 0
			if same != (found && f.Kind == FindingRedundant) {
				t.Fatalf("case %d rule %s (%v): removal changes nothing=%v, finding %+v", i, r.Name, r.Action, same, f)
			}
		}
	}
	if kinds[FindingEmpty] == 0 || kinds[FindingShadowed] == 0 || kinds[FindingRedundant] == 0 || exactRelated == 0 {
		t.Fatalf("generator too weak: %v, %d related lists checked", kinds, exactRelated)
	}
	t.Log(kinds)
}

func TestOddInputsDoNotPanic(t *testing.T) {
	bad := Ranges{{80, 20}, {7, 7}, {300, 400}}
	var wb AddrSetBuilder
	wb.AddWildcard(Wildcard{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("255.0.255.254")})
	weird := &Filter{Name: "W", Entry: true, Rules: []*Rule{
		{Name: "a", Action: Permit, Match: Match{Src: AddrMatch{Set: wb.Set()}, Dst: AnyAddr(), Protocols: &bad, DstPorts: &bad}},
		{Name: "b", Action: Jump, Target: "W", Match: Match{Src: AnyAddr(), Dst: AnyAddr()}},
		{Name: "c", Action: Action(42), Match: Match{Src: AnyAddr(), Dst: AnyAddr()}},
		{Name: "d", Action: Goto, Target: "nowhere", Match: Match{Src: AnyAddr(), Dst: AddrMatch{}}},
	}}
	c := &Config{}
	c.AddFilter(weird)
	m := NewManager(0)
	dm := m.Decisions(c, weird)
	for _, o := range dm.Outcomes {
		s, _ := o.Set.Sample()
		if got := OutcomeOf(c.Decide(weird, &s)); got != o.Outcome {
			t.Fatalf("sample %+v: %v vs %v", s, got, o.Outcome)
		}
		checkRegions(t, o.Set)
	}
	_ = m.LintFilter(c, weird)
	_ = m.DiffFilters(c, weird, nil, &Filter{Name: "W"}, DiffOptions{})
	if d := DiffFilters(nil, nil, nil, weird); len(d.Changes) != 0 || LintFilter(nil, nil) != nil || len(m.Decisions(nil, nil).Outcomes) != 0 {
		t.Fatal("nil filters")
	}
	withNil := &Filter{Name: "N", Rules: []*Rule{nil, {Name: "x", Action: Permit, Match: Match{Src: AnyAddr(), Dst: AnyAddr()}}}}
	_ = LintFilter(nil, withNil)
	_ = m.Decisions(nil, withNil)
	var empty PacketSet
	if _, ok := empty.Sample(); ok || empty.String() != "(empty)" {
		t.Fatal("zero PacketSet")
	}
	if m.FlowSet(&Flow{}).Contains(&Flow{}) {
		t.Fatal("invalid flow")
	}
}

func TestResultsMarshalJSON(t *testing.T) {
	a := GenerateACL(300, 7, "p16")
	b := MutateACL(a, 20, 8)
	d := DiffFilters(a, a.Filters[0], b, b.Filters[0])
	fs := LintFilter(a, a.Filters[0])
	if len(d.Changes) == 0 || len(fs) == 0 {
		t.Fatalf("expected changes and findings: %d %d", len(d.Changes), len(fs))
	}
	for _, v := range []any{d, fs} {
		out, err := json.Marshal(v)
		if err != nil || !strings.Contains(string(out), `"action":"`) {
			t.Fatalf("json: %v %.200s", err, out)
		}
	}
	// the generator is deterministic and the mutation keeps the final deny-all
	if a2 := GenerateACL(300, 7, "p16"); len(a2.Filters[0].Rules) != 301 || a2.Filters[0].Rules[17].Match.Dst.Set.String() != a.Filters[0].Rules[17].Match.Dst.Set.String() {
		t.Fatal("generator not deterministic")
	}
	if r := b.Filters[0].Rules; r[len(r)-1].Match.Src.Any != true || len(r) != 301+8-6 {
		t.Fatalf("mutation: %d rules", len(r))
	}
}

// A manager reset between jobs must answer exactly as a fresh one: Reset
// clears the unique table slot by slot for small jobs and whole for big
// ones, so both paths are taken (a stale slot or cache entry would show up
// as a different finding or decision map).
func TestManagerResetMatchesFresh(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	reused := NewManager(1 << 8) // small: grows on bigger jobs
	for i := 0; i < 300; i++ {
		c, e := randConfig(rng, 1+i%12)
		reused.Reset()
		got := reused.LintFilter(c, e)
		want := NewManager(0).LintFilter(c, e)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: after Reset\n%+v\nfresh\n%+v", i, got, want)
		}
		reused.Reset()
		dm, fresh := reused.Decisions(c, e), NewManager(0).Decisions(c, e)
		if len(dm.Outcomes) != len(fresh.Outcomes) {
			t.Fatalf("case %d: %d outcomes after Reset, %d fresh", i, len(dm.Outcomes), len(fresh.Outcomes))
		}
		for k := range dm.Outcomes {
			if dm.Outcomes[k].Action != fresh.Outcomes[k].Action || dm.Outcomes[k].Set.String() != fresh.Outcomes[k].Set.String() {
				t.Fatalf("case %d outcome %d: %v vs %v", i, k, dm.Outcomes[k].Set, fresh.Outcomes[k].Set)
			}
		}
	}
}

// plainRules reports whether f only permits, denies, rejects or logs (every
// decision is a rule's own).
func plainRules(f *Filter) bool {
	for _, r := range f.Rules {
		if r.Action > Next {
			return false
		}
	}
	return true
}

// The rules a shadowed finding names are exactly the earlier rules that
// decide some of its packets, in order, over long plain filters (the
// related list is computed from each rule's decided region).
func TestLintShadowedRelatedExact(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	checked, capped := 0, 0
	for i := 0; i < 150; i++ {
		f := &Filter{Name: "acl", Entry: true, Default: Deny, Family: Family(rng.Intn(3))}
		base := []Match{randMatch(rng), randMatch(rng), randMatch(rng)}
		for k := 0; k < 10+rng.Intn(50); k++ {
			mt := randMatch(rng)
			if rng.Intn(3) > 0 {
				// narrow one of a few broad matches: shadowed rules galore
				mt = base[rng.Intn(len(base))]
				if rng.Intn(2) == 0 {
					mt.DstPorts = randRanges(rng, testPorts, MaxPort)
				}
			}
			f.Rules = append(f.Rules, &Rule{Name: fmt.Sprint(k), Pos: Pos{Line: k + 1}, Match: mt, Action: []Action{Deny, Permit, Reject, Next}[rng.Intn(4)]})
		}
		m := NewManager(1 << 14)
		dm := m.Decisions(nil, f)
		for _, fd := range m.LintFilter(nil, f) {
			if fd.Kind != FindingShadowed {
				continue
			}
			var r *Rule
			ri := 0
			for k, x := range f.Rules {
				if x.Name == fd.Rule {
					r, ri = x, k
				}
			}
			got, want, ok := relatedExact(dm, m.MatchSet(&r.Match, f.Family), f.Rules[:ri], fd)
			if !ok {
				t.Fatalf("case %d rule %s: related %v (+%d), want %v", i, r.Name, got, fd.RelatedMore, want)
			}
			checked++
			if fd.RelatedMore > 0 {
				capped++
			}
		}
	}
	if checked < 200 {
		t.Fatalf("generator too weak: %d shadowed rules checked", checked)
	}
	t.Logf("%d shadowed rules checked, %d with more than %d related", checked, capped, maxRelated)
}

// relatedExact checks a shadowed finding's related rules: exactly the
// earlier rules that decide some of its packets ms, in order (the first
// maxRelated named, the rest counted).
func relatedExact(dm *DecisionMap, ms PacketSet, earlier []*Rule, fd Finding) (got, want []string, ok bool) {
	for _, x := range earlier {
		if dm.RuleRegion(x).Intersects(ms) {
			want = append(want, x.Name)
		}
	}
	for _, rel := range fd.Related {
		got = append(got, rel.Rule)
	}
	ok = len(got)+fd.RelatedMore == len(want) && strings.Join(got, ",") == strings.Join(want[:min(len(got), len(want))], ",")
	return got, want, ok
}
