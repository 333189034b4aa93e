package cisco

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/render"
)

// Render semantics (IOS/IOS-XE, NX-OS, EOS):
//   - One named ACL per filter and family: "ip access-list extended NAME"
//     (IOS), "ip access-list NAME" (NX-OS, EOS), "ipv6 access-list NAME".
//     A filter of both families (ASA, nftables inet) becomes an IPv4 and an
//     IPv6 ACL of the same name.
//   - Sequence numbers are kept when the filter's rule names are increasing
//     numbers written one entry each; otherwise entries are numbered 10, 20,
//     ... and non-numeric rule names (Junos terms) become remarks.
//   - Address references become object-groups where the dialect has them
//     (IOS "object-group network", NX-OS "object-group ip|ipv6 address" with
//     addrgroup); EOS gets the addresses inline.
//   - Sets, port sets, protocol sets and ICMP type sets a single entry cannot
//     hold expand into one entry per combination, exactly.
//   - IPv6 ACLs of IOS and NX-OS end with implicit neighbor-discovery
//     permits; a filter that does not end with exactly those gets an explicit
//     final "deny ipv6 any any", so the device adds nothing.
//   - Reject, jumps, interfaces and Junos-only conditions: see package
//     render; every such finding goes to RenderOptions.Warn.

func renderIOS(cfg *policy.Config, opt vendors.RenderOptions) ([]byte, error) {
	return renderDialect(cfg, opt, dIOS)
}

func renderNXOS(cfg *policy.Config, opt vendors.RenderOptions) ([]byte, error) {
	return renderDialect(cfg, opt, dNXOS)
}

func renderEOS(cfg *policy.Config, opt vendors.RenderOptions) ([]byte, error) {
	return renderDialect(cfg, opt, dEOS)
}

var dialectVendor = [...]string{"ios", "nxos", "eos"}

func caps(d dialect) render.Caps {
	c := render.Caps{Vendor: dialectVendor[d], SplitFamilies: true, Wildcards: true}
	if d != dEOS {
		c.Objects = func(o *policy.Object) bool {
			if o.Unresolved != "" || (len(o.Addrs.Wildcards()) > 0 && d != dNXOS) {
				return false
			}
			if d == dNXOS {
				// NX-OS address groups hold one family
				v4, v6 := false, false
				for _, p := range o.Addrs.Prefixes() {
					v4 = v4 || p.Addr().Is4()
					v6 = v6 || p.Addr().Is6()
				}
				return !(v4 && v6)
			}
			return true
		}
	}
	return c
}

// renderer writes one config in one dialect.
type renderer struct {
	d     dialect
	cfg   *policy.Config
	opt   vendors.RenderOptions
	b     bytes.Buffer
	warns []string
	same  bool // the model was parsed from a Cisco IOS/NX-OS/EOS config
	// protocol object-groups used, with their protocols
	pgroups map[string]policy.Ranges
	pgOrder []string

	lastTexts []string
}

// protoGroup returns the IOS protocol object-group a same-vendor rule used
// in protocol position, recording its content (the rule's exact protocol
// set), or "".
func (r *renderer) protoGroup(ru *render.Rule) string {
	if !r.same || r.d != dIOS || ru.Orig == nil || len(ru.Match.ServiceRefs) != 1 || ru.Protocols == nil ||
		ru.SrcPorts != nil || ru.DstPorts != nil || ru.ICMPTypes != nil || ru.ICMPCodes != nil {
		return ""
	}
	name := ru.Match.ServiceRefs[0]
	o := r.cfg.Object(name)
	if o == nil || o.Kind != kindProtocol || len(*ru.Protocols) == 0 {
		return ""
	}
	if old, ok := r.pgroups[name]; ok {
		if old.String() != ru.Protocols.String() {
			return ""
		}
		return name
	}
	if r.pgroups == nil {
		r.pgroups = map[string]policy.Ranges{}
	}
	r.pgroups[name] = *ru.Protocols
	r.pgOrder = append(r.pgOrder, name)
	return name
}

func (r *renderer) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.opt.Warn != nil {
		r.opt.Warn(msg)
	} else {
		r.warns = append(r.warns, msg)
	}
}

