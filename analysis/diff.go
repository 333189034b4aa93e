package analysis

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/search"
)

// DiffOptions tune Diff.
type DiffOptions struct {
	// RejectEqualsDeny treats deny and reject as the same verdict.
	RejectEqualsDeny bool
	// RegionLimit caps the regions listed per change (0 = 200).
	RegionLimit int
	// Workers bounds parallel filter diffs (0 = one per CPU).
	Workers int
}

// Side is one filter of a pair: the config it is evaluated in and the filter.
type Side struct {
	Config *policy.Config
	Filter *policy.Filter
}

// Pair is two filters to compare; Old or New is nil for a removed or an
// added filter.
type Pair struct {
	Old, New *Side
}

// FlowJSON is a sample flow in the stable JSON shape of diff output.
type FlowJSON struct {
	Proto    string `json:"proto"`
	Src      string `json:"src"`
	Dst      string `json:"dst"`
	SrcPort  uint16 `json:"sport,omitempty"`
	DstPort  uint16 `json:"dport,omitempty"`
	ICMPType *uint8 `json:"icmp_type,omitempty"`
	ICMPCode *uint8 `json:"icmp_code,omitempty"`
	// Text is the flow as `fwpol search flow` takes it.
	Text string `json:"text"`
}

// FlowOf renders a flow for JSON.
func FlowOf(f policy.Flow) FlowJSON {
	out := FlowJSON{Proto: policy.ProtoName(f.Proto), Src: f.Src.String(), Dst: f.Dst.String(), Text: search.FormatFlow(&f)}
	switch {
	case policy.HasPorts(f.Proto):
		out.SrcPort, out.DstPort = f.SrcPort, f.DstPort
	case policy.IsICMP(f.Proto):
		t, c := f.ICMPType, f.ICMPCode
		out.ICMPType, out.ICMPCode = &t, &c
	}
	return out
}

// RegionJSON is one readable region of changed packets.
type RegionJSON struct {
	// Text is the region as one line ("tcp src 10.0.0.0/8 dst ... dport 80").
	Text      string             `json:"text"`
	Family    policy.Family      `json:"family"`
	Protocols policy.Ranges      `json:"protocols,omitempty"`
	Src       []string           `json:"src,omitempty"`
	SrcExcept bool               `json:"src_except,omitempty"`
	Dst       []string           `json:"dst,omitempty"`
	DstExcept bool               `json:"dst_except,omitempty"`
	SrcPorts  policy.Ranges      `json:"src_ports,omitempty"`
	DstPorts  policy.Ranges      `json:"dst_ports,omitempty"`
	ICMP      []policy.ICMPRange `json:"icmp,omitempty"`
	Sample    FlowJSON           `json:"sample"`
}

func regionOf(r policy.Region) RegionJSON {
	return RegionJSON{Text: r.String(), Family: r.Family, Protocols: r.Protocols, Src: r.Src, SrcExcept: r.SrcExcept,
		Dst: r.Dst, DstExcept: r.DstExcept, SrcPorts: r.SrcPorts, DstPorts: r.DstPorts, ICMP: r.ICMP, Sample: FlowOf(r.Sample)}
}

// Change is one set of packets whose verdict changed, decided by the same
// rule (or default) on each side.
type Change struct {
	Old policy.DiffSide `json:"old"`
	New policy.DiffSide `json:"new"`
	// Direction is "newly-permitted", "newly-blocked" or "other" (deny ↔ reject).
	Direction string       `json:"direction"`
	Regions   []RegionJSON `json:"regions"`
	Truncated bool         `json:"truncated,omitempty"`
	// Sample is one flow of the change: Config.Decide on it yields Old on
	// the old side and New on the new side.
	Sample FlowJSON    `json:"sample"`
	Flow   policy.Flow `json:"-"`
}

