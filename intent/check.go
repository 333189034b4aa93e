package intent

import (
	"fmt"
	"path"
	"runtime"
	"sort"
	"sync"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/search"
)

// Violation is one filter breaking one intent, with a flow that shows it.
type Violation struct {
	Intent string      `json:"intent"`
	Expect Expectation `json:"expect"`
	Site   string      `json:"site,omitempty"`
	Device string      `json:"device"`
	File   string      `json:"file"`
	Filter string      `json:"filter"`
	// Flow is the counterexample; Action, Rule and Line say what the filter
	// does with it.
	Flow    string  `json:"flow"`
	Action  string  `json:"action"`
	Rule    *string `json:"rule"`
	Line    int     `json:"line"`
	Default bool    `json:"default"`
	Message string  `json:"message"`
}

// Status summarizes one intent.
type Status struct {
	Intent     string      `json:"intent"`
	Expect     Expectation `json:"expect"`
	Owner      string      `json:"owner,omitempty"`
	Filters    int         `json:"filters"`
	Violations int         `json:"violations"`
	// Result is "ok", "violated" or "vacuous".
	Result string     `json:"result"`
	Pos    policy.Pos `json:"pos"`
}

// Warning is a finding that is not a violation (vacuous intents).
type Warning struct {
	Intent string     `json:"intent"`
	Pos    policy.Pos `json:"pos"`
	Msg    string     `json:"msg"`
}

// Report is the outcome of checking intents.
type Report struct {
	Statuses   []Status    `json:"intents"`
	Violations []Violation `json:"violations"`
	Warnings   []Warning   `json:"warnings"`
}

// Bound reports whether traffic meets filter f of c: it is bound somewhere,
// or it is a chain or zone pair (always in the path), or the config has no
// bindings at all (a bare ACL file: every entry filter counts).
func Bound(c *policy.Config, f *policy.Filter) bool {
	if !f.Entry {
		return false
	}
	switch f.Kind {
	case "iptables-chain", "nft-chain", "srx-policy":
		return true
	}
	if len(c.Bindings) == 0 {
		return true
	}
	for _, b := range c.Bindings {
		if b.Filter == f.Name {
			return true
		}
	}
	return false
}

func (s Scope) matches(c *policy.Config, f *policy.Filter) bool {
	in := func(v string, set []string) bool {
		if len(set) == 0 {
			return true
		}
		for _, x := range set {
			if x == v {
				return true
			}
		}
		return false
	}
	if !in(c.Site, s.Sites) || !in(c.Device, s.Devices) || !in(c.Role, s.Roles) || !in(c.Vendor, s.Vendors) {
		return false
	}
	if len(s.Filters) == 0 {
		return true
	}
	for _, g := range s.Filters {
		if ok, _ := path.Match(g, f.Name); ok || g == f.Name {
			return true
		}
	}
	return false
}

type target struct {
	cfg *policy.Config
	f   *policy.Filter
}

type compiled struct {
	it    *Intent
	match policy.Match
	// perDevice intents (naming the blocklist) build their match per device.
	perDevice bool
}

// shortcuts enables the cheap pre-checks; tests turn it off to compare.
var shortcuts = true

// managerBudget bounds the nodes one worker's BDD manager may hold before
// it starts afresh (managers are never garbage collected).
const managerBudget = 2 << 20

// Check evaluates every intent against every bound filter in its scope.
func Check(cfgs []*policy.Config, intents []*Intent, names Names) (*Report, error) {
	var comp []compiled
	for _, it := range intents {
		m, err := matchOf(it, names, nil)
		if err != nil {
			return nil, err
		}
		comp = append(comp, compiled{it, m, perDevice(it)})
	}
	var targets []target
	for _, c := range cfgs {
		for _, f := range c.Filters {
			if Bound(c, f) {
				targets = append(targets, target{c, f})
			}
		}
	}
	type tresult struct {
		violations []Violation
		seen       []bool // per intent: the filter was in scope and saw the region
	}
	results := make([]tresult, len(targets))
	var errMu sync.Mutex
	var firstErr error
	keepErr := func(w *worker) {
		errMu.Lock()
		if firstErr == nil && w != nil {
			firstErr = w.err
		}
		errMu.Unlock()
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w *worker
			for i := range next {
				if w == nil || w.m.NodeCount() > managerBudget {
					keepErr(w)
					w = &worker{m: policy.NewManager(managerBudget), regions: map[regionKey]policy.PacketSet{}, names: names}
				}
				results[i].seen = make([]bool, len(comp))
				results[i].violations = w.check(targets[i], comp, results[i].seen)
			}
			keepErr(w)
		}()
	}
	for i := range targets {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}

	rep := &Report{Violations: []Violation{}, Warnings: []Warning{}}
	for k, c := range comp {
		st := Status{Intent: c.it.Name, Expect: c.it.Expect, Owner: c.it.Owner, Pos: c.it.Pos, Result: "ok"}
		for i := range targets {
			if results[i].seen[k] {
				st.Filters++
			}
		}
		if st.Filters == 0 {
			st.Result = "vacuous"
			rep.Warnings = append(rep.Warnings, Warning{c.it.Name, c.it.Pos, "vacuous: no filter in scope sees any packet of the region (check the scope and the region for typos)"})
		}
		rep.Statuses = append(rep.Statuses, st)
	}
	for i := range targets {
		rep.Violations = append(rep.Violations, results[i].violations...)
	}
	counts := map[string]int{}
	for _, v := range rep.Violations {
		counts[v.Intent]++
	}
	for i := range rep.Statuses {
		if n := counts[rep.Statuses[i].Intent]; n > 0 {
			rep.Statuses[i].Violations, rep.Statuses[i].Result = n, "violated"
		}
	}
	sort.SliceStable(rep.Violations, func(i, j int) bool {
		a, b := rep.Violations[i], rep.Violations[j]
		if a.Intent != b.Intent {
			return a.Intent < b.Intent
		}
		if a.Site != b.Site {
			return a.Site < b.Site
		}
		return a.Device < b.Device
	})
	return rep, nil
}

