package policy

import "sort"

// DiffSide names what decided a changed region on one side of a diff.
type DiffSide struct {
	Action  Action `json:"action"`
	Filter  string `json:"filter"`
	Rule    string `json:"rule,omitempty"`
	Line    int    `json:"line,omitempty"`
	Default bool   `json:"default,omitempty"`
	Err     string `json:"error,omitempty"`
}

func sideOf(o Outcome) DiffSide {
	s := DiffSide{Action: o.Action, Default: o.Default, Err: o.Err}
	if o.Filter != nil {
		s.Filter = o.Filter.Name
	}
	if o.Rule != nil {
		s.Rule, s.Line = o.Rule.Name, o.Rule.Pos.Line
	}
	return s
}

func (s DiffSide) String() string {
	if s.Rule == "" {
		if s.Err != "" {
			return s.Filter + " default " + s.Action.String() + " (error: " + s.Err + ")"
		}
		return s.Filter + " default " + s.Action.String()
	}
	return s.Filter + " rule " + s.Rule + " (line " + itoa(s.Line) + ") " + s.Action.String()
}

// Change is one exact set of packets whose verdict changed, all decided by
// the same old rule (or default) and the same new rule (or default).
type Change struct {
	Old DiffSide `json:"old"`
	New DiffSide `json:"new"`
	// Regions lists the packets readably; Truncated says the list was cut
	// at DiffOptions.RegionLimit (Set stays exact).
	Regions   []Region `json:"regions"`
	Truncated bool     `json:"truncated,omitempty"`
	// Sample is a flow of the change (Config.Decide on it yields Old and New).
	Sample Flow      `json:"sample"`
	Set    PacketSet `json:"-"`
}

// DiffSummary counts changes and their regions by direction.
type DiffSummary struct {
	Changes int `json:"changes"`
	Regions int `json:"regions"`
	// NewlyPermitted counts regions that the new filter permits and the old
	// did not; NewlyBlocked regions the old permitted and the new denies or
	// rejects; Other deny↔reject regions.
	NewlyPermitted int `json:"newly_permitted"`
	NewlyBlocked   int `json:"newly_blocked"`
	Other          int `json:"other"`
}

// FilterDiff is the exact verdict difference of two filters.
type FilterDiff struct {
	Changes []Change    `json:"changes"`
	Summary DiffSummary `json:"summary"`
}

// DiffOptions tune DiffFiltersWith.
type DiffOptions struct {
	// RejectEqualsDeny treats deny and reject as the same verdict.
	RejectEqualsDeny bool
	// RegionLimit caps the regions listed per change (0 = 200).
	RegionLimit int
}

// SameVerdict compares two terminating actions, optionally treating deny and
// reject as equal (a "--fail-on permit" gate only cares about permit).
func SameVerdict(a, b Action, rejectEqualsDeny bool) bool {
	if rejectEqualsDeny {
		if a == Reject {
			a = Deny
		}
		if b == Reject {
			b = Deny
		}
	}
	return a == b
}

// DiffFilters compares the verdicts of two versions of a filter (each
// evaluated in its own config, following jumps) over every packet both
// filters see (the intersection of their families). Deny, reject and permit
// are distinct verdicts; reorders, renames, splits and merges that change no
// verdict produce no change.
func DiffFilters(oldCfg *Config, oldFilter *Filter, newCfg *Config, newFilter *Filter) FilterDiff {
	return DiffFiltersWith(oldCfg, oldFilter, newCfg, newFilter, DiffOptions{})
}

// DiffFiltersWith is DiffFilters with options.
func DiffFiltersWith(oldCfg *Config, oldFilter *Filter, newCfg *Config, newFilter *Filter, opt DiffOptions) FilterDiff {
	if na, nb, ok := narrowForDiff(oldFilter, newFilter); ok {
		m := NewManager(sizeHintFor(nil, na) + sizeHintFor(nil, nb))
		return m.diffFilters(oldCfg, na, newCfg, nb, opt)
	}
	m := NewManager(sizeHintFor(oldCfg, oldFilter) + sizeHintFor(newCfg, newFilter))
	return m.diffFilters(oldCfg, oldFilter, newCfg, newFilter, opt)
}

