// Package intent checks a security team's standing rules ("telnet is never
// permitted from outside", "monitoring reaches SNMP on every core device")
// against every filter in scope, exactly, with the packet-space algebra.
package intent

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// DefaultFile is looked for beside the inventory.
const DefaultFile = "intents.yaml"

// Expectation is what an intent demands of its region.
type Expectation string

const (
	// Deny: no packet of the region is permitted.
	Deny Expectation = "deny"
	// Permit: every packet of the region is permitted.
	Permit Expectation = "permit"
	// Reachable: at least one packet of the region is permitted.
	Reachable Expectation = "reachable"
)

// Intent is one named assertion.
type Intent struct {
	Name   string      `json:"name"`
	Owner  string      `json:"owner,omitempty"`
	Reason string      `json:"reason,omitempty"`
	Scope  Scope       `json:"scope"`
	Match  Region      `json:"match"`
	Expect Expectation `json:"expect"`
	Pos    policy.Pos  `json:"pos"`
}

// Scope selects filters; empty fields match everything bound.
type Scope struct {
	Sites   []string `json:"sites,omitempty" yaml:"sites"`
	Devices []string `json:"devices,omitempty" yaml:"devices"`
	Roles   []string `json:"roles,omitempty" yaml:"roles"`
	Vendors []string `json:"vendors,omitempty" yaml:"vendors"`
	// Filters are name globs.
	Filters []string `json:"filters,omitempty" yaml:"filters"`
}

// Region is a packet region as written: protocols, address terms, ports,
// ICMP types. Address terms are CIDRs, addresses, "any", or inventory names:
// site:NAME (its ranges), role:NAME (its devices' addresses), device:NAME,
// protected (every protected range), blocklist (every active entry).
type Region struct {
	Protocol []string `json:"protocol,omitempty" yaml:"protocol"`
	Src      []string `json:"src,omitempty" yaml:"src"`
	Dst      []string `json:"dst,omitempty" yaml:"dst"`
	SrcPort  []string `json:"sport,omitempty" yaml:"sport"`
	DstPort  []string `json:"dport,omitempty" yaml:"dport"`
	ICMPType []string `json:"icmp_type,omitempty" yaml:"icmp_type"`
}

type rawFile struct {
	Intents []rawIntent `yaml:"intents"`
}

type rawIntent struct {
	Name   string      `yaml:"name"`
	Owner  string      `yaml:"owner"`
	Reason string      `yaml:"reason"`
	Scope  Scope       `yaml:"scope"`
	Match  stringLists `yaml:"match"`
	Expect string      `yaml:"expect"`
}

// stringLists lets every region field be a scalar or a list.
type stringLists map[string]oneOrMany

type oneOrMany []string

func (o *oneOrMany) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*o = []string{n.Value}
		return nil
	case yaml.SequenceNode:
		var s []string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*o = s
		return nil
	}
	return fmt.Errorf("line %d: want a value or a list", n.Line)
}

var regionKeys = map[string]func(*Region, []string){
	"protocol":  func(r *Region, v []string) { r.Protocol = v },
	"proto":     func(r *Region, v []string) { r.Protocol = v },
	"src":       func(r *Region, v []string) { r.Src = v },
	"dst":       func(r *Region, v []string) { r.Dst = v },
	"sport":     func(r *Region, v []string) { r.SrcPort = v },
	"dport":     func(r *Region, v []string) { r.DstPort = v },
	"icmp_type": func(r *Region, v []string) { r.ICMPType = v },
}