// visibleMayOverlap is a cheap test that a host filter can see any packet of
// the region at all (its own addresses as destination or source).
func visibleMayOverlap(t target, m *policy.Match) bool {
	c := t.cfg
	if len(c.OwnAddrs) == 0 {
		return true
	}
	own := func(a *policy.AddrMatch) bool {
		for _, o := range c.OwnAddrs {
			if a.Matches(o) {
				return true
			}
		}
		return false
	}
	switch search.Direction(t.f) {
	case "input":
		return own(&m.Dst)
	case "output":
		return own(&m.Src)
	case "forward":
		return c.Role != "host"
	}
	return true
}

// worker holds one goroutine's BDD manager and the intent regions already
// built in it.
type worker struct {
	m       *policy.Manager
	regions map[regionKey]policy.PacketSet
	names   Names
	err     error
}

type regionKey struct {
	intent int
	fam    policy.Family
}

func (w *worker) region(k int, c *compiled, fam policy.Family) policy.PacketSet {
	key := regionKey{k, fam}
	r, ok := w.regions[key]
	if !ok {
		r = w.m.MatchSet(&c.match, fam)
		w.regions[key] = r
	}
	return r
}

func (w *worker) check(t target, comp []compiled, seen []bool) []Violation {
	m := w.m
	visible, ok := search.Visible(m, t.cfg, t.f)
	if !ok {
		return nil
	}
	var permitted *policy.PacketSet
	var out []Violation
	for k := range comp {
		c := &comp[k]
		if !c.it.Scope.matches(t.cfg, t.f) {
			continue
		}
		if c.perDevice {
			mt, err := matchOf(c.it, w.names, t.cfg)
			if err != nil {
				w.err = err
				return nil
			}
			dc := compiled{c.it, mt, true}
			c = &dc
		}
		if shortcuts && !visibleMayOverlap(t, &c.match) {
			continue
		}
		var region policy.PacketSet
		if c.perDevice {
			region = m.MatchSet(&c.match, t.f.Family).Intersect(visible)
		} else {
			region = w.region(k, c, t.f.Family).Intersect(visible)
		}
		if region.IsEmpty() {
			continue
		}
		seen[k] = true
		if shortcuts && c.it.Expect == Deny && !mayPermit(t.cfg, t.f, &c.match, 0) {
			continue // nothing here can permit the region
		}
		// One concrete packet often settles the question without the
		// filter's full decision map.
		if fl, ok := region.Sample(); ok && shortcuts {
			d := t.cfg.Decide(t.f, &fl)
			permits := d.Action == policy.Permit
			switch {
			case c.it.Expect == Reachable && permits:
				continue
			case c.it.Expect == Deny && permits:
				out = append(out, violation(t, c.it, fl, d, "permits traffic the intent denies", policy.PacketSet{}))
				continue
			case c.it.Expect == Permit && !permits:
				out = append(out, violation(t, c.it, fl, d, "does not permit traffic the intent requires", policy.PacketSet{}))
				continue
			}
		}
		if permitted == nil {
			p := m.None()
			if v, ok := m.Decisions(t.cfg, t.f).Verdicts()[policy.Permit]; ok {
				p = v
			}
			permitted = &p
		}
		var bad policy.PacketSet
		var msg string
		switch c.it.Expect {
		case Deny:
			bad, msg = region.Intersect(*permitted), "permits traffic the intent denies"
		case Permit:
			bad, msg = region.Diff(*permitted), "does not permit traffic the intent requires"
		case Reachable:
			if region.Intersects(*permitted) {
				continue
			}
			bad, msg = region, "permits none of the traffic the intent requires to reach"
		}
		if bad.IsEmpty() {
			continue
		}
		fl, _ := bad.Sample()
		out = append(out, violation(t, c.it, fl, t.cfg.Decide(t.f, &fl), msg, bad))
	}
	return out
}

// violation reports flow fl of intent it breaking filter t; bad, when set,
// is the exact region of breaking packets, summarized in the message.
func violation(t target, it *Intent, fl policy.Flow, d policy.Decision, msg string, bad policy.PacketSet) Violation {
	v := Violation{Intent: it.Name, Expect: it.Expect, Site: t.cfg.Site, Device: t.cfg.Device, File: t.cfg.File,
		Filter: t.f.Name, Flow: search.FormatFlow(&fl), Action: d.Action.String(), Default: d.Default, Message: msg}
	if d.Rule != nil {
		name := d.Rule.Name
		v.Rule, v.Line = &name, d.Rule.Pos.Line
	} else {
		v.Line = t.f.Pos.Line
	}
	if !bad.IsEmpty() {
		if regs, _ := bad.Regions(3); len(regs) > 0 {
			v.Message += fmt.Sprintf(": %s", regs[0])
			if len(regs) > 1 {
				v.Message += fmt.Sprintf(" (+%d more regions)", len(regs)-1)
			}
		}
	}
	return v
}

// Unaffected relabels vacuous intents as "unaffected" and drops their
// warnings: when only changed devices were checked, an intent no changed
// filter sees is simply not affected by the change.
func (r *Report) Unaffected() {
	for i := range r.Statuses {
		if r.Statuses[i].Result == "vacuous" {
			r.Statuses[i].Result = "unaffected"
		}
	}
	r.Warnings = r.Warnings[:0]
}