func renderDialect(cfg *policy.Config, opt vendors.RenderOptions, d dialect) ([]byte, error) {
	fs, err := render.Select(cfg, opt.Filters)
	if err != nil {
		return nil, err
	}
	if len(opt.Filters) == 0 {
		fs = entryOnly(fs)
	}
	res, err := render.Lower(cfg, fs, caps(d))
	if err != nil {
		return nil, err
	}
	r := &renderer{d: d, cfg: cfg, opt: opt}
	switch cfg.Vendor {
	case "ios", "nxos", "eos":
		r.same = true
	}
	for _, w := range res.Warnings {
		r.warnf("%s", w)
	}
	var body bytes.Buffer
	for i := range res.Filters {
		r.filter(&body, &res.Filters[i])
	}
	var out bytes.Buffer
	out.WriteString(render.Mark(dialectVendor[r.d]))
	if len(r.warns) > 0 {
		for _, w := range r.warns {
			out.WriteString("! fwpol warning: " + strings.ReplaceAll(w, "\n", " ") + "\n")
		}
		out.WriteString("!\n")
	}
	r.objects(&out, res)
	for _, name := range r.pgOrder {
		fmt.Fprintf(&out, "object-group protocol %s\n", name)
		for _, v := range render.Values(r.pgroups[name]) {
			fmt.Fprintf(&out, " %d\n", v)
		}
		out.WriteString("!\n")
	}
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// entryOnly drops jump-only chains (their rules are inlined where used).
func entryOnly(fs []*policy.Filter) []*policy.Filter {
	var out []*policy.Filter
	for _, f := range fs {
		if f.Entry {
			out = append(out, f)
		}
	}
	return out
}

func (r *renderer) objects(out *bytes.Buffer, res render.Result) {
	for _, o := range res.Objects {
		ps := render.Prefixes(o.Addrs)
		switch r.d {
		case dNXOS:
			kw := "ip"
			if len(ps) > 0 && ps[0].Addr().Is6() {
				kw = "ipv6"
			}
			fmt.Fprintf(out, "object-group %s address %s\n", kw, o.Name)
			n := 0
			for _, p := range ps {
				n += 10
				fmt.Fprintf(out, "  %d %s\n", n, nxPrefix(p))
			}
			for _, w := range o.Addrs.Wildcards() { // NX-OS group entries "A W" are wildcards
				n += 10
				fmt.Fprintf(out, "  %d %s %s\n", n, w.Addr, w.Mask)
			}
		default:
			fmt.Fprintf(out, "object-group network %s\n", o.Name)
			for _, p := range ps {
				switch {
				case p.IsSingleIP():
					fmt.Fprintf(out, " host %s\n", p.Addr())
				case p.Addr().Is4():
					fmt.Fprintf(out, " %s %s\n", p.Addr(), mask4(p.Bits(), false))
				default:
					fmt.Fprintf(out, " %s\n", p)
				}
			}
		}
		out.WriteString("!\n")
	}
}

func nxPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return "host " + p.Addr().String()
	}
	return p.String()
}

