package analysis

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// Severity ranks lint findings: note < warning < error.
type Severity uint8

const (
	SevNote Severity = iota + 1
	SevWarning
	SevError
)

var sevNames = [...]string{"", "note", "warning", "error"}

func (s Severity) String() string {
	if int(s) < len(sevNames) && s > 0 {
		return sevNames[s]
	}
	return fmt.Sprintf("severity(%d)", s)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity parses "note", "warning" or "error".
func ParseSeverity(v string) (Severity, error) {
	for i, n := range sevNames {
		if i > 0 && n == v {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want note, warning or error)", v)
}

// LintRule describes one check, with the severity its findings get.
type LintRule struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	// Severity is the default; some rules grade findings (see Severity notes).
	Severity Severity `json:"severity"`
}

// LintRules lists every check fwpol lint runs.
var LintRules = []LintRule{
	{"shadowed-conflict", "a rule never decides a packet because earlier rules decide all of its packets, some with a different verdict: its intent is not enforced", SevError},
	{"shadowed", "a rule never decides a packet because earlier rules decide all of its packets with its own verdict (warning for permit rules, note for deny/reject and others)", SevWarning},
	{"redundant", "a rule decides packets, but removing it changes no verdict: later rules or the default decide them the same way (a deny right before the implicit deny is the typical case)", SevNote},
	{"empty", "a rule matches no packet at all: empty groups, contradictory conditions, unresolved references, wrong address family", SevWarning},
	{"undefined", "a name is used but never defined (the referencing rule matches nothing, or the binding applies nothing)", SevError},
	{"unused-object", "an object is never referenced by a rule, nor as a member of a used object", SevNote},
	{"unused-filter", "a filter is never jumped to, nor (when the device has bindings) bound to an interface, zone pair, line or hook", SevNote},
	{"permit-any-any", "a permit rule matches any source and any destination (on any port, or on the ports it names); ICMP-only and interface-scoped rules are not reported", SevWarning},
	{"expired", "a rule uses a time-range (ASA, IOS) or scheduler (Junos SRX) whose end date has passed (relative to --now): on the device it no longer matches; the end date is in the finding", SevWarning},
	{"broad-source", "a permit rule's source contains a network wider than --max-src-prefix (IPv4) or --max-src-prefix6 (IPv6); a source of \"any\" is reported only with any destination (permit-any-any)", SevWarning},
}

// LintFinding is one result of fwpol lint.
type LintFinding struct {
	// Check is the LintRules ID.
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col,omitempty"`
	Site     string   `json:"site,omitempty"`
	Device   string   `json:"device"`
	Vendor   string   `json:"vendor"`
	// Filter and Rule name what the finding is about (Object for object
	// findings).
	Filter  string `json:"filter,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Object  string `json:"object,omitempty"`
	Action  string `json:"action,omitempty"`
	Message string `json:"message"`
	// Related are the rules that shadow (earlier) or would take over
	// (later, or the default) the rule's packets.
	Related     []policy.RuleRef `json:"related,omitempty"`
	RelatedMore int              `json:"related_more,omitempty"`
	// Ended is, for expired findings, when the rule's time-range or
	// scheduler ended (RFC 3339, device local time labelled UTC).
	Ended string `json:"ended,omitempty"`
	// Suppressed: the rule's comment silences this check (fwpol:ignore).
	Suppressed bool `json:"suppressed,omitempty"`
}

// LintOptions tune Lint.
type LintOptions struct {
	// MaxSrcPrefix flags permit sources holding an IPv4 network shorter
	// than this prefix length (0 = 8; negative disables).
	MaxSrcPrefix int
	// MaxSrcPrefix6 is the same for IPv6 (0 = 32; negative disables).
	MaxSrcPrefix6 int
	// Workers bounds parallelism (0 = one per CPU).
	Workers int
	// Now is the time expired time-ranges are judged at (zero = now).
	Now time.Time
	// Checks, when set, are the only checks run (LintRules IDs); the
	// packet-space analysis is skipped when none of its checks is wanted.
	Checks map[string]bool
}

// wants reports whether check runs.
func (o *LintOptions) wants(check string) bool { return o.Checks == nil || o.Checks[check] }

// spaceChecks are the checks of the packet-space analysis of filters.
var spaceChecks = []string{"shadowed", "shadowed-conflict", "redundant", "empty"}

// managerBudget bounds the nodes a worker's reused manager accumulates
// before it is replaced: small filters share one manager instead of each
// allocating tables sized for 20K rules, and its tables stay small enough
// to be cache-friendly (a larger unique table makes every node lookup a
// cache miss).
const managerBudget = 1 << 18

// smallJob is the node budget under which a job runs in a manager reset for
// it: tiny components (host firewalls) then work in a few hundred kilobytes
// that stay in the CPU caches.
const smallJob = 1 << 13

// Lint runs every check over the configs, in parallel per config, and
// returns the findings sorted by file and line.
func Lint(cfgs []*policy.Config, opt LintOptions) []LintFinding {
	if opt.MaxSrcPrefix == 0 {
		opt.MaxSrcPrefix = 8
	}
	if opt.MaxSrcPrefix6 == 0 {
		opt.MaxSrcPrefix6 = 32
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	per := make([][]LintFinding, len(cfgs))
	var wg sync.WaitGroup
	var mu sync.Mutex
	nextIdx := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &configLinter{opt: opt}
			for {
				// hand out configs in small batches: estates hold tens of
				// thousands of tiny host configs
				mu.Lock()
				lo := nextIdx
				nextIdx += 64
				mu.Unlock()
				if lo >= len(cfgs) {
					return
				}
				hi := min(lo+64, len(cfgs))
				for i := lo; i < hi; i++ {
					per[i] = l.lint(cfgs[i])
				}
			}
		}()
	}
	wg.Wait()
	var out []LintFinding
	for _, fs := range per {
		out = append(out, fs...)
	}
	SortFindings(out)
	return out
}

// SortFindings orders findings by file, line, column, check.
func SortFindings(fs []LintFinding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Check < b.Check
	})
}

type configLinter struct {
	opt   LintOptions
	m     *policy.Manager
	small *policy.Manager // reset for every small job
	memo  lintMemo
	// memoHits counts components answered from memo (for tests).
	memoHits int
}

func (l *configLinter) manager(need int) *policy.Manager {
	if need <= smallJob {
		if l.small == nil {
			l.small = policy.NewManager(smallJob)
		}
		l.small.Reset()
		return l.small
	}
	if need > managerBudget/2 {
		return policy.NewManager(need + need/2) // a large filter: its own manager
	}
	if l.m == nil || l.m.NodeCount()+need > managerBudget {
		l.m = policy.NewManager(managerBudget)
	}
	return l.m
}

func (l *configLinter) lint(c *policy.Config) []LintFinding {
	var out []LintFinding
	base := func(check string, sev Severity, pos policy.Pos) LintFinding {
		file := pos.File
		if file == "" {
			file = c.File
		}
		return LintFinding{Check: check, Severity: sev, File: file, Line: pos.Line, Col: pos.Col, Site: c.Site, Device: c.Device, Vendor: c.Vendor}
	}
	total := 0
	for _, f := range c.Filters {
		total += len(f.Rules)
	}
	space := false
	for _, ch := range spaceChecks {
		space = space || l.opt.wants(ch)
	}
	for _, f := range c.Filters {
		if !space || !hasDecidingRule(f) {
			for _, r := range f.Rules {
				if fd, ok := l.broad(c, f, r, base); ok {
					out = append(out, fd)
				}
			}
			continue
		}
		var found []policy.Finding
		if len(f.Rules) <= smallFilterRules {
			found = l.lintSmall(c, f)
		} else if fs, ok := l.lintLarge(c, f); ok {
			found = fs
		} else {
			found = l.manager(100*total+1024).LintFilter(c, f)
		}
		for _, pf := range found {
			if !f.Entry && pf.Kind == policy.FindingRedundant {
				// whether a chain's rule is redundant depends on what
				// follows the jump in each caller: not reported
				continue
			}
			fd := base("", 0, pf.Pos)
			fd.Filter, fd.Rule, fd.Action, fd.Message = f.Name, pf.Rule, pf.Action.String(), pf.Message
			fd.Related, fd.RelatedMore = pf.Related, pf.RelatedMore
			if fd.Line == 0 {
				fd.Line = pf.Line
			}
			switch pf.Kind {
			case policy.FindingEmpty:
				fd.Check, fd.Severity = "empty", SevWarning
			case policy.FindingShadowed:
				switch {
				case pf.Conflict && implicitRule(f, pf):
					// a rule the platform adds (IOS/NX-OS IPv6 neighbor
					// discovery permits), not one the team wrote
					fd.Check, fd.Severity = "shadowed", SevWarning
					fd.Message = "the platform's implicit neighbor-discovery permit (" + pf.Rule + ") never applies: earlier rules " +
						policy.RefList(pf.Related, pf.RelatedMore) + " decide its packets (IPv6 neighbor discovery fails where this ACL is applied)"
				case pf.Conflict:
					fd.Check, fd.Severity = "shadowed-conflict", SevError
				case pf.Action == policy.Permit:
					fd.Check, fd.Severity = "shadowed", SevWarning
				default:
					fd.Check, fd.Severity = "shadowed", SevNote
				}
			case policy.FindingRedundant:
				fd.Check, fd.Severity = "redundant", SevNote
			default:
				continue
			}
			out = append(out, fd)
		}
		for _, r := range f.Rules {
			if fd, ok := l.broad(c, f, r, base); ok {
				out = append(out, fd)
			}
		}
	}
	out = append(out, expired(c, l.opt.Now, base)...)
	for _, u := range c.Undefined {
		fd := base("undefined", SevError, u.Pos)
		fd.Object = u.Name
		fd.Message = fmt.Sprintf("%s %q is referenced but not defined", u.Kind, u.Name)
		out = append(out, fd)
	}
	out = append(out, unusedObjects(c, base)...)
	out = append(out, unusedFilters(c, base)...)
	if l.opt.Checks != nil {
		kept := out[:0]
		for _, fd := range out {
			if l.opt.Checks[fd.Check] {
				kept = append(kept, fd)
			}
		}
		out = kept
	}
	markSuppressed(c, out)
	return out
}

// implicitRule reports whether the finding is about a rule the platform
// adds to the filter (Extras.Vendor "implicit").
func implicitRule(f *policy.Filter, pf policy.Finding) bool {
	for _, r := range f.Rules {
		if r != nil && r.Name == pf.Rule && r.Pos == pf.Pos {
			return r.Extras.Vendor["implicit"] == "true"
		}
	}
	return false
}

func hasDecidingRule(f *policy.Filter) bool {
	for _, r := range f.Rules {
		if r != nil && !r.Inactive && r.Action != policy.Next {
			return true
		}
	}
	return false
}

// broad reports permit-any-any and broad-source for a permit rule.
func (l *configLinter) broad(c *policy.Config, f *policy.Filter, r *policy.Rule, base func(string, Severity, policy.Pos) LintFinding) (LintFinding, bool) {
	if r == nil || r.Inactive || r.Action != policy.Permit || r.Match.NotInitial || len(r.Match.Unresolved) > 0 ||
		r.Match.InIface != "" || r.Match.OutIface != "" || icmpOnly(&r.Match) {
		// interface-scoped rules (loopback) and ICMP-only rules are not
		// what a broad permit means
		return LintFinding{}, false
	}
	src, dst := &r.Match.Src, &r.Match.Dst
	isAny := func(a *policy.AddrMatch) bool { return !a.Negate && (a.Any || wholeFamilies(a.Set)) }
	fd := base("", SevWarning, r.Pos)
	fd.Filter, fd.Rule, fd.Action = f.Name, r.Name, "permit"
	if isAny(src) && isAny(dst) {
		fd.Check = "permit-any-any"
		fd.Message = "permits any source to any destination" + serviceText(&r.Match)
		return fd, true
	}
	if isAny(src) {
		return LintFinding{}, false
	}
	if wide := l.widest(src, f.Family); wide != "" {
		fd.Check = "broad-source"
		fd.Message = "permits source " + wide + serviceText(&r.Match)
		return fd, true
	}
	return LintFinding{}, false
}

// wholeFamilies reports whether s is every address of one or both families
// (ASA "any4", an nft rule whose "ip" selector implies IPv4): "any" as far
// as a rule of that family can tell.
func wholeFamilies(s *policy.AddrSet) bool {
	if s == nil || len(s.Wildcards()) > 0 {
		return false
	}
	rs := s.Ranges()
	if len(rs) == 0 || len(rs) > 2 {
		return false
	}
	for _, r := range rs {
		if p, ok := r.Prefix(); !ok || p.Bits() != 0 {
			return false
		}
	}
	return true
}

// widest returns the first source network wider than the limit ("" if none).
func (l *configLinter) widest(a *policy.AddrMatch, fam policy.Family) string {
	limit := func(v4 bool) int {
		if v4 {
			return l.opt.MaxSrcPrefix
		}
		return l.opt.MaxSrcPrefix6
	}
	if a.Negate {
		if a.Any {
			return ""
		}
		s := "any except " + a.Set.String()
		if len(s) > 80 {
			s = s[:77] + "..."
		}
		for _, v4 := range []bool{true, false} {
			if limit(v4) >= 0 && (fam == policy.FamilyAny || (fam == policy.FamilyIPv4) == v4) {
				return s
			}
		}
		return ""
	}
	if a.Set == nil {
		return ""
	}
	if mayHoldWide(a.Set.Ranges(), limit) {
		for _, p := range a.Set.Prefixes() {
			if lim := limit(p.Addr().Is4()); lim >= 0 && p.Bits() < lim {
				return p.String()
			}
		}
	}
	for _, w := range a.Set.Wildcards() {
		ones := 0
		for _, b := range w.Mask.AsSlice() {
			ones += bits.OnesCount8(b)
		}
		width := w.Addr.BitLen()
		if lim := limit(w.Addr.Is4()); lim >= 0 && width-ones < lim {
			return w.String()
		}
	}
	return ""
}

// icmpOnly reports whether a match only admits ICMP or ICMPv6.
func icmpOnly(m *policy.Match) bool {
	if m.Protocols == nil || len(*m.Protocols) == 0 {
		return false
	}
	for _, r := range *m.Protocols {
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			if !policy.IsICMP(uint8(p)) {
				return false
			}
		}
	}
	return true
}

func serviceText(m *policy.Match) string {
	var parts []string
	if m.Protocols != nil {
		var ps []string
		for _, r := range *m.Protocols {
			for p := int(r.Lo); p <= int(r.Hi) && len(ps) < 8; p++ {
				ps = append(ps, policy.ProtoName(uint8(p)))
			}
		}
		parts = append(parts, strings.Join(ps, ","))
	}
	if m.DstPorts != nil {
		parts = append(parts, "port "+m.DstPorts.String())
	}
	if m.ICMPTypes != nil {
		parts = append(parts, "icmp-type "+m.ICMPTypes.String())
	}
	if len(m.ServiceRefs) > 0 {
		parts = append(parts, "service "+strings.Join(m.ServiceRefs, ","))
	}
	if len(parts) == 0 {
		return " (every protocol and port)"
	}
	return " (" + strings.Join(parts, " ") + ")"
}

// unusedObjects reports objects no rule references, directly or as a member
// of a referenced object.
func unusedObjects(c *policy.Config, base func(string, Severity, policy.Pos) LintFinding) []LintFinding {
	if len(c.Objects) == 0 {
		return nil
	}
	byName := map[string][]*policy.Object{}
	for _, o := range c.Objects {
		byName[o.Name] = append(byName[o.Name], o)
	}
	used := map[string]bool{}
	var queue []string
	use := func(name string) {
		if !used[name] {
			used[name] = true
			queue = append(queue, name)
		}
	}
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			if r == nil {
				continue
			}
			for _, n := range r.Match.Src.Refs {
				use(n)
			}
			for _, n := range r.Match.Dst.Refs {
				use(n)
			}
			for _, n := range r.Match.ServiceRefs {
				use(n)
			}
			if r.Extras.TimeRange != "" {
				use(r.Extras.TimeRange)
			}
		}
	}
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, o := range byName[n] {
			for _, mem := range o.Members {
				use(mem)
			}
		}
	}
	var out []LintFinding
	for _, o := range c.Objects {
		if used[o.Name] {
			continue
		}
		fd := base("unused-object", SevNote, o.Pos)
		fd.Object = o.Name
		fd.Message = fmt.Sprintf("%s %q is not referenced by any rule or used object", o.Kind, o.Name)
		out = append(out, fd)
	}
	return out
}

// unusedFilters reports filters never jumped to and, when the config has
// bindings, entry filters never bound.
func unusedFilters(c *policy.Config, base func(string, Severity, policy.Pos) LintFinding) []LintFinding {
	targets := map[string]bool{}
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			if r != nil && (r.Action == policy.Jump || r.Action == policy.Goto) {
				targets[r.Target] = true
			}
		}
	}
	bound := map[string]bool{}
	for _, b := range c.Bindings {
		bound[b.Filter] = true
	}
	var out []LintFinding
	for _, f := range c.Filters {
		if targets[f.Name] || bound[f.Name] {
			continue
		}
		var msg string
		switch {
		case !f.Entry:
			msg = fmt.Sprintf("%s %q is never jumped to", f.Kind, f.Name)
		case len(c.Bindings) > 0:
			msg = fmt.Sprintf("%s %q is not applied anywhere (no interface, zone-pair, line or hook binding) nor jumped to", f.Kind, f.Name)
		default:
			continue
		}
		fd := base("unused-filter", SevNote, f.Pos)
		fd.Filter = f.Name
		fd.Message = msg
		out = append(out, fd)
	}
	return out
}

// CountBySeverity counts findings at each severity.
func CountBySeverity(fs []LintFinding) map[Severity]int {
	out := map[Severity]int{}
	for _, f := range fs {
		out[f.Severity]++
	}
	return out
}

// expired reports rules whose time-range or scheduler ended before now.
func expired(c *policy.Config, now time.Time, base func(string, Severity, policy.Pos) LintFinding) []LintFinding {
	var ranges map[string]*policy.Object
	var out []LintFinding
	type key struct {
		filter, rule string
		pos          policy.Pos
	}
	seen := map[key]bool{}
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			if r == nil || r.Inactive || r.Extras.TimeRange == "" {
				continue
			}
			if ranges == nil {
				ranges = map[string]*policy.Object{}
				for _, o := range c.Objects {
					if (o.Kind == policy.KindTimeRange || o.Kind == policy.KindScheduler) && ranges[o.Name] == nil {
						ranges[o.Name] = o
					}
				}
			}
			o := ranges[r.Extras.TimeRange]
			end, ok := policy.TimeRangeEnd(o)
			if !ok || !end.Before(now) {
				continue
			}
			k := key{f.Name, r.Name, r.Pos}
			if seen[k] {
				continue // one policy compiled into several rules
			}
			seen[k] = true
			fd := base("expired", SevWarning, r.Pos)
			fd.Filter, fd.Rule, fd.Action, fd.Object = f.Name, r.Name, r.Action.String(), o.Name
			fd.Ended = end.Format(time.RFC3339)
			fd.Message = fmt.Sprintf("%s %q ended %s: the rule no longer matches any packet on the device (remove it or the %s)",
				o.Kind, o.Name, end.Format("2006-01-02 15:04"), o.Kind)
			out = append(out, fd)
		}
	}
	return out
}

// mayHoldWide reports whether some range is large enough to hold a prefix
// shorter than the limit of its family (a prefix of length p spans 2^(w-p)
// addresses), so that computing the set's prefixes is worth it.
func mayHoldWide(rs []netipx.IPRange, limit func(v4 bool) int) bool {
	for _, r := range rs {
		v4 := r.From().Is4()
		lim := limit(v4)
		if lim < 0 {
			continue
		}
		w := 128
		if v4 {
			w = 32
		}
		need := w - lim + 1 // a prefix shorter than lim spans at least 2^need addresses
		if need <= 0 {
			return true
		}
		a, b := r.From().As16(), r.To().As16()
		ahi, alo := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])
		bhi, blo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
		dlo, borrow := bits.Sub64(blo, alo, 0)
		dhi, _ := bits.Sub64(bhi, ahi, borrow)
		// the range holds 2^need addresses iff span-1 >= 2^need - 1
		if need >= 128 {
			return true // only /0 is shorter: leave it to the prefixes
		}
		var thi, tlo uint64 = 0, 1<<need - 1
		if need >= 64 {
			thi, tlo = 1<<(need-64)-1, ^uint64(0)
		}
		if dhi > thi || (dhi == thi && dlo >= tlo) {
			return true
		}
	}
	return false
}
