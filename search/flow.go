// Package search answers questions over parsed configs: which rule decides a
// flow, where an address is referenced.
package search

import (
	"fmt"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// FlowResult is the verdict of one entry filter for one flow. Its JSON form
// is a stable contract for scripts.
type FlowResult struct {
	File   string `json:"file"`
	Site   string `json:"site,omitempty"`
	Device string `json:"device"`
	Vendor string `json:"vendor"`
	Filter string `json:"filter"`
	Action string `json:"action"`
	// Rule is the deciding rule's name, nil when the filter default decided.
	Rule *string `json:"rule"`
	// Line is the deciding rule's first source line, or the line declaring
	// the filter when the default decided.
	Line    int           `json:"line"`
	Default bool          `json:"default"`
	Trail   []policy.Step `json:"trail"`
	// DecidedIn names the filter holding the deciding rule when it is not the
	// entry filter (a jump target).
	DecidedIn string `json:"decided_in,omitempty"`
	// Combined marks the verdict of several nftables base chains on one hook
	// (see HookGroup); Filter is then "HOOK (combined)".
	Combined bool   `json:"combined,omitempty"`
	Error    string `json:"error,omitempty"`
}

// FlowOptions scope a flow search.
type FlowOptions struct {
	// Filter restricts to filters whose name matches this glob.
	Filter string
	// AllFilters evaluates host input/output/forward filters for every
	// flow, not only for flows to or from the host's own addresses.
	AllFilters bool
}

// Flow evaluates fl against every entry filter that sees it, in config and
// filter order. See FlowIndex for which filters see a flow.
func Flow(cfgs []*policy.Config, fl *policy.Flow, opt FlowOptions) []FlowResult {
	return NewFlowIndex(cfgs, opt).Eval(fl)
}

// FlowIndex knows which entry filters a flow meets. A device whose
// inventory entry names its own addresses (a host) sees a flow on its input
// filters only when the flow is addressed to it, on its output filters only
// when it comes from it, and hosts do not route, so their forward filters see
// nothing. Every other entry filter sees every flow of its address family.
type FlowIndex struct {
	general   []slot
	inbound   map[netip.Addr][]slot
	outbound  map[netip.Addr][]slot
	forwarded []slot
}

type slot struct {
	ord int // position in config/filter order, for stable output
	cfg *policy.Config
	f   *policy.Filter
}

// NewFlowIndex prepares repeated flow evaluation over cfgs.
func NewFlowIndex(cfgs []*policy.Config, opt FlowOptions) *FlowIndex {
	ix := &FlowIndex{inbound: map[netip.Addr][]slot{}, outbound: map[netip.Addr][]slot{}}
	ord := 0
	for _, c := range cfgs {
		for _, f := range c.EntryFilters() {
			if !nameMatches(opt.Filter, f.Name) {
				continue
			}
			s := slot{ord, c, f}
			ord++
			if opt.AllFilters || len(c.OwnAddrs) == 0 {
				ix.general = append(ix.general, s)
				continue
			}
			switch Direction(f) {
			case "input":
				for _, a := range c.OwnAddrs {
					ix.inbound[a] = append(ix.inbound[a], s)
				}
			case "output":
				for _, a := range c.OwnAddrs {
					ix.outbound[a] = append(ix.outbound[a], s)
				}
			case "forward":
				if c.Role != "host" {
					ix.forwarded = append(ix.forwarded, s)
				}
			default:
				ix.general = append(ix.general, s)
			}
		}
	}
	return ix
}

// Direction says which traffic of its device a filter sees: "input"
// (iptables INPUT, nft input, prerouting and ingress hooks), "output"
// (OUTPUT, output, postrouting, egress), "forward", or "" for filters not
// tied to a host hook (router ACLs, Junos filters, zone pairs).
func Direction(f *policy.Filter) string {
	hook := strings.ToLower(f.Meta["hook"])
	if hook == "" && strings.HasPrefix(f.Kind, "iptables") {
		hook = strings.ToLower(f.Name)
	}
	switch hook {
	case "input", "prerouting", "ingress":
		return "input"
	case "output", "postrouting", "egress":
		return "output"
	case "forward":
		return "forward"
	}
	return ""
}

// FlowAddrs are the addresses of a set of flows, to tell which hosts can
// see any of them.
type FlowAddrs map[netip.Addr]bool

// AddrsOf collects the source and destination addresses of flows.
func AddrsOf(flows ...*policy.Flow) FlowAddrs {
	a := FlowAddrs{}
	for _, f := range flows {
		a[f.Src], a[f.Dst] = true, true
	}
	return a
}

// Sees reports whether a device with this role and these own addresses can
// see one of the flows: hosts only see flows to or from themselves.
func (a FlowAddrs) Sees(role string, own []netip.Addr) bool {
	if role != "host" || len(own) == 0 {
		return true
	}
	for _, o := range own {
		if a[o] {
			return true
		}
	}
	return false
}

// Eval evaluates fl against every filter that sees it. Where several
// nftables base chains share a hook, their combined verdict follows them.
func (ix *FlowIndex) Eval(fl *policy.Flow) []FlowResult {
	slots := make([]slot, 0, len(ix.general)+8)
	slots = append(slots, ix.general...)
	slots = append(slots, ix.forwarded...)
	slots = append(slots, ix.inbound[fl.Dst]...)
	slots = append(slots, ix.outbound[fl.Src]...)
	sort.Slice(slots, func(i, j int) bool { return slots[i].ord < slots[j].ord })
	out := make([]FlowResult, 0, len(slots))
	// base chains of the current config, by hook group, for combined verdicts
	var groups map[string][]int
	var keys []string
	var decisions []policy.Decision
	var seen []slot
	flush := func() {
		for _, k := range keys {
			if idx := groups[k]; len(idx) > 1 {
				g := make([]slot, len(idx))
				ds := make([]policy.Decision, len(idx))
				for i, j := range idx {
					g[i], ds[i] = seen[j], decisions[j]
				}
				out = append(out, combined(g, ds))
			}
		}
		groups, keys, decisions, seen = nil, nil, decisions[:0], seen[:0]
	}
	for i, s := range slots {
		if i > 0 && slots[i-1].cfg != s.cfg {
			flush()
		}
		if !s.f.Family.Applies(fl) {
			continue
		}
		d := s.cfg.Decide(s.f, fl)
		out = append(out, result(s.cfg, s.f, d))
		if key := HookGroup(s.f); key != "" {
			if groups == nil {
				groups = map[string][]int{}
			}
			if _, ok := groups[key]; !ok {
				keys = append(keys, key)
			}
			groups[key] = append(groups[key], len(seen))
			seen = append(seen, s)
			decisions = append(decisions, d)
		}
	}
	flush()
	return out
}

// HookGroup names the hook an nftables base chain sits on, as the kernel
// groups them: chains of ip, ip6 and inet tables share "ip/HOOK"; other
// families their own "FAMILY/HOOK". It is "" for every other filter.
func HookGroup(f *policy.Filter) string {
	if f.Kind != "nft-chain" || f.Meta["hook"] == "" {
		return ""
	}
	fam := f.Meta["family"]
	if fam == "ip6" || fam == "inet" {
		fam = "ip"
	}
	return fam + "/" + f.Meta["hook"]
}

// combined applies the kernel's rule to base chains on one hook: they run
// in priority order; drop or reject is final, accept only ends that chain.
func combined(group []slot, ds []policy.Decision) FlowResult {
	order := make([]int, len(group))
	for i := range order {
		order[i] = i
	}
	prio := func(i int) int { n, _ := strconv.Atoi(group[i].f.Meta["priority"]); return n }
	sort.SliceStable(order, func(a, b int) bool { return prio(order[a]) < prio(order[b]) })
	final := order[len(order)-1]
	var trail []policy.Step
	for _, i := range order {
		trail = append(trail, ds[i].Trail...)
		if ds[i].Action != policy.Permit {
			final = i
			break
		}
	}
	r := result(group[final].cfg, group[final].f, ds[final])
	r.Filter = strings.TrimPrefix(HookGroup(group[final].f), "ip/") + " (combined)"
	r.DecidedIn = group[final].f.Name
	r.Combined = true
	r.Trail = append([]policy.Step{}, trail...)
	return r
}

func nameMatches(glob, name string) bool {
	if glob == "" {
		return true
	}
	ok, err := path.Match(glob, name)
	return ok || (err != nil && glob == name)
}

func result(c *policy.Config, f *policy.Filter, d policy.Decision) FlowResult {
	r := FlowResult{
		File: c.File, Site: c.Site, Device: c.Device, Vendor: c.Vendor, Filter: f.Name,
		Action: d.Action.String(), Default: d.Default, Trail: d.Trail, Error: d.Err,
	}
	if r.Trail == nil {
		r.Trail = []policy.Step{}
	}
	if d.Rule != nil {
		name := d.Rule.Name
		r.Rule = &name
		r.Line = d.Rule.Pos.Line
		if d.Filter != nil && d.Filter != f {
			r.DecidedIn = d.Filter.Name
		}
	} else {
		r.Line = f.Pos.Line
	}
	return r
}

// FlowSpec is a flow as a user states it; ParseFlowSpec turns it into a Flow.
type FlowSpec struct {
	Proto    string // name or number; "" means tcp, or icmp when an ICMP type is given
	Src, Dst string
	SrcPort  string // "" means DefaultSrcPort
	DstPort  string
	ICMPType string // name or number; default echo-request
	ICMPCode string
	InIface  string
	OutIface string
}

// DefaultSrcPort is the source port assumed when none is given: the first
// IANA ephemeral port, as a client's new connection would use.
const DefaultSrcPort = 49152

// Build validates the spec and returns the flow.
func (s FlowSpec) Build() (*policy.Flow, error) {
	src, err := netip.ParseAddr(s.Src)
	if err != nil {
		return nil, fmt.Errorf("bad source address %q", s.Src)
	}
	dst, err := netip.ParseAddr(s.Dst)
	if err != nil {
		return nil, fmt.Errorf("bad destination address %q", s.Dst)
	}
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() {
		return nil, fmt.Errorf("source %s and destination %s are different IP versions", src, dst)
	}
	v6 := !src.Is4()
	fl := &policy.Flow{Src: src.WithZone(""), Dst: dst.WithZone(""), InIface: s.InIface, OutIface: s.OutIface}
	proto := strings.ToLower(s.Proto)
	switch {
	case proto == "" && (s.ICMPType != "" || s.ICMPCode != ""):
		proto = "icmp"
	case proto == "":
		proto = "tcp"
	}
	if proto == "icmp" && v6 {
		proto = "icmp6"
	}
	p, err := policy.ProtoNumber(proto)
	if err != nil {
		return nil, err
	}
	fl.Proto = p
	if policy.IsICMP(p) {
		if s.SrcPort != "" || s.DstPort != "" {
			return nil, fmt.Errorf("ports do not apply to %s; use --icmp-type", proto)
		}
		typ := s.ICMPType
		if typ == "" {
			typ = "echo-request"
		}
		if fl.ICMPType, err = policy.ICMPType(typ, p == policy.ProtoICMPv6); err != nil {
			return nil, err
		}
		if s.ICMPCode != "" {
			var code uint16
			if code, err = policy.Port(s.ICMPCode); err != nil || code > 255 {
				return nil, fmt.Errorf("bad ICMP code %q", s.ICMPCode)
			}
			fl.ICMPCode = uint8(code)
		}
		return fl, nil
	}
	if s.ICMPType != "" || s.ICMPCode != "" {
		return nil, fmt.Errorf("an ICMP type needs --proto icmp, not %s", proto)
	}
	if !policy.HasPorts(p) {
		if s.SrcPort != "" || s.DstPort != "" {
			return nil, fmt.Errorf("ports do not apply to protocol %s", proto)
		}
		return fl, nil
	}
	fl.SrcPort = DefaultSrcPort
	if s.SrcPort != "" {
		if fl.SrcPort, err = policy.Port(s.SrcPort); err != nil {
			return nil, err
		}
	}
	if s.DstPort == "" {
		return nil, fmt.Errorf("%s flow needs a destination port (--dport)", proto)
	}
	if fl.DstPort, err = policy.Port(s.DstPort); err != nil {
		return nil, err
	}
	return fl, nil
}

// FormatFlow renders a flow for humans: "tcp 10.0.0.1:49152 -> 192.0.2.5:443".
func FormatFlow(f *policy.Flow) string {
	p := policy.ProtoName(f.Proto)
	switch {
	case policy.IsICMP(f.Proto):
		return fmt.Sprintf("%s %s -> %s type %d code %d", p, f.Src, f.Dst, f.ICMPType, f.ICMPCode)
	case policy.HasPorts(f.Proto):
		return fmt.Sprintf("%s %s -> %s", p, netip.AddrPortFrom(f.Src, f.SrcPort), netip.AddrPortFrom(f.Dst, f.DstPort))
	}
	return fmt.Sprintf("%s %s -> %s", p, f.Src, f.Dst)
}
