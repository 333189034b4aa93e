package policy

import "net/netip"

// Family says which IP versions a filter applies to.
type Family uint8

const (
	// FamilyAny filters both IPv4 and IPv6 (nft inet, ASA, SRX policies).
	FamilyAny Family = iota
	FamilyIPv4
	FamilyIPv6
)

func (f Family) String() string {
	switch f {
	case FamilyIPv4:
		return "inet"
	case FamilyIPv6:
		return "inet6"
	}
	return "any"
}

func (f Family) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Config is everything parsed from one source file of one device.
type Config struct {
	File   string `json:"file"`
	Device string `json:"device"`
	// Site is the data center holding the device (from the inventory, or the
	// folder a bare config came from).
	Site string `json:"site,omitempty"`
	// Role and OwnAddrs come from the inventory: a host's input filters only
	// see flows to its own addresses, its output filters flows from them.
	Role     string       `json:"role,omitempty"`
	OwnAddrs []netip.Addr `json:"own_addrs,omitempty"`
	Vendor   string       `json:"vendor"`
	// Format is the vendor's sub-format (e.g. Junos "set" or "hierarchical").
	Format    string      `json:"format,omitempty"`
	Filters   []*Filter   `json:"filters"`
	Objects   []*Object   `json:"objects,omitempty"`
	Bindings  []Binding   `json:"bindings,omitempty"`
	Warnings  []Warning   `json:"warnings,omitempty"`
	Undefined []Reference `json:"undefined,omitempty"`

	byName map[string]*Filter
}

// AddFilter appends f, replacing an earlier filter of the same name in place
// (vendors let a later definition override an earlier one).
func (c *Config) AddFilter(f *Filter) {
	if c.byName == nil {
		c.byName = make(map[string]*Filter)
	}
	if old, ok := c.byName[f.Name]; ok {
		for i, g := range c.Filters {
			if g == old {
				c.Filters[i] = f
			}
		}
	} else {
		c.Filters = append(c.Filters, f)
	}
	c.byName[f.Name] = f
}

// Filter returns the filter with that name, or nil.
func (c *Config) Filter(name string) *Filter {
	if c.byName == nil || len(c.byName) != len(c.Filters) {
		c.byName = make(map[string]*Filter, len(c.Filters))
		for _, f := range c.Filters {
			c.byName[f.Name] = f
		}
	}
	return c.byName[name]
}

