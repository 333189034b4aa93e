package blocklist

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
)

// Request is what a responder asks to block.
type Request struct {
	Ranges    []string
	Reason    string
	Ticket    string
	User      string
	Expires   time.Time // zero = never
	Scope     Scope
	Direction Direction
	Source    string
	Force     bool
}

// Refusal says why a range is not blocked.
type Refusal struct {
	Range  string `json:"range"`
	Reason string `json:"reason"`
	// Forcible refusals (protected, management, infrastructure, too wide)
	// can be overridden with --force; malformed ranges cannot.
	Forcible bool `json:"forcible"`
	// Line is the feed line (imports), 0 otherwise.
	Line int `json:"line,omitempty"`
}

// Limits bound how wide a range may be without --force, as the shortest
// prefix length allowed per family (default /16 IPv4, /32 IPv6).
type Limits struct {
	MinBits4, MinBits6 int
}

// DefaultLimits are /16 for IPv4 and /32 for IPv6.
var DefaultLimits = Limits{MinBits4: 16, MinBits6: 32}

// Safety checks ranges against the inventory: protected ranges, device
// management addresses, site infrastructure ranges, and the width limits.
type Safety struct {
	Limits Limits
	prot   []guard
	mgmt   []mgmtAddr // sorted by address
}

type guard struct {
	r    netipx.IPRange
	what string
}

type mgmtAddr struct {
	a      netip.Addr
	device string
}

// NewSafety prepares the checks for inv (nil: only the width limits).
func NewSafety(inv *netdb.Inventory, lim Limits) *Safety {
	s := &Safety{Limits: lim}
	if inv == nil {
		return s
	}
	for _, p := range inv.Protected {
		what := fmt.Sprintf("protected range %s", p.Prefix)
		if p.Reason != "" {
			what += " (" + p.Reason + ")"
		}
		if p.Pos.File != "" {
			what += " at " + p.Pos.String()
		}
		s.prot = append(s.prot, guard{netipx.RangeOfPrefix(p.Prefix), what})
	}
	for _, site := range inv.Sites {
		for _, p := range site.Infrastructure {
			s.prot = append(s.prot, guard{netipx.RangeOfPrefix(p), fmt.Sprintf("infrastructure range %s of site %s", p, site.Name)})
		}
	}
	for _, d := range inv.Devices {
		if d.Mgmt.IsValid() {
			s.mgmt = append(s.mgmt, mgmtAddr{d.Mgmt.Unmap(), d.Name})
		}
	}
	sort.Slice(s.mgmt, func(i, j int) bool { return s.mgmt[i].a.Less(s.mgmt[j].a) })
	return s
}

// Check returns why r must not be blocked without --force (nil when safe).
func (s *Safety) Check(r netipx.IPRange) []string {
	var out []string
	min := s.Limits.MinBits4
	width := 32
	if r.From().Is6() {
		min, width = s.Limits.MinBits6, 128
	}
	if bits := rangeBits(r); bits > width-min {
		out = append(out, fmt.Sprintf("wider than /%d (2^%d addresses)", min, bits))
	}
	for _, g := range s.prot {
		if g.r.From().Is4() == r.From().Is4() && overlaps(g.r, r) {
			out = append(out, "overlaps "+g.what)
		}
	}
	i := sort.Search(len(s.mgmt), func(i int) bool { return !s.mgmt[i].a.Less(r.From()) })
	var devs []string
	for ; i < len(s.mgmt) && !r.To().Less(s.mgmt[i].a); i++ {
		devs = append(devs, s.mgmt[i].a.String()+" of "+s.mgmt[i].device)
	}
	if len(devs) > 0 {
		more := ""
		if len(devs) > 3 {
			more = fmt.Sprintf(" and %d more", len(devs)-3)
			devs = devs[:3]
		}
		out = append(out, "contains management address "+strings.Join(devs, ", ")+more)
	}
	return out
}

func overlaps(a, b netipx.IPRange) bool {
	return !a.To().Less(b.From()) && !b.To().Less(a.From())
}

// Result summarises an add or import.
type Result struct {
	Added   []*Entry  `json:"added"`
	Merged  []string  `json:"merged"`
	Refused []Refusal `json:"refused"`
}