// Cosmetic lists rule-level edits, whatever their effect on verdicts
// (informational). Rules are paired by content first (action, target and
// match, object names included) in order, so renumbering (IOS
// resequencing) and renaming show as renames, not as edits of every rule;
// a rule whose content reappears out of order moved; unpaired rules pair by
// name as modified, the rest were added or removed. Names are the new
// version's, except for removed rules.
type Cosmetic struct {
	Added    []string `json:"added,omitempty"`
	Removed  []string `json:"removed,omitempty"`
	Moved    []string `json:"moved,omitempty"`
	Modified []string `json:"modified,omitempty"`
	// Renamed lists rules with the same content under another name.
	Renamed []Rename `json:"renamed,omitempty"`
}

// Rename is a rule kept with its content under a new name.
type Rename struct {
	Old string `json:"old"`
	New string `json:"new"`
}

func (r Rename) String() string { return r.Old + "→" + r.New }

// Empty reports whether no rule was edited.
func (c *Cosmetic) Empty() bool {
	return c == nil || len(c.Added)+len(c.Removed)+len(c.Moved)+len(c.Modified)+len(c.Renamed) == 0
}

// FilterReport is the diff of one pair of filters.
type FilterReport struct {
	Device string `json:"device"`
	Filter string `json:"filter"`
	// AgainstDevice/Against name the new side when it differs (--against).
	AgainstDevice string `json:"against_device,omitempty"`
	Against       string `json:"against,omitempty"`
	Vendor        string `json:"vendor"`
	OldFile       string `json:"old_file,omitempty"`
	NewFile       string `json:"new_file,omitempty"`
	// Status is "changed" (verdicts differ), "unchanged", "added" or "removed".
	Status   string             `json:"status"`
	Changes  []Change           `json:"changes"`
	Summary  policy.DiffSummary `json:"summary"`
	Cosmetic *Cosmetic          `json:"cosmetic,omitempty"`
	// NewlyPermits: some packet is permitted by the new filter only (for an
	// added filter: it permits something).
	NewlyPermits bool `json:"newly_permits"`
}

// BindingChange is a binding (where a filter is applied) present on one side only.
type BindingChange struct {
	Device string `json:"device"`
	// Change is "added" or "removed".
	Change string `json:"change"`
	policy.Binding
}

// DiffSummary counts over the whole report.
type DiffSummary struct {
	Filters        int `json:"filters"`
	Changed        int `json:"changed"`
	Added          int `json:"added"`
	Removed        int `json:"removed"`
	Unchanged      int `json:"unchanged"`
	Cosmetic       int `json:"cosmetic"`
	Regions        int `json:"regions"`
	NewlyPermitted int `json:"newly_permitted"`
	NewlyBlocked   int `json:"newly_blocked"`
	Other          int `json:"other"`
	BindingChanges int `json:"binding_changes"`
}

// DiffReport is the semantic diff of two estates (or two filters).
type DiffReport struct {
	Old      string          `json:"old"`
	New      string          `json:"new"`
	Filters  []FilterReport  `json:"filters"`
	Bindings []BindingChange `json:"bindings,omitempty"`
	Summary  DiffSummary     `json:"summary"`
}

// TrafficChanged reports whether any verdict changed, a filter was added or
// removed, or a binding changed.
func (r *DiffReport) TrafficChanged() bool {
	return r.Summary.Changed+r.Summary.Added+r.Summary.Removed+r.Summary.BindingChanges > 0
}

// NewlyPermits reports whether any packet may now be permitted that was not:
// a verdict changed to permit, an added filter permits something, or a
// filter stopped being applied somewhere (removed interface, global or hook
// bindings: what it blocked there now passes). Removing a zone-pair binding
// blocks traffic (zone-based firewalls drop between zones without a policy),
// so it does not count.
func (r *DiffReport) NewlyPermits() bool {
	for _, f := range r.Filters {
		if f.NewlyPermits {
			return true
		}
	}
	for _, b := range r.Bindings {
		if b.Change == "removed" && b.Kind != "zone-pair" {
			return true
		}
	}
	return false
}

type key struct{ device, filter string }

