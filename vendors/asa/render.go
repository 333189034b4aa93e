package asa

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

// Render semantics:
//   - One "access-list NAME extended ..." list per filter name. ASA lists
//     hold both families: an IPv4-only filter writes "any" as any4 (and an
//     IPv6-only one as any6), so the list sees exactly the original's
//     packets; an IPv4 and an IPv6 filter of the same name (IOS "X" and
//     "ipv6:X", Junos "X" and "inet6:X") share one list, which decides each
//     family as its own filter did.
//   - Remarks carry comments and non-numeric rule names (Junos terms).
//   - Address references become "object-group NAME" / "object NAME" with
//     their definitions; sets, port sets and protocol sets one entry cannot
//     hold expand into one entry per combination, exactly.
//   - The ASA has no reject, no stateful (established) or fragment keywords
//     and no non-contiguous masks: see package render; every finding goes to
//     RenderOptions.Warn.

var asaCaps = render.Caps{Vendor: "asa", Inactive: true,
	Objects: func(o *policy.Object) bool { return o.Unresolved == "" && o.Kind != "name" }}

func renderASA(cfg *policy.Config, opt vendors.RenderOptions) ([]byte, error) {
	fs, err := render.Select(cfg, opt.Filters)
	if err != nil {
		return nil, err
	}
	if len(opt.Filters) == 0 {
		var entry []*policy.Filter
		for _, f := range fs {
			if f.Entry {
				entry = append(entry, f)
			}
		}
		fs = entry
	}
	res, err := render.Lower(cfg, fs, asaCaps)
	if err != nil {
		return nil, err
	}
	r := &asaRenderer{cfg: cfg, opt: opt, same: cfg.Vendor == "asa"}
	for _, w := range res.Warnings {
		r.warnf("%s", w)
	}
	var objs, body bytes.Buffer
	r.objects(&objs, res.Objects)
	for i := range res.Filters {
		r.filter(&body, &res.Filters[i])
	}
	var out bytes.Buffer
	out.WriteString(render.Mark("asa"))
	for _, w := range r.warns {
		out.WriteString("! fwpol warning: " + strings.ReplaceAll(w, "\n", " ") + "\n")
	}
	out.Write(objs.Bytes())
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

type asaRenderer struct {
	cfg   *policy.Config
	opt   vendors.RenderOptions
	warns []string
	same  bool
	// kinds of the objects written: object or object-group
	asObject map[string]bool
}

func (r *asaRenderer) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.opt.Warn != nil {
		r.opt.Warn(msg)
	} else {
		r.warns = append(r.warns, msg)
	}
}

func (r *asaRenderer) objects(out *bytes.Buffer, objs []*policy.Object) {
	r.asObject = map[string]bool{}
	for _, o := range objs {
		rr := o.Addrs.Ranges()
		if o.Kind == "object-network" && len(rr) == 1 {
			r.asObject[o.Name] = true
			fmt.Fprintf(out, "object network %s\n", o.Name)
			if p, ok := rr[0].Prefix(); ok {
				if p.IsSingleIP() {
					fmt.Fprintf(out, " host %s\n", p.Addr())
				} else {
					fmt.Fprintf(out, " subnet %s\n", addrMask(p))
				}
			} else {
				fmt.Fprintf(out, " range %s %s\n", rr[0].From(), rr[0].To())
			}
			continue
		}
		fmt.Fprintf(out, "object-group network %s\n", o.Name)
		for _, p := range render.Prefixes(o.Addrs) {
			if p.IsSingleIP() {
				fmt.Fprintf(out, " network-object host %s\n", p.Addr())
			} else {
				fmt.Fprintf(out, " network-object %s\n", addrMask(p))
			}
		}
	}
}