// Add validates req and appends it to l as one entry (all its ranges).
// Ranges already blocked with the same scope and direction by entries
// lasting at least as long are reported as merged and not repeated. Any
// refusal (without Force, or a malformed range) refuses the whole request.
func Add(l *List, req Request, safety *Safety, now time.Time) (Result, []Event, error) {
	res := Result{Added: []*Entry{}, Merged: []string{}, Refused: []Refusal{}}
	cov := newCoverage(l, now)
	var keep []string
	var keepRR []netipx.IPRange
	for _, s := range req.Ranges {
		r, err := ParseRange(s)
		if err != nil {
			res.Refused = append(res.Refused, Refusal{Range: s, Reason: err.Error()})
			continue
		}
		if reasons := safety.Check(r); len(reasons) > 0 && !req.Force {
			for _, why := range reasons {
				res.Refused = append(res.Refused, Refusal{Range: s, Reason: why, Forcible: true})
			}
			continue
		}
		if cov.covered(req, r) {
			res.Merged = append(res.Merged, FormatRange(r))
			continue
		}
		keep = append(keep, FormatRange(r))
		keepRR = append(keepRR, r)
	}
	if len(res.Refused) > 0 {
		return res, nil, nil
	}
	if len(keep) == 0 {
		return res, nil, nil
	}
	e := newEntry(l, req, keep, keepRR, now)
	l.Entries = append(l.Entries, e)
	res.Added = append(res.Added, e)
	ev := EventOf("add", req.User, now, e)
	ev.Force = req.Force
	return res, []Event{ev}, nil
}

func newEntry(l *List, req Request, ranges []string, rr []netipx.IPRange, now time.Time) *Entry {
	dir := req.Direction
	if dir == "" {
		dir = Both
	}
	return &Entry{ID: l.NewID(), Ranges: ranges, rr: rr, Reason: req.Reason, Ticket: req.Ticket, AddedBy: req.User,
		AddedAt: now.UTC().Truncate(time.Second), Expires: req.Expires, Scope: req.Scope, Direction: dir, Source: req.Source}
}

// coverage answers "is r already blocked, same scope and direction, for at
// least as long" against the active entries of a list.
type coverage struct {
	sets map[string]*policy.AddrSet
	byKy map[string][]*Entry
	now  time.Time
}

func scopeKey(s Scope, d Direction) string {
	norm := func(v []string) string { c := slices.Clone(v); sort.Strings(c); return strings.Join(c, ",") }
	return norm(s.Sites) + "|" + norm(s.Devices) + "|" + norm(s.Roles) + "|" + string(d)
}

func newCoverage(l *List, now time.Time) *coverage {
	c := &coverage{byKy: map[string][]*Entry{}, sets: map[string]*policy.AddrSet{}, now: now}
	for _, e := range l.Active(now) {
		k := scopeKey(e.Scope, e.Direction)
		c.byKy[k] = append(c.byKy[k], e)
	}
	return c
}

func (c *coverage) covered(req Request, r netipx.IPRange) bool {
	dir := req.Direction
	if dir == "" {
		dir = Both
	}
	k := scopeKey(req.Scope, dir) + "|" + req.Expires.String()
	set, ok := c.sets[k]
	if !ok {
		var b policy.AddrSetBuilder
		for _, e := range c.byKy[scopeKey(req.Scope, dir)] {
			if e.Expires.IsZero() || (!req.Expires.IsZero() && !e.Expires.Before(req.Expires)) {
				for _, x := range e.rr {
					b.AddRange(x)
				}
			}
		}
		set = b.Set()
		c.sets[k] = set
	}
	return rangeWithin(set, r)
}

// rangeWithin reports whether every address of r is in s.
func rangeWithin(s *policy.AddrSet, r netipx.IPRange) bool {
	rs := s.Ranges()
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].To().Less(r.From()) })
	return i < len(rs) && !r.From().Less(rs[i].From()) && !rs[i].To().Less(r.To())
}