// Load reads an intents file. Unknown keys, bad values and duplicate names
// are errors naming file, line and column.
func Load(path string) ([]*Intent, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, yamlErr(path, err)
	}
	root := doc.Content[0]
	items := valueOf(root, "intents")
	if root.Kind != yaml.MappingNode || items == nil || items.Kind != yaml.SequenceNode {
		return nil, parser.Errorf(pos(path, root), "an intents file is a mapping with a list under \"intents\"")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Value != "intents" {
			return nil, parser.Errorf(pos(path, k), "unknown key %q (expected intents)", k.Value)
		}
	}
	var out []*Intent
	names := map[string]policy.Pos{}
	for _, n := range items.Content {
		if err := checkKeys(path, n, []string{"name", "owner", "reason", "scope", "match", "expect"}); err != nil {
			return nil, err
		}
		if sc := valueOf(n, "scope"); sc != nil {
			if err := checkKeys(path, sc, []string{"sites", "devices", "roles", "vendors", "filters"}); err != nil {
				return nil, err
			}
		}
		var raw rawIntent
		if err := n.Decode(&raw); err != nil {
			return nil, yamlErr(path, err)
		}
		it := &Intent{Name: raw.Name, Owner: raw.Owner, Reason: raw.Reason, Scope: raw.Scope, Expect: Expectation(raw.Expect), Pos: pos(path, n)}
		if it.Name == "" {
			return nil, parser.Errorf(it.Pos, "intent needs a name")
		}
		if prev, dup := names[it.Name]; dup {
			return nil, parser.Errorf(pos(path, valueOf(n, "name")), "duplicate intent %q (first at %s)", it.Name, prev)
		}
		names[it.Name] = it.Pos
		switch it.Expect {
		case Deny, Permit, Reachable:
		default:
			at := n
			if v := valueOf(n, "expect"); v != nil {
				at = v
			}
			return nil, parser.Errorf(pos(path, at), "intent %q: expect must be deny, permit or reachable, not %q", it.Name, raw.Expect)
		}
		m := valueOf(n, "match")
		if m == nil {
			return nil, parser.Errorf(it.Pos, "intent %q needs a match region", it.Name)
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			set, ok := regionKeys[k.Value]
			if !ok {
				return nil, parser.Errorf(pos(path, k), "unknown match key %q (expected protocol, src, dst, sport, dport, icmp_type)", k.Value)
			}
			set(&it.Match, raw.Match[k.Value])
		}
		out = append(out, it)
	}
	return out, nil
}

func pos(file string, n *yaml.Node) policy.Pos {
	return policy.Pos{File: file, Line: n.Line, Col: n.Column}
}