// PairEstates pairs the entry filters of two estates by device and filter name.
func PairEstates(oldCfgs, newCfgs []*policy.Config) []Pair {
	index := func(cfgs []*policy.Config) (map[key]*Side, []key) {
		m := map[key]*Side{}
		var order []key
		for _, c := range cfgs {
			for _, f := range c.Filters {
				if !f.Entry {
					continue
				}
				k := key{c.Device, f.Name}
				if _, dup := m[k]; dup {
					continue
				}
				m[k] = &Side{c, f}
				order = append(order, k)
			}
		}
		return m, order
	}
	om, oorder := index(oldCfgs)
	nm, norder := index(newCfgs)
	var pairs []Pair
	for _, k := range oorder {
		pairs = append(pairs, Pair{Old: om[k], New: nm[k]})
	}
	for _, k := range norder {
		if om[k] == nil {
			pairs = append(pairs, Pair{New: nm[k]})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		a, b := pairKey(pairs[i]), pairKey(pairs[j])
		if a.device != b.device {
			return a.device < b.device
		}
		return a.filter < b.filter
	})
	return pairs
}

func pairKey(p Pair) key {
	s := p.Old
	if s == nil {
		s = p.New
	}
	return key{s.Config.Device, s.Filter.Name}
}

// DiffBindings lists bindings present on one side only, per device.
func DiffBindings(oldCfgs, newCfgs []*policy.Config) []BindingChange {
	type bkey struct {
		device, filter, kind, target, dir string
	}
	collect := func(cfgs []*policy.Config) (map[bkey]policy.Binding, map[string]bool) {
		m := map[bkey]policy.Binding{}
		devs := map[string]bool{}
		for _, c := range cfgs {
			devs[c.Device] = true
			for _, b := range c.Bindings {
				m[bkey{c.Device, b.Filter, b.Kind, b.Target, b.Direction}] = b
			}
		}
		return m, devs
	}
	om, odev := collect(oldCfgs)
	nm, ndev := collect(newCfgs)
	var out []BindingChange
	for k, b := range om {
		// a removed device is reported through its removed filters
		if _, ok := nm[k]; !ok && ndev[k.device] {
			out = append(out, BindingChange{Device: k.device, Change: "removed", Binding: b})
		}
	}
	for k, b := range nm {
		if _, ok := om[k]; !ok && odev[k.device] {
			out = append(out, BindingChange{Device: k.device, Change: "added", Binding: b})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Device != b.Device {
			return a.Device < b.Device
		}
		if a.Filter != b.Filter {
			return a.Filter < b.Filter
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Change < b.Change
	})
	return out
}

// Diff compares every pair (in parallel) and summarizes.
func Diff(pairs []Pair, bindings []BindingChange, opt DiffOptions) *DiffReport {
	if opt.RegionLimit <= 0 {
		opt.RegionLimit = 200
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	reports := make([]FilterReport, len(pairs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reports[i] = DiffPair(pairs[i], opt)
			}
		}()
	}
	for i := range pairs {
		next <- i
	}
	close(next)
	wg.Wait()
	rep := &DiffReport{Filters: reports, Bindings: bindings}
	s := &rep.Summary
	for _, r := range reports {
		s.Filters++
		switch r.Status {
		case "changed":
			s.Changed++
		case "added":
			s.Added++
		case "removed":
			s.Removed++
		default:
			s.Unchanged++
		}
		if !r.Cosmetic.Empty() {
			s.Cosmetic++
		}
		s.Regions += r.Summary.Regions
		s.NewlyPermitted += r.Summary.NewlyPermitted
		s.NewlyBlocked += r.Summary.NewlyBlocked
		s.Other += r.Summary.Other
	}
	s.BindingChanges = len(bindings)
	return rep
}

// DiffPair compares one pair of filters.
func DiffPair(p Pair, opt DiffOptions) FilterReport {
	var r FilterReport
	switch {
	case p.Old == nil:
		r = FilterReport{Device: p.New.Config.Device, Filter: p.New.Filter.Name, Vendor: p.New.Config.Vendor,
			NewFile: p.New.Config.File, Status: "added", Changes: []Change{}}
		r.NewlyPermits = permitsAnything(p.New)
		return r
	case p.New == nil:
		return FilterReport{Device: p.Old.Config.Device, Filter: p.Old.Filter.Name, Vendor: p.Old.Config.Vendor,
			OldFile: p.Old.Config.File, Status: "removed", Changes: []Change{}}
	}
	r = FilterReport{Device: p.Old.Config.Device, Filter: p.Old.Filter.Name, Vendor: p.Old.Config.Vendor,
		OldFile: p.Old.Config.File, NewFile: p.New.Config.File, Status: "unchanged", Changes: []Change{}}
	if p.New.Config.Device != r.Device {
		r.AgainstDevice = p.New.Config.Device
	}
	if p.New.Filter.Name != r.Filter {
		r.Against = p.New.Filter.Name
	}
	if p.New.Config.Vendor != r.Vendor {
		r.Vendor += "/" + p.New.Config.Vendor
	}
	same := Fingerprint(p.Old.Config, p.Old.Filter) == Fingerprint(p.New.Config, p.New.Filter)
	if !same || !sameRuleNames(p.Old.Filter, p.New.Filter) {
		// (the same rule contents in order under the same names: no edit)
		r.Cosmetic = cosmetic(p.Old.Filter, p.New.Filter)
		if r.Cosmetic.Empty() {
			r.Cosmetic = nil
		}
	}
	if same {
		return r // same rules, same jump targets: the same verdicts
	}
	d := policy.DiffFiltersWith(p.Old.Config, p.Old.Filter, p.New.Config, p.New.Filter,
		policy.DiffOptions{RejectEqualsDeny: opt.RejectEqualsDeny, RegionLimit: opt.RegionLimit})
	if len(d.Changes) == 0 {
		return r
	}
	r.Status = "changed"
	r.Summary = d.Summary
	r.NewlyPermits = d.NewlyPermits()
	for _, c := range d.Changes {
		ch := Change{Old: c.Old, New: c.New, Truncated: c.Truncated, Sample: FlowOf(c.Sample), Flow: c.Sample}
		switch {
		case c.New.Action == policy.Permit:
			ch.Direction = "newly-permitted"
		case c.Old.Action == policy.Permit:
			ch.Direction = "newly-blocked"
		default:
			ch.Direction = "other"
		}
		ch.Regions = make([]RegionJSON, len(c.Regions))
		for i, rg := range c.Regions {
			ch.Regions[i] = regionOf(rg)
		}
		r.Changes = append(r.Changes, ch)
	}
	return r
}

// permitsAnything reports whether an (added) filter permits some packet.
func permitsAnything(s *Side) bool {
	m := policy.NewManager(1 << 12)
	dm := m.Decisions(s.Config, s.Filter)
	return !dm.Verdicts()[policy.Permit].IsEmpty()
}

// Fingerprint hashes what decides a filter's verdicts: its family, default,
// and every rule's action, target and match (not names or positions), and
// the same for every filter it jumps or goes to.
func Fingerprint(c *policy.Config, f *policy.Filter) [32]byte {
	h := sha256.New()
	seen := map[*policy.Filter]bool{}
	var walk func(f *policy.Filter)
	var buf [8]byte
	var key []byte
	walk = func(f *policy.Filter) {
		if f == nil || seen[f] {
			return
		}
		seen[f] = true
		fmt.Fprintf(h, "F%s|%d|%d|%d|%d\n", f.Name, f.Family, f.Default, boolInt(f.Entry), len(f.Rules))
		for _, r := range f.Rules {
			if r == nil {
				h.Write([]byte("nil\n"))
				continue
			}
			key = policy.AppendRuleKey(key[:0], r, true)
			binary.LittleEndian.PutUint64(buf[:], uint64(len(key)))
			h.Write(buf[:])
			h.Write(key)
		}
		for _, r := range f.Rules {
			if r != nil && (r.Action == policy.Jump || r.Action == policy.Goto) && c != nil {
				walk(c.Filter(r.Target))
			}
		}
	}
	walk(f)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sameRuleNames(a, b *policy.Filter) bool {
	if len(a.Rules) != len(b.Rules) {
		return false
	}
	for i, r := range a.Rules {
		q := b.Rules[i]
		if (r == nil) != (q == nil) || (r != nil && r.Name != q.Name) {
			return false
		}
	}
	return true
}

// cosmeticMaxEdits bounds the content alignment; beyond it rules pair by
// name only.
const cosmeticMaxEdits = 4096

// cosmetic lists the rule edits between two versions of a filter (see
// Cosmetic).
func cosmetic(a, b *policy.Filter) *Cosmetic {
	ra, rb := nonNilRules(a.Rules), nonNilRules(b.Rules)
	ids := policy.RuleKeyIDs(true, ra, rb)
	ka, kb := ids[0], ids[1]
	pairOf, ok := policy.AlignSeqs(ka, kb, cosmeticMaxEdits)
	if !ok {
		pairOf = make([]int32, len(ra))
		for i := range pairOf {
			pairOf[i] = -1
		}
	}
	c := &Cosmetic{}
	usedB := make([]bool, len(rb))
	usedA := make([]bool, len(ra))
	rename := func(x, y *policy.Rule) {
		if x.Name != y.Name {
			c.Renamed = append(c.Renamed, Rename{x.Name, y.Name})
		}
	}
	for i, j := range pairOf {
		if j >= 0 {
			usedA[i], usedB[j] = true, true
			rename(ra[i], rb[j])
		}
	}
	// out of order: the same content among the unpaired rules
	byContent := map[int32][]int{}
	for i := range ra {
		if !usedA[i] && ok {
			byContent[ka[i]] = append(byContent[ka[i]], i)
		}
	}
	for j, r := range rb {
		if usedB[j] {
			continue
		}
		if q := byContent[kb[j]]; len(q) > 0 {
			i := q[0]
			byContent[kb[j]] = q[1:]
			usedA[i], usedB[j] = true, true
			c.Moved = append(c.Moved, r.Name)
			rename(ra[i], r)
		}
	}
	// what is left pairs by name (same name, other content), then in
	// order within the same gap of the alignment (a rule replaced in
	// place, renumbered or not)
	byName := map[string]int{}
	for i := len(ra) - 1; i >= 0; i-- {
		if !usedA[i] {
			byName[ra[i].Name] = i
		}
	}
	modified := make([]bool, len(rb))
	for j, r := range rb {
		if usedB[j] {
			continue
		}
		if i, found := byName[r.Name]; found && !usedA[i] {
			usedA[i], usedB[j] = true, true
			modified[j] = ka[i] != kb[j]
		}
	}
	if ok {
		gapA := gapsOf(len(ra), func(i int) bool { return pairOf[i] >= 0 })
		inB := make([]bool, len(rb))
		for _, j := range pairOf {
			if j >= 0 {
				inB[j] = true
			}
		}
		gapB := gapsOf(len(rb), func(j int) bool { return inB[j] })
		next := map[int][]int{} // gap -> unpaired old rules
		for i := range ra {
			if !usedA[i] {
				next[gapA[i]] = append(next[gapA[i]], i)
			}
		}
		for j := range rb {
			if q := next[gapB[j]]; !usedB[j] && len(q) > 0 {
				usedA[q[0]], usedB[j], modified[j] = true, true, true
				next[gapB[j]] = q[1:]
			}
		}
	}
	for j, r := range rb {
		if modified[j] {
			c.Modified = append(c.Modified, r.Name)
		} else if !usedB[j] {
			c.Added = append(c.Added, r.Name)
		}
	}
	for i, r := range ra {
		if !usedA[i] {
			c.Removed = append(c.Removed, r.Name)
		}
	}
	return c
}

// gapsOf numbers the gaps of an alignment: the gap of position i is the
// number of aligned positions before it.
func gapsOf(n int, aligned func(int) bool) []int {
	out := make([]int, n)
	g := 0
	for i := range out {
		out[i] = g
		if aligned(i) {
			g++
		}
	}
	return out
}

func nonNilRules(rs []*policy.Rule) []*policy.Rule {
	out := make([]*policy.Rule, 0, len(rs))
	for _, r := range rs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// FindFilter returns the filters named name (entry filters or not) in cfgs,
// on device when it is not empty.
func FindFilter(cfgs []*policy.Config, device, name string) []*Side {
	var out []*Side
	for _, c := range cfgs {
		if device != "" && c.Device != device {
			continue
		}
		if f := c.Filter(name); f != nil {
			out = append(out, &Side{c, f})
		}
	}
	return out
}
