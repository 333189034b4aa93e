// Package search answers questions over parsed configs: which rule decides a
// flow, where an address is referenced.
package search

import (
	"fmt"
	"net/netip"
	"path"
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
	Error     string `json:"error,omitempty"`
}

// FlowOptions scope a flow search.
type FlowOptions struct {
	// Filter restricts to filters whose name matches this glob.
	Filter string
}

// Flow evaluates fl against every entry filter of every config that sees
// flows of its address family, in config and filter order.
func Flow(cfgs []*policy.Config, fl *policy.Flow, opt FlowOptions) []FlowResult {
	out := []FlowResult{}
	for _, c := range cfgs {
		for _, f := range c.EntryFilters() {
			if !f.Family.Applies(fl) || !nameMatches(opt.Filter, f.Name) {
				continue
			}
			out = append(out, result(c, f, c.Decide(f, fl)))
		}
	}
	return out
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