// Import adds feed items as one entry per range, refusing unsafe or
// malformed items individually (the rest are still added).
func Import(l *List, items []FeedItem, req Request, safety *Safety, now time.Time) (Result, []Event) {
	res := Result{Added: []*Entry{}, Merged: []string{}, Refused: []Refusal{}}
	cov := newCoverage(l, now)
	seen := map[netipx.IPRange]bool{}
	var events []Event
	for _, it := range items {
		if it.Err != "" {
			res.Refused = append(res.Refused, Refusal{Range: it.Text, Reason: it.Err, Line: it.Line})
			continue
		}
		if reasons := safety.Check(it.Range); len(reasons) > 0 && !req.Force {
			res.Refused = append(res.Refused, Refusal{Range: it.Text, Reason: strings.Join(reasons, "; "), Forcible: true, Line: it.Line})
			continue
		}
		if seen[it.Range] || cov.covered(req, it.Range) {
			res.Merged = append(res.Merged, FormatRange(it.Range))
			continue
		}
		seen[it.Range] = true
		e := newEntry(l, req, []string{FormatRange(it.Range)}, []netipx.IPRange{it.Range}, now)
		l.Entries = append(l.Entries, e)
		res.Added = append(res.Added, e)
		ev := EventOf("add", req.User, now, e)
		ev.Force = req.Force
		events = append(events, ev)
	}
	return res, events
}

// Remove deletes entries by ID, or one range (exactly as listed) from the
// entries holding it; an entry left without ranges is deleted. A range
// that is only partly blocked is an error naming the entries to remove.
func Remove(l *List, args []string, user string, now time.Time) ([]Event, error) {
	var events []Event
	for _, a := range args {
		if e := l.Entry(a); e != nil {
			l.Entries = slices.DeleteFunc(l.Entries, func(x *Entry) bool { return x == e })
			events = append(events, EventOf("remove", user, now, e))
			continue
		}
		r, err := ParseRange(a)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an entry ID nor a range: %v", a, err)
		}
		found := false
		var partial []string
		for _, e := range slices.Clone(l.Entries) {
			idx := slices.Index(e.rr, r)
			if idx < 0 {
				for _, x := range e.rr {
					if overlaps(x, r) {
						partial = append(partial, fmt.Sprintf("%s (%s)", e.ID, FormatRange(x)))
					}
				}
				continue
			}
			found = true
			removed := &Entry{ID: e.ID, Ranges: []string{e.Ranges[idx]}, Reason: e.Reason, Ticket: e.Ticket, Scope: e.Scope}
			events = append(events, EventOf("remove", user, now, removed))
			e.Ranges = slices.Delete(e.Ranges, idx, idx+1)
			e.rr = slices.Delete(e.rr, idx, idx+1)
			if len(e.rr) == 0 {
				l.Entries = slices.DeleteFunc(l.Entries, func(x *Entry) bool { return x == e })
			}
		}
		if !found {
			if len(partial) > 0 {
				return nil, fmt.Errorf("%s is not an entry's range; it overlaps %s: remove those by ID or range", a, strings.Join(partial, ", "))
			}
			return nil, fmt.Errorf("%s: no such entry or blocked range", a)
		}
	}
	return events, nil
}

// Expire drops entries that are no longer active at now.
func Expire(l *List, user string, now time.Time) []Event {
	var events []Event
	l.Entries = slices.DeleteFunc(l.Entries, func(e *Entry) bool {
		if e.Active(now) {
			return false
		}
		events = append(events, EventOf("expire", user, now, e))
		return true
	})
	return events
}

// Match is an entry blocking a checked address.
type Match struct {
	Entry *Entry `json:"entry"`
	// Range is the entry's range holding the address.
	Range string `json:"range"`
}

// Check returns the active entries blocking ip (in either direction).
func Check(l *List, ip netip.Addr, now time.Time) []Match {
	ip = ip.Unmap()
	var out []Match
	for _, e := range l.Active(now) {
		for i, r := range e.rr {
			if r.Contains(ip) {
				out = append(out, Match{Entry: e, Range: e.Ranges[i]})
				break
			}
		}
	}
	return out
}

// Aggregate returns the exact source and destination sets a device must
// drop: the union of the active entries in scope (adjacent and overlapping
// ranges merged, nothing added).
func Aggregate(entries []*Entry, site, device, role string, now time.Time) (src, dst *policy.AddrSet) {
	var sb, db policy.AddrSetBuilder
	for _, e := range entries {
		if !e.Active(now) || !e.Scope.Matches(site, device, role) {
			continue
		}
		for _, r := range e.rr {
			if e.BlocksSrc() {
				sb.AddRange(r)
			}
			if e.BlocksDst() {
				db.AddRange(r)
			}
		}
	}
	return sb.Set(), db.Set()
}