// Object returns the first object with the given name (any kind), or nil.
func (c *Config) Object(name string) *Object {
	for _, o := range c.Objects {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Warnf records a non-fatal finding.
func (c *Config) Warnf(pos Pos, format string, args ...any) {
	c.Warnings = append(c.Warnings, Warning{Pos: pos, Msg: sprintf(format, args...)})
}

// EntryFilters are the filters that traffic enters directly (not user chains
// reached only by jumps), in source order.
func (c *Config) EntryFilters() []*Filter {
	var out []*Filter
	for _, f := range c.Filters {
		if f.Entry {
			out = append(out, f)
		}
	}
	return out
}

// Filter is an ordered rule list with a default action.
type Filter struct {
	Name string `json:"name"`
	// Kind is the vendor construct: "junos-filter", "srx-policy", "acl",
	// "iptables-chain", "nft-chain", ...
	Kind   string `json:"kind"`
	Family Family `json:"family"`
	// Entry marks filters evaluated directly by traffic (Junos filters, zone
	// pairs, ACLs, built-in/base chains), as opposed to jump targets.
	Entry bool    `json:"entry"`
	Rules []*Rule `json:"rules"`
	// Default applies when no rule decides: Deny for ACLs and Junos filters,
	// the policy for iptables/nftables base chains. For jump-only chains
	// falling off the end returns to the caller instead.
	Default Action `json:"default"`
	// Pos is where the filter is declared (reported for default decisions).
	Pos Pos `json:"pos"`
	// Meta holds vendor details worth keeping (table, hook, priority, zones).
	Meta map[string]string `json:"meta,omitempty"`

	// index is built on first use by Decide; rules must not change after.
	index filterIndex
}

// dstIndex returns the filter's destination index, or nil for short filters
// and for the first few decisions (a one-off search scans faster than it
// could build the index).
func (f *Filter) dstIndex() *dstIndex {
	if len(f.Rules) < indexMinRules || f.index.uses.Add(1) <= indexAfterUses {
		return nil
	}
	f.index.once.Do(func() { f.index.idx = buildDstIndex(f.Rules) })
	return f.index.idx
}

// Rule is one entry of a filter.
type Rule struct {
	// Name is the term/policy name, or the sequence number as text.
	Name   string `json:"name"`
	Pos    Pos    `json:"pos"`
	Match  Match  `json:"match"`
	Action Action `json:"action"`
	// Target is the filter named by Jump/Goto.
	Target string `json:"target,omitempty"`
	// Inactive rules (Junos "inactive:", ASA "inactive") are kept for
	// rendering but never match.
	Inactive bool   `json:"inactive,omitempty"`
	Extras   Extras `json:"extras,omitempty"`
}

// Extras are non-matching details kept for rendering and reports.
type Extras struct {
	Count   string `json:"count,omitempty"`
	Log     bool   `json:"log,omitempty"`
	Comment string `json:"comment,omitempty"`
	Policer string `json:"policer,omitempty"`
	// RejectWith is the reject type (tcp-reset, icmp-port-unreachable, ...).
	RejectWith string `json:"reject_with,omitempty"`
	// TimeRange names an ASA/IOS time-range or a Junos scheduler; kept and
	// reported (fwpol lint "expired"), not evaluated.
	TimeRange string            `json:"time_range,omitempty"`
	Vendor    map[string]string `json:"vendor,omitempty"`
}

// Object is a named, reusable definition: prefix-list, address-book entry,
// address-set, object-group, ipset, nftables set, application.
type Object struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
	// Addrs is the resolved address content of address-like objects.
	Addrs *AddrSet `json:"addrs,omitempty"`
	// Members names nested objects (group-object, address-set members).
	Members []string `json:"members,omitempty"`
	// Unresolved explains why the content is unknown (apply-path, dns-name,
	// fqdn); such objects contribute no addresses.
	Unresolved string `json:"unresolved,omitempty"`
	// Scope qualifies the name where vendors scope objects (SRX zone
	// address-books, nft tables).
	Scope string `json:"scope,omitempty"`
	// Meta holds dated details: a time-range's or scheduler's start, end
	// and periodic clauses (see timerange.go).
	Meta map[string]string `json:"meta,omitempty"`
}

// Binding says where a filter is applied.
type Binding struct {
	Filter string `json:"filter"`
	// Kind is "interface", "zone-pair", "vty", "global", "hook".
	Kind string `json:"kind"`
	// Target is the interface, line, zone pair or hook name.
	Target    string `json:"target"`
	Direction string `json:"direction,omitempty"` // in, out
	Pos       Pos    `json:"pos"`
}

// Warning is a non-fatal finding during parsing or resolution.
type Warning struct {
	Pos Pos    `json:"pos"`
	Msg string `json:"msg"`
}

// Reference is a use of a name that is not defined in the config.
type Reference struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// Clone returns a shallow copy of f (rules shared) without its lookup
// index, for building a modified version of a filter.
func (f *Filter) Clone() *Filter {
	return &Filter{Name: f.Name, Kind: f.Kind, Family: f.Family, Entry: f.Entry, Rules: f.Rules, Default: f.Default, Pos: f.Pos, Meta: f.Meta}
}

// RuleSlab hands out rules from chunks: one allocation for many rules
// (a Rule is about 500 bytes). Chunks double from a small first size, or
// from Expect's estimate, so a 20-line host file does not carry the chunk
// sized for a 100,000-rule ruleset.
type RuleSlab struct {
	free []Rule
	next int
}

const (
	ruleSlabFirst = 16
	ruleSlabMax   = 256
)

// Expect sizes the first chunk for about n rules.
func (s *RuleSlab) Expect(n int) {
	if s.free == nil && n > 0 {
		s.next = min(n, 4096)
	}
}

// New returns a zero rule.
func (s *RuleSlab) New() *Rule {
	if len(s.free) == 0 {
		n := s.next
		if n == 0 {
			n = ruleSlabFirst
		}
		s.free = make([]Rule, n)
		s.next = min(max(2*n, ruleSlabFirst), ruleSlabMax)
	}
	r := &s.free[0]
	s.free = s.free[1:]
	return r
}