func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func checkKeys(file string, n *yaml.Node, allowed []string) error {
	if n.Kind != yaml.MappingNode {
		return parser.Errorf(pos(file, n), "expected a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ok := false
		for _, a := range allowed {
			ok = ok || a == k.Value
		}
		if !ok {
			return parser.Errorf(pos(file, k), "unknown key %q (expected one of: %s)", k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func yamlErr(file string, err error) error {
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), "unmarshal errors:\n  ")
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		return parser.Errorf(policy.Pos{File: file, Line: line}, "%s", strings.TrimSpace(msg[strings.Index(msg, ":")+1:]))
	}
	return parser.Errorf(policy.Pos{File: file}, "%s", msg)
}

// Names resolves inventory names in address terms.
type Names interface {
	// Resolve returns the addresses of an inventory name (site:dc1,
	// role:edge, device:x, protected, blocklist), ok=false when unknown.
	Resolve(name string) (*policy.AddrSet, bool, error)
}

// DeviceNames resolves names whose addresses depend on the device checked
// (the blocklist: each device enforces the entries scoped to it).
type DeviceNames interface {
	Names
	ResolveFor(name, field string, c *policy.Config) (*policy.AddrSet, bool, error)
}

// perDevice reports whether the intent names device-dependent addresses.
func perDevice(it *Intent) bool {
	for _, t := range append(append([]string(nil), it.Match.Src...), it.Match.Dst...) {
		if t == "blocklist" {
			return true
		}
	}
	return false
}

// deviceNames binds DeviceNames to one config.
type deviceNames struct {
	d     DeviceNames
	cfg   *policy.Config
	field string
}

func (b *deviceNames) Resolve(name string) (*policy.AddrSet, bool, error) {
	return b.d.ResolveFor(name, b.field, b.cfg)
}

// matchOf builds the policy.Match of a region; cfg, when set, resolves
// device-dependent names for that device.
func matchOf(it *Intent, names Names, cfg *policy.Config) (policy.Match, error) {
	var m policy.Match
	var err error
	srcNames, dstNames := names, names
	if dn, ok := names.(DeviceNames); ok && cfg != nil {
		srcNames, dstNames = &deviceNames{dn, cfg, "src"}, &deviceNames{dn, cfg, "dst"}
	}
	if m.Src, err = addrTerm(it, "src", it.Match.Src, srcNames); err != nil {
		return m, err
	}
	if m.Dst, err = addrTerm(it, "dst", it.Match.Dst, dstNames); err != nil {
		return m, err
	}
	r := &it.Match
	if len(r.Protocol) > 0 && !(len(r.Protocol) == 1 && r.Protocol[0] == "any") {
		var rs []policy.Range
		for _, p := range r.Protocol {
			n, err := policy.ProtoNumber(strings.ToLower(p))
			if err != nil {
				return m, fmt.Errorf("%s: intent %q: %v", it.Pos, it.Name, err)
			}
			rs = append(rs, policy.Range{Lo: uint16(n), Hi: uint16(n)})
		}
		m.Protocols = policy.NewRanges(rs...).Ptr()
	}
	if m.SrcPorts, err = ports(it, r.SrcPort); err != nil {
		return m, err
	}
	if m.DstPorts, err = ports(it, r.DstPort); err != nil {
		return m, err
	}
	if len(r.ICMPType) > 0 {
		v6 := m.Protocols != nil && m.Protocols.Contains(policy.ProtoICMPv6)
		var rs []policy.Range
		for _, t := range r.ICMPType {
			n, err := policy.ICMPType(t, v6)
			if err != nil {
				return m, fmt.Errorf("%s: intent %q: %v", it.Pos, it.Name, err)
			}
			rs = append(rs, policy.Range{Lo: uint16(n), Hi: uint16(n)})
		}
		m.ICMPTypes = policy.NewRanges(rs...).Ptr()
	}
	return m, nil
}

func ports(it *Intent, in []string) (*policy.Ranges, error) {
	if len(in) == 0 || (len(in) == 1 && in[0] == "any") {
		return nil, nil
	}
	var rs []policy.Range
	for _, p := range in {
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := policy.Port(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%s: intent %q: %v", it.Pos, it.Name, err)
		}
		b := a
		if isRange {
			if b, err = policy.Port(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("%s: intent %q: %v", it.Pos, it.Name, err)
			}
		}
		rs = append(rs, policy.Range{Lo: a, Hi: b})
	}
	return policy.NewRanges(rs...).Ptr(), nil
}

func addrTerm(it *Intent, field string, terms []string, names Names) (policy.AddrMatch, error) {
	if len(terms) == 0 {
		return policy.AnyAddr(), nil
	}
	var b policy.AddrSetBuilder
	for _, t := range terms {
		t = strings.TrimSpace(t)
		switch {
		case t == "any":
			return policy.AnyAddr(), nil
		case strings.Contains(t, ":") && !isIP(t) || t == "protected" || t == "blocklist":
			if names == nil {
				return policy.AddrMatch{}, fmt.Errorf("%s: intent %q: %s %q needs an inventory", it.Pos, it.Name, field, t)
			}
			s, ok, err := names.Resolve(t)
			if err != nil {
				return policy.AddrMatch{}, fmt.Errorf("%s: intent %q: %v", it.Pos, it.Name, err)
			}
			if !ok {
				return policy.AddrMatch{}, fmt.Errorf("%s: intent %q: unknown %s name %q", it.Pos, it.Name, field, t)
			}
			b.AddSet(s)
		default:
			p, err := parsePrefix(t)
			if err != nil {
				return policy.AddrMatch{}, fmt.Errorf("%s: intent %q: %s: %v", it.Pos, it.Name, field, err)
			}
			b.AddPrefix(p)
		}
	}
	return policy.AddrMatch{Set: b.Set()}, nil
}

func isIP(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("bad prefix %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