// DiffFilters computes the diff in manager m (so the Change sets can be
// combined with other sets of m).
func (m *Manager) DiffFilters(oldCfg *Config, oldFilter *Filter, newCfg *Config, newFilter *Filter, opt DiffOptions) FilterDiff {
	if na, nb, ok := narrowForDiff(oldFilter, newFilter); ok {
		oldFilter, newFilter = na, nb
	}
	return m.diffFilters(oldCfg, oldFilter, newCfg, newFilter, opt)
}

// diffFilters compares the filters whole.
func (m *Manager) diffFilters(oldCfg *Config, oldFilter *Filter, newCfg *Config, newFilter *Filter, opt DiffOptions) FilterDiff {
	if opt.RegionLimit <= 0 {
		opt.RegionLimit = 200
	}
	if oldFilter == nil || newFilter == nil {
		return FilterDiff{}
	}
	va := newBuilder(m, oldCfg, oldFilter, true, bddTrue).build()
	vb := newBuilder(m, newCfg, newFilter, true, bddTrue).build()
	m.setClass(func(n uint32) int {
		k, ok := m.leafKeyOf(n)
		if !ok {
			return -1 // outside a filter's family: no verdict to compare
		}
		a := k.o.Action
		if opt.RejectEqualsDeny && a == Reject {
			a = Deny
		}
		return int(a)
	})
	changed := m.neq(va, vb)
	var d FilterDiff
	if changed == bddFalse {
		return d
	}
	// Outcome diagrams restricted to the changed packets: rules that do not
	// touch them are skipped, so this costs little more than the change.
	oa := newBuilder(m, oldCfg, oldFilter, false, changed).build()
	ob := newBuilder(m, newCfg, newFilter, false, changed).build()
	for _, p := range m.pairs(oa, ob) {
		ka, okA := m.leafKeyOf(p[0])
		kb, okB := m.leafKeyOf(p[1])
		if !okA || !okB {
			continue
		}
		set := m.set(m.and(m.leafSet(oa, p[0]), m.leafSet(ob, p[1])))
		if set.IsEmpty() {
			continue
		}
		c := Change{Old: sideOf(ka.o), New: sideOf(kb.o), Set: set}
		c.Regions, c.Truncated = set.Regions(opt.RegionLimit)
		c.Sample, _ = set.Sample()
		d.Changes = append(d.Changes, c)
		n := len(c.Regions)
		d.Summary.Regions += n
		switch {
		case c.New.Action == Permit:
			d.Summary.NewlyPermitted += n
		case c.Old.Action == Permit:
			d.Summary.NewlyBlocked += n
		default:
			d.Summary.Other += n
		}
	}
	d.Summary.Changes = len(d.Changes)
	sort.SliceStable(d.Changes, func(i, j int) bool {
		a, b := d.Changes[i], d.Changes[j]
		if la, lb := sideLine(a.Old), sideLine(b.Old); la != lb {
			return la < lb
		}
		return sideLine(a.New) < sideLine(b.New)
	})
	return d
}

func sideLine(s DiffSide) int {
	if s.Rule == "" {
		return 1 << 30
	}
	return s.Line
}

// NewlyPermits reports whether any packet is permitted by the new filter and
// not by the old one (the "--fail-on permit" gate).
func (d FilterDiff) NewlyPermits() bool {
	for _, c := range d.Changes {
		if c.New.Action == Permit && c.Old.Action != Permit {
			return true
		}
	}
	return false
}

// WithoutDenyReject drops the changes between deny and reject.
func (d FilterDiff) WithoutDenyReject() FilterDiff {
	var out FilterDiff
	for _, c := range d.Changes {
		if SameVerdict(c.Old.Action, c.New.Action, true) {
			continue
		}
		out.Changes = append(out.Changes, c)
		n := len(c.Regions)
		out.Summary.Regions += n
		if c.New.Action == Permit {
			out.Summary.NewlyPermitted += n
		} else {
			out.Summary.NewlyBlocked += n
		}
	}
	out.Summary.Changes = len(out.Changes)
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