// addrMask writes a prefix as "A MASK" (IPv4) or "A/len" (IPv6).
func addrMask(p netip.Prefix) string {
	if p.Addr().Is6() {
		return p.String()
	}
	var m uint32
	if p.Bits() > 0 {
		m = ^uint32(0) << (32 - p.Bits())
	}
	return p.Addr().String() + " " + netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

func (r *asaRenderer) filter(out *bytes.Buffer, f *render.Filter) {
	written := 0
	for i := range f.Rules {
		ru := &f.Rules[i]
		var rem []string
		if ru.Extras.Comment != "" {
			rem = strings.Split(ru.Extras.Comment, "\n")
		}
		if _, err := strconv.Atoi(ru.Name); err != nil && ru.Name != "" && !ru.Synthetic {
			rem = append(rem, ru.Name)
		}
		lines := r.ruleLines(f, ru)
		for _, rm := range rem {
			if rm = strings.TrimSpace(rm); rm != "" {
				fmt.Fprintf(out, "access-list %s remark %s\n", f.Name, rm)
			}
		}
		for _, l := range lines {
			fmt.Fprintf(out, "access-list %s extended %s\n", f.Name, l)
		}
		written += len(lines)
	}
	if written == 0 {
		// a list needs an entry to exist; this one changes nothing
		fmt.Fprintf(out, "access-list %s extended deny ip %s %s\n", f.Name, anyTok(f.Family), anyTok(f.Family))
	}
}

func anyTok(fam policy.Family) string {
	switch fam {
	case policy.FamilyIPv4:
		return "any4"
	case policy.FamilyIPv6:
		return "any6"
	}
	return "any"
}

func (r *asaRenderer) ruleLines(f *render.Filter, ru *render.Rule) []string {
	where := fmt.Sprintf("filter %s rule %s", f.Orig.Name, ru.Name)
	m := &ru.Match
	if m.NotInitial {
		r.warnf("%s: stateful/fragment condition (%s) has no ASA equivalent; rule left out (it matches no first packet)", where, stateText(m))
		return nil
	}
	if m.TCPFlags != "" || len(m.CtStates) > 0 || m.Fragment != "" {
		r.warnf("%s: condition %s has no ASA equivalent; written without it (wider on non-initial packets)", where, stateText(m))
	}
	act := "permit"
	if ru.Action == policy.Deny {
		act = "deny"
	}
	var opts []string
	if ru.Extras.Log {
		if v := ru.Extras.Vendor["log"]; v != "" && r.same {
			opts = append(opts, "log "+v)
		} else {
			opts = append(opts, "log")
		}
	}
	if ru.Extras.TimeRange != "" {
		if r.same {
			opts = append(opts, "time-range "+ru.Extras.TimeRange)
		} else {
			r.warnf("%s: time-range %s not written (no definition in the model)", where, ru.Extras.TimeRange)
		}
	}
	if ru.Inactive {
		opts = append(opts, "inactive")
	}
	optText := strings.Join(opts, " ")
	srcs, dsts := r.addrs(ru.Src, f.Family), r.addrs(ru.Dst, f.Family)
	type proto struct {
		tok         string
		ports, icmp bool
	}
	var protos []proto
	eff := ru.EffectiveProtocols()
	if eff == nil {
		protos = []proto{{tok: "ip"}}
	} else {
		if render.Count(*eff) > 64 {
			r.warnf("%s: protocol set %s expands into %d entries", where, eff, render.Count(*eff))
		}
		for _, p := range render.Values(*eff) {
			pr := proto{tok: strconv.Itoa(int(p))}
			switch p {
			case policy.ProtoTCP:
				pr.tok, pr.ports = "tcp", true
			case policy.ProtoUDP:
				pr.tok, pr.ports = "udp", true
			case policy.ProtoSCTP:
				pr.ports = true
			case policy.ProtoICMP:
				pr.tok, pr.icmp = "icmp", true
			case policy.ProtoICMPv6:
				pr.tok, pr.icmp = "icmp6", true
			case policy.ProtoDCCP:
				if ru.SrcPorts != nil || ru.DstPorts != nil {
					r.warnf("%s: DCCP port conditions cannot be written on the ASA; DCCP left out of this rule", where)
					continue
				}
			}
			protos = append(protos, pr)
		}
	}
	var out []string
	for _, p := range protos {
		sps, dps := []string{""}, []string{""}
		if p.ports {
			sps, dps = portOps(ru.SrcPorts), portOps(ru.DstPorts)
		}
		icmps := []string{""}
		if p.icmp {
			icmps = icmpOps(ru.ICMPTypes, ru.ICMPCodes)
		}
		out = append(out, render.Entries(act, p.tok, srcs, sps, dsts, dps, icmps, optText)...)
	}
	if len(out) > 256 {
		r.warnf("%s: expands into %d entries", where, len(out))
	}
	return out
}

func stateText(m *policy.Match) string {
	var p []string
	if m.TCPEstablished {
		p = append(p, "established")
	}
	if m.TCPFlags != "" {
		p = append(p, "tcp-flags "+m.TCPFlags)
	}
	if m.Fragment != "" {
		p = append(p, m.Fragment)
	}
	if len(m.CtStates) > 0 {
		p = append(p, "state "+strings.Join(m.CtStates, ","))
	}
	return strings.Join(p, ", ")
}

func (r *asaRenderer) addrs(a render.Addr, fam policy.Family) []string {
	if a.Any {
		return []string{anyTok(fam)}
	}
	if len(a.Refs) > 0 {
		out := make([]string, len(a.Refs))
		for i, n := range a.Refs {
			if r.asObject[n] {
				out[i] = "object " + n
			} else {
				out[i] = "object-group " + n
			}
		}
		return out
	}
	var out []string
	for _, p := range render.Prefixes(a.Set) {
		switch {
		case p.Bits() == 0 && p.Addr().Is4():
			out = append(out, "any4")
		case p.Bits() == 0:
			out = append(out, "any6")
		case p.IsSingleIP():
			out = append(out, "host "+p.Addr().String())
		default:
			out = append(out, addrMask(p))
		}
	}
	return out
}

func portOps(rs *policy.Ranges) []string {
	if rs == nil || rs.IsFull(policy.MaxPort) {
		return []string{""}
	}
	if c := rs.Complement(policy.MaxPort); len(c) == 1 && c[0].Lo == c[0].Hi {
		return []string{"neq " + strconv.Itoa(int(c[0].Lo))}
	}
	var out []string
	for _, x := range *rs {
		out = append(out, render.PortOp(x))
	}
	return out
}

func icmpOps(types, codes *policy.Ranges) []string {
	if types == nil && codes == nil {
		return []string{""}
	}
	ts := policy.Ranges{{Lo: 0, Hi: 255}}
	if types != nil {
		ts = *types
	}
	var out []string
	for _, t := range render.Values(ts) {
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