// mask4 is the IPv4 netmask (or wildcard) of a prefix length.
func mask4(bits int, wildcard bool) string {
	var m uint32
	if bits > 0 {
		m = ^uint32(0) << (32 - bits)
	}
	if wildcard {
		m = ^m
	}
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

type line struct {
	seq    int
	sub    int // index of the entry within its rule
	remark []string
	text   string
}

// implicitND are the ICMPv6 types the dialect permits at the end of every
// IPv6 ACL.
func implicitND(d dialect) []uint16 {
	switch d {
	case dIOS:
		return []uint16{136, 135}
	case dNXOS:
		return []uint16{136, 135, 134, 133}
	}
	return nil
}

func (r *renderer) filter(out *bytes.Buffer, f *render.Filter) {
	v6 := f.Family == policy.FamilyIPv6
	rules := f.Rules
	implicitKept := false
	if v6 {
		// the same implicit rules at the end are the device's own
		nd := implicitND(r.d)
		if k := len(nd); k > 0 && len(rules) >= k {
			tail := rules[len(rules)-k:]
			match := true
			for i, t := range nd {
				x := tail[i]
				if x.Orig == nil || x.Orig.Extras.Vendor["implicit"] != "true" || x.ICMPTypes == nil || len(*x.ICMPTypes) != 1 || (*x.ICMPTypes)[0] != (policy.Range{Lo: t, Hi: t}) {
					match = false
				}
			}
			if match {
				rules = rules[:len(rules)-k]
				implicitKept = true
			}
		}
	}
	std := !v6 && r.d == dIOS && f.Orig.Meta["type"] == "standard" && r.same && allStandard(rules)
	var lines []line
	renumber := !r.same
	last, sub := 0, 0
	for i := range rules {
		ru := &rules[i]
		texts := r.ruleLines(f, ru, v6, std)
		var rem []string
		if ru.Extras.Comment != "" {
			rem = strings.Split(ru.Extras.Comment, "\n")
		}
		seq, err := strconv.Atoi(ru.Name)
		cont := i > 0 && err == nil && ru.Name == rules[i-1].Name // one entry expanded by the parser (service groups)
		if cont {
			sub += len(r.lastTexts)
		} else {
			sub = 0
		}
		if err != nil || (seq <= last && !cont) || ru.Synthetic {
			renumber = true
			if ru.Name != "" && err != nil && !ru.Synthetic {
				rem = append(rem, ru.Name)
			}
		}
		if err == nil {
			last = seq
		}
		r.lastTexts = texts
		for j, t := range texts {
			l := line{seq: seq, text: t, sub: sub + j}
			if j == 0 {
				l.remark = rem
			}
			lines = append(lines, l)
		}
		if len(texts) == 0 && len(rem) > 0 {
			// keep the remark of a rule that could not be written
			lines = append(lines, line{seq: seq, remark: rem})
		}
	}
	if v6 && len(implicitND(r.d)) > 0 && !implicitKept && !endsCatchAllDeny(rules) {
		lines = append(lines, line{seq: last + 10, text: "deny ipv6 any any"})
		if len(rules) > 0 {
			renumber = true
		}
	}
	if !v6 && len(lines) == 0 && r.d == dIOS {
		// IOS: an ACL without entries permits everything
		lines = append(lines, line{seq: 10, text: "deny ip any any"})
	}
	if !renumber {
		renumber = !gapNumber(lines)
	}
	if renumber {
		n := 0
		for i := range lines {
			if lines[i].text != "" {
				n += 10
			}
			lines[i].seq = n
			if lines[i].text == "" {
				lines[i].seq = n + 10
			}
		}
	}
	switch {
	case v6:
		fmt.Fprintf(out, "ipv6 access-list %s\n", f.Name)
	case std:
		fmt.Fprintf(out, "ip access-list standard %s\n", f.Name)
	case r.d == dIOS:
		fmt.Fprintf(out, "ip access-list extended %s\n", f.Name)
	default:
		fmt.Fprintf(out, "ip access-list %s\n", f.Name)
	}
	for _, l := range lines {
		for _, rm := range l.remark {
			if rm = strings.TrimSpace(rm); rm != "" {
				fmt.Fprintf(out, " %d remark %s\n", l.seq, rm)
			}
		}
		if l.text == "" {
			continue
		}
		if v6 && r.d == dIOS {
			fmt.Fprintf(out, " %s sequence %d\n", l.text, l.seq)
		} else {
			fmt.Fprintf(out, " %d %s\n", l.seq, l.text)
		}
	}
	out.WriteString("!\n")
}

func allStandard(rules []render.Rule) bool {
	for _, r := range rules {
		if !r.Dst.Any || r.Protocols != nil || r.SrcPorts != nil || r.DstPorts != nil || r.ICMPTypes != nil || r.ICMPCodes != nil ||
			r.Match.NotInitial || r.Match.Fragment != "" || len(r.Src.Refs) > 0 {
			return false
		}
	}
	return true
}

func endsCatchAllDeny(rules []render.Rule) bool {
	if len(rules) == 0 {
		return false
	}
	x := rules[len(rules)-1]
	return x.Action == policy.Deny && x.Src.Any && x.Dst.Any && x.EffectiveProtocols() == nil && !x.Match.NotInitial && x.Match.Fragment == "" && len(x.Extras.Vendor) == 0
}

// ruleLines writes rule ru as one or more entries (without sequence).
func (r *renderer) ruleLines(f *render.Filter, ru *render.Rule, v6, std bool) []string {
	where := fmt.Sprintf("filter %s rule %s", f.Orig.Name, ru.Name)
	act := "permit"
	if ru.Action == policy.Deny {
		act = "deny"
	}
	opts, ok := r.options(where, ru)
	if !ok {
		return nil
	}
	srcs := r.addrs(ru.Src, v6)
	dsts := r.addrs(ru.Dst, v6)
	if std {
		var out []string
		for _, s := range srcs {
			out = append(out, strings.TrimSpace(act+" "+s+" "+opts))
		}
		return out
	}
	type proto struct {
		tok    string
		num    int // -1: any
		ports  bool
		icmp   bool
		stateT bool // tcp: established and flags allowed
	}
	var protos []proto
	eff := ru.EffectiveProtocols()
	anyTok := "ip"
	if v6 {
		anyTok = "ipv6"
	}
	if g := r.protoGroup(ru); g != "" {
		protos = []proto{{tok: "object-group " + g, num: -1}}
	} else if eff == nil {
		protos = []proto{{tok: anyTok, num: -1}}
	} else {
		if render.Count(*eff) > 64 {
			r.warnf("%s: protocol set %s expands into %d entries", where, eff.String(), render.Count(*eff))
		}
		for _, p := range render.Values(*eff) {
			pr := proto{tok: strconv.Itoa(int(p)), num: int(p)}
			switch {
			case p == policy.ProtoTCP:
				pr.tok, pr.ports, pr.stateT = "tcp", true, true
			case p == policy.ProtoUDP:
				pr.tok, pr.ports = "udp", true
			case p == policy.ProtoSCTP:
				pr.ports = true
			case p == policy.ProtoICMP && !v6, p == policy.ProtoICMPv6 && v6:
				pr.tok, pr.icmp = "icmp", true
			case p == 41 && !v6:
				pr.tok = "ipv6"
			}
			if policy.IsICMP(uint8(p)) && !pr.icmp && (ru.ICMPTypes != nil || ru.ICMPCodes != nil) {
				r.warnf("%s: ICMP type/code conditions on protocol %d cannot be written in an %s ACL; that protocol left out of this rule", where, p, famWord(v6))
				continue
			}
			if p == policy.ProtoDCCP && (ru.SrcPorts != nil || ru.DstPorts != nil) {
				r.warnf("%s: DCCP port conditions cannot be written in %s; DCCP left out of this rule", where, dialectVendor[r.d])
				continue
			}
			protos = append(protos, pr)
		}
	}
	needTCP := ru.Match.TCPEstablished || strings.Contains(opts, "match-") || hasFlagWord(opts)
	var out []string
	for _, p := range protos {
		if needTCP && !p.stateT {
			continue
		}
		sps, dps := []string{""}, []string{""}
		if p.ports {
			sps, dps = portToks(ru.SrcPorts), portToks(ru.DstPorts)
		}
		icmps := []string{""}
		if p.icmp {
			icmps = icmpToks(ru.ICMPTypes, ru.ICMPCodes)
		}
		out = append(out, render.Entries(act, p.tok, srcs, sps, dsts, dps, icmps, opts)...)
	}
	if len(out) > 256 {
		r.warnf("%s: expands into %d entries", where, len(out))
	}
	return out
}

func famWord(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

func hasFlagWord(opts string) bool {
	for _, w := range strings.Fields(opts) {
		switch w {
		case "ack", "fin", "psh", "rst", "syn", "urg":
			return true
		}
	}
	return false
}

// options writes the trailing keywords; ok is false when the rule cannot be
// written (a stateful condition the dialect lacks on a rule that never
// matches a first packet: leaving it out changes no first-packet verdict).
func (r *renderer) options(where string, ru *render.Rule) (string, bool) {
	m := &ru.Match
	var o []string
	if m.TCPEstablished {
		o = append(o, "established")
	}
	if m.TCPFlags != "" {
		switch {
		case r.same:
			o = append(o, m.TCPFlags)
		case isTCPInitial(m.TCPFlags):
			o = append(o, "match-all +syn -ack")
		case m.NotInitial:
			r.warnf("%s: tcp-flags %q cannot be written in %s; rule left out (it matches no first packet)", where, m.TCPFlags, dialectVendor[r.d])
			return "", false
		default:
			r.warnf("%s: tcp-flags %q cannot be written in %s; written without it (wider on non-initial packets)", where, m.TCPFlags, dialectVendor[r.d])
		}
	}
	if m.Fragment != "" {
		o = append(o, "fragments")
	}
	for _, cs := range m.CtStates {
		if cs == "tracked" && r.d == dEOS {
			o = append(o, "tracked")
			continue
		}
		if m.NotInitial && !m.TCPEstablished && m.Fragment == "" {
			r.warnf("%s: connection-state condition %q cannot be written in %s; rule left out (it matches no first packet)", where, cs, dialectVendor[r.d])
			return "", false
		}
		if !m.NotInitial {
			r.warnf("%s: connection-state condition %q cannot be written in %s; written without it", where, cs, dialectVendor[r.d])
		}
	}
	if r.same {
		for _, k := range []string{"dscp", "precedence", "tos", "option", "flow-label", "routing-type", "vlan", "ttl", "packet-length"} {
			if v := ru.Extras.Vendor[k]; v != "" {
				o = append(o, k+" "+v)
			}
		}
		for _, k := range []string{"routing", "dest-option", "hbh", "mobility", "undetermined-transport", "auth", "capture", "nsh"} {
			if ru.Extras.Vendor[k] != "" {
				o = append(o, k)
			}
		}
		if ru.Extras.TimeRange != "" {
			o = append(o, "time-range "+ru.Extras.TimeRange)
		}
	} else if ru.Extras.TimeRange != "" {
		r.warnf("%s: time-range %s not written (no time-range definition in the model)", where, ru.Extras.TimeRange)
	}
	if ru.Extras.Log {
		o = append(o, "log")
	}
	return strings.Join(o, " "), true
}

func isTCPInitial(flags string) bool {
	f := strings.ReplaceAll(strings.Trim(flags, "\""), " ", "")
	return f == "tcp-initial" || f == "syn&!ack"
}

// addrs writes an address condition as entry tokens, one per alternative.
func (r *renderer) addrs(a render.Addr, v6 bool) []string {
	if a.Any {
		return []string{"any"}
	}
	if len(a.Refs) > 0 {
		kw := "object-group"
		if r.d == dNXOS {
			kw = "addrgroup"
		}
		out := make([]string, len(a.Refs))
		for i, n := range a.Refs {
			out[i] = kw + " " + n
		}
		return out
	}
	if !v6 {
		if w, ok := asWildcard(a.Set); ok {
			return []string{w.Addr.String() + " " + w.Mask.String()}
		}
	}
	var out []string
	for _, p := range render.Prefixes(a.Set) {
		switch {
		case p.IsSingleIP():
			out = append(out, "host "+p.Addr().String())
		case v6 || r.d != dIOS:
			out = append(out, p.String())
		default:
			out = append(out, p.Addr().String()+" "+mask4(p.Bits(), true))
		}
	}
	for _, w := range a.Set.Wildcards() {
		out = append(out, w.Addr.String()+" "+w.Mask.String())
	}
	return out
}

// portToks writes a port set as operators, one per alternative.
func portToks(rs *policy.Ranges) []string {
	if rs == nil || rs.IsFull(policy.MaxPort) {
		return []string{""}
	}
	if c := rs.Complement(policy.MaxPort); len(c) == 1 && c[0].Lo == c[0].Hi {
		return []string{"neq " + strconv.Itoa(int(c[0].Lo))}
	}
	if n := render.Count(*rs); n > 1 && n <= 10 {
		// several ports in one entry (IOS-XE, NX-OS, EOS)
		var vals []string
		for _, v := range render.Values(*rs) {
			vals = append(vals, strconv.Itoa(int(v)))
		}
		return []string{"eq " + strings.Join(vals, " ")}
	}
	var out []string
	for _, x := range *rs {
		out = append(out, render.PortOp(x))
	}
	return out
}

// icmpToks writes ICMP type/code conditions, one per alternative.
func icmpToks(types, codes *policy.Ranges) []string {
	if types == nil && codes == nil {
		return []string{""}
	}
	ts := []uint16{}
	if types != nil {
		ts = render.Values(*types)
	} else {
		ts = render.Values(policy.Ranges{{Lo: 0, Hi: 255}})
	}
	var out []string
	for _, t := range ts {
		if codes == nil {
			out = append(out, strconv.Itoa(int(t)))
			continue
		}
		for _, c := range render.Values(*codes) {
			out = append(out, fmt.Sprintf("%d %d", t, c))
		}
	}
	return out
}

// asWildcard finds the single non-contiguous IPv4 address/wildcard pattern
// a set of several equal-length prefixes was expanded from, if any.
func asWildcard(set *policy.AddrSet) (policy.Wildcard, bool) {
	ps := set.Prefixes()
	if len(ps) < 2 || len(set.Wildcards()) > 0 || len(ps)&(len(ps)-1) != 0 {
		return policy.Wildcard{}, false
	}
	bits := ps[0].Bits()
	var and, or uint32 = ^uint32(0), 0
	for _, p := range ps {
		if !p.Addr().Is4() || p.Bits() != bits {
			return policy.Wildcard{}, false
		}
		b := p.Addr().As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		and &= v
		or |= v
	}
	vary := and ^ or
	n := 0
	for x := vary; x != 0; x &= x - 1 {
		n++
	}
	if 1<<n != len(ps) {
		return policy.Wildcard{}, false
	}
	var host uint32
	if bits < 32 {
		host = ^uint32(0) >> bits
	}
	m := vary | host
	u := func(v uint32) netip.Addr {
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	return policy.Wildcard{Addr: u(and), Mask: u(m)}, true
}

// gapNumber gives the extra entries of an expanded rule the numbers after
// its own, when the next rule's number leaves room; it reports success.
func gapNumber(lines []line) bool {
	out := make([]int, len(lines))
	prev := 0
	for i, l := range lines {
		seq := l.seq + l.sub
		if l.text != "" && seq <= prev {
			return false
		}
		if l.text != "" {
			prev = seq
		}
		out[i] = seq
	}
	for i := range lines {
		lines[i].seq = out[i]
	}
	return true
}
