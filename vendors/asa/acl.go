package asa

import (
	"net/netip"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// aclCtx carries per-ACE state while parsing one access-list line.
type aclCtx struct {
	ts   []tok
	num  int
	line string
}

func (p *state) buildACL(a *aclDef) error {
	f := &policy.Filter{Name: a.name, Kind: "acl", Family: policy.FamilyAny, Entry: true,
		Default: policy.Deny, Pos: a.pos, Rules: make([]*policy.Rule, 0, len(a.lines))}
	var comment string
	typ := ""
	buf := make([]tok, 0, 32)
	for idx, l := range a.lines {
		ts := split(l.text, buf)
		buf = ts
		i := 2
		if ts[2].s == "line" {
			i = 4
		}
		if i >= len(ts) {
			return parser.Errorf(p.pos(l.num, endCol(l.text, ts)), "access-list %s: incomplete statement", a.name)
		}
		kw := ts[i]
		name := p.ruleName(idx)
		c := &aclCtx{ts: ts, num: l.num, line: l.text}
		var rules []*policy.Rule
		var err error
		n0 := len(f.Rules)
		lineTyp := kw.s
		switch kw.s {
		case "remark":
			text := strings.TrimSpace(l.text[kw.col-1+len("remark"):])
			if comment != "" {
				comment += "\n"
			}
			comment += text
			continue
		case "extended", "advanced":
			// "advanced" is the FTD (Firepower Threat Defense) form.
			lineTyp = "extended"
			f.Rules, err = p.extended(c, i+1, name, f.Rules)
		case "permit", "deny":
			// PIX 6 syntax without the "extended" keyword.
			lineTyp = "extended"
			f.Rules, err = p.extended(c, i, name, f.Rules)
		case "standard":
			rules, err = p.standard(c, i+1, name)
		case "webtype":
			rules, err = p.webtype(c, i+1, name)
		case "ethertype":
			rules, err = p.ethertype(c, i+1, name)
		default:
			return p.errf(l.num, kw, "access-list %s: expected extended, standard, remark, webtype or ethertype, found %q", a.name, kw.s)
		}
		if err != nil {
			return err
		}
		if typ == "" {
			typ = lineTyp
		} else if typ != lineTyp && typ != "mixed" {
			p.cfg.Warnf(p.pos(l.num, kw.col), "access-list %s mixes %s and %s entries", a.name, typ, lineTyp)
			typ = "mixed"
		}
		f.Rules = append(f.Rules, rules...)
		if comment != "" {
			for _, r := range f.Rules[n0:] {
				r.Extras.Comment = comment
			}
			comment = ""
		}
	}
	if typ == "" {
		typ = "remark"
	}
	f.Meta = map[string]string{"type": typ}
	// EtherType ACLs filter non-IP frames only: they never see an IP flow.
	f.Entry = typ != "ethertype"
	p.cfg.AddFilter(f)
	return nil
}

func (p *state) action(c *aclCtx, i int) (policy.Action, error) {
	if i >= len(c.ts) {
		return 0, parser.Errorf(p.pos(c.num, endCol(c.line, c.ts)), "missing permit or deny")
	}
	switch c.ts[i].s {
	case "permit", "trust":
		// FTD "trust" passes the flow without further inspection.
		return policy.Permit, nil
	case "deny":
		return policy.Deny, nil
	}
	return 0, p.errf(c.num, c.ts[i], "expected permit or deny, found %q", c.ts[i].s)
}

func (p *state) missing(c *aclCtx, what string) error {
	return parser.Errorf(p.pos(c.num, endCol(c.line, c.ts)), "missing %s", what)
}

// svcSpec is the protocol position of an extended ACE.
type svcSpec struct {
	alts  []svcAlt
	pp    portProto
	ports bool // port operators apply (tcp, udp, tcp-udp, sctp, protocol groups)
	icmp  bool
	v6    bool
	refs  []string
	unres []string
}

// predefined resolves the ASA's built-in service objects usable inline
// ("object icmp-echo", "object ospf").
func predefined(name string) (svcAlt, bool) {
	if t, ok := strings.CutPrefix(name, "icmp6-"); ok {
		if n, ok := asaICMP6[t]; ok {
			return svcAlt{protos: single(policy.ProtoICMPv6), icmpT: single(uint16(n))}, true
		}
	}
	if t, ok := strings.CutPrefix(name, "icmp-"); ok {
		if n, ok := asaICMP[t]; ok {
			return svcAlt{protos: single(policy.ProtoICMP), icmpT: single(uint16(n))}, true
		}
	}
	protos, _, _, _, ok := protoSpec(name)
	if !ok {
		return svcAlt{}, false
	}
	return svcAlt{protos: protos}, true
}

func (p *state) protocol(c *aclCtx, i int) (svcSpec, int, error) {
	var s svcSpec
	if i >= len(c.ts) {
		return s, i, p.missing(c, "protocol")
	}
	t := c.ts[i]
	switch t.s {
	case "object", "object-group":
		if i+1 >= len(c.ts) {
			return s, i, p.missing(c, t.s+" name")
		}
		nt := c.ts[i+1]
		name := nt.s
		s.pp = ppAny
		pos := p.pos(c.num, nt.col)
		if t.s == "object" {
			d := p.objs[name]
			s.refs = p.refOf(d, name)
			if d != nil && d.kind == okSvcObj {
				s.alts = d.rAlts
			} else if alt, ok := predefined(name); ok && d == nil {
				s.alts = []svcAlt{alt}
				s.refs = nil
			} else {
				p.unresolvedSvc(&s, "object", name, pos, d != nil)
			}
			return s, i + 2, nil
		}
		d := p.groups[name]
		s.refs = p.refOf(d, name)
		switch {
		case d == nil:
			p.unresolvedSvc(&s, "object-group", name, pos, false)
		case d.kind == okProtoGroup:
			s.alts = d.rAlts
			s.ports = true
		case d.kind == okSvcGroup:
			s.alts = d.rAlts
		default:
			p.unresolvedSvc(&s, "object-group", name, pos, true)
		}
		if d != nil && len(d.unres) > 0 {
			s.unres = append(s.unres, d.unres...)
		}
		if d != nil && (d.kind == okProtoGroup || d.kind == okSvcGroup) && len(s.alts) == 0 {
			p.cfg.Warnf(pos, "object-group %s is empty: the entry matches nothing", name)
		}
		return s, i + 2, nil
	}
	if cached, ok := p.protoCache[t.s]; ok {
		return cached, i + 1, nil
	}
	protos, pp, icmp, v6, ok := protoSpec(t.s)
	if !ok {
		return s, i, p.errf(c.num, t, "unknown protocol %q", t.s)
	}
	s.alts = []svcAlt{{protos: protos}}
	s.pp, s.icmp, s.v6 = pp, icmp, v6
	s.ports = protos != nil && (pp != ppAny || protos.Contains(policy.ProtoSCTP))
	p.protoCache[t.s] = s
	return s, i + 1, nil
}

// unresolvedSvc records a service reference the ASA would refuse: the ACE
// does not exist on the device, so the rule matches nothing.
func (p *state) unresolvedSvc(s *svcSpec, kind, name string, pos policy.Pos, wrongKind bool) {
	s.unres = append(s.unres, name)
	if wrongKind {
		p.cfg.Warnf(pos, "%s %q is not a service or protocol %s: the entry matches nothing", kind, name, kind)
		return
	}
	p.undefined(kind, name, pos)
	p.cfg.Warnf(pos, "undefined %s %q: the ASA rejects this entry, modelled as matching nothing", kind, name)
}

func isOption(s string) bool {
	return s == "log" || s == "time-range" || s == "inactive" || s == "rule-id" || s == "event-log"
}

// addrStart reports whether s can begin an address argument.
func (p *state) addrStart(s string) bool {
	switch s {
	case "any", "any4", "any6", "host", "object", "object-group", "interface":
		return true
	}
	_, ok := p.parseIP(strings.SplitN(s, "/", 2)[0])
	return ok
}

// identity consumes identity-firewall and TrustSec arguments before an
// address. They depend on run-time user/SGT mappings a flow does not carry,
// so a rule using them is recorded as unresolved (matches nothing).
//
// FTD "advanced" entries may also carry "ifc NAME" (the ingress interface
// before the source, the egress interface before the destination), which
// is an exact interface condition.
func (p *state) identity(c *aclCtx, i int, m *policy.Match, dst bool) int {
	for i+1 < len(c.ts) {
		t := c.ts[i]
		switch t.s {
		case "ifc":
			if dst {
				m.OutIface = c.ts[i+1].s
			} else {
				m.InIface = c.ts[i+1].s
			}
			i += 2
			continue
		case "user", "user-group", "object-group-user", "object-group-security":
		case "security-group":
			if i+2 < len(c.ts) {
				m.Unresolved = append(m.Unresolved, t.s+" "+c.ts[i+1].s+" "+c.ts[i+2].s)
				p.cfg.Warnf(p.pos(c.num, t.col), "%s condition is not evaluated: the entry matches nothing", t.s)
				i += 3
				continue
			}
			return i
		default:
			return i
		}
		m.Unresolved = append(m.Unresolved, t.s+" "+c.ts[i+1].s)
		p.cfg.Warnf(p.pos(c.num, t.col), "%s condition is not evaluated: the entry matches nothing", t.s)
		i += 2
	}
	return i
}

// address parses one address argument at c.ts[i].
func (p *state) address(c *aclCtx, i int, what string) (policy.AddrMatch, int, error) {
	var am policy.AddrMatch
	if i >= len(c.ts) {
		return am, i, p.missing(c, what+" address")
	}
	t := c.ts[i]
	switch t.s {
	case "any":
		if p.anyIsV4 {
			am.Set = p.prefixSet(any4Prefix)
			return am, i + 1, nil
		}
		return policy.AddrMatch{Any: true}, i + 1, nil
	case "any4":
		am.Set = p.prefixSet(any4Prefix)
		return am, i + 1, nil
	case "any6":
		am.Set = p.prefixSet(any6Prefix)
		return am, i + 1, nil
	case "host":
		if i+1 >= len(c.ts) {
			return am, i, p.missing(c, "host address")
		}
		a, alias, ok := p.parseIPAlias(c.ts[i+1].s)
		if !ok {
			return am, i, p.errf(c.num, c.ts[i+1], "bad host address %q", c.ts[i+1].s)
		}
		am.Set = p.prefixSet(netip.PrefixFrom(a, a.BitLen()))
		if alias {
			am.Refs = p.ref1(c.ts[i+1].s)
		}
		return am, i + 2, nil
	case "interface":
		if i+1 >= len(c.ts) {
			return am, i, p.missing(c, "interface name")
		}
		nt := c.ts[i+1]
		am.Refs = []string{"interface " + nt.s}
		ifc := p.ifaces[nt.s]
		if ifc == nil && len(p.ifaces) > 0 {
			p.undefined("interface", nt.s, p.pos(c.num, nt.col))
		}
		if ifc == nil || len(ifc.addrs) == 0 {
			// The interface keyword means the interface's own address; it
			// is unknown here (no such nameif, or a DHCP/PPPoE address).
			am.Unresolved = []string{"interface " + nt.s}
			p.cfg.Warnf(p.pos(c.num, nt.col), "interface %q has no known address: the condition matches nothing", nt.s)
			return am, i + 2, nil
		}
		var b policy.AddrSetBuilder
		for _, a := range ifc.addrs {
			b.AddAddr(a)
		}
		am.Set = b.Set()
		return am, i + 2, nil
	case "object", "object-group":
		if i+1 >= len(c.ts) {
			return am, i, p.missing(c, t.s+" name")
		}
		nt := c.ts[i+1]
		var d *objDef
		want := okNetObj
		if t.s == "object" {
			d = p.objs[nt.s]
		} else {
			d, want = p.groups[nt.s], okNetGroup
		}
		am.Refs = p.refOf(d, nt.s)
		pos := p.pos(c.num, nt.col)
		switch {
		case d == nil:
			// The ASA rejects an ACE naming an undefined object: the entry
			// does not exist on the device, so it matches nothing here.
			am.Unresolved = []string{nt.s}
			p.undefined(t.s, nt.s, pos)
			p.cfg.Warnf(pos, "undefined %s %q: the ASA rejects this entry, modelled as matching nothing", t.s, nt.s)
		case d.kind != want:
			am.Unresolved = []string{nt.s}
			p.cfg.Warnf(pos, "%s %q is not a network %s: the condition matches nothing", t.s, nt.s, t.s)
		default:
			am.Set = d.set
			if len(d.unres) > 0 {
				// fqdn objects are resolved by DNS on the device; their
				// addresses are unknown here and contribute nothing.
				am.Unresolved = d.unres
				if !d.warned { // once per object, not per ACE
					d.warned = true
					p.cfg.Warnf(pos, "%s %q: fqdn content (%s) is resolved by DNS on the device and not matched here", t.s, nt.s, strings.Join(d.unres, ", "))
				}
			}
		}
		return am, i + 2, nil
	}
	if strings.IndexByte(t.s, '/') >= 0 {
		pf, err := netip.ParsePrefix(t.s)
		if err != nil || pf.Addr().Zone() != "" {
			return am, i, p.errf(c.num, t, "bad prefix %q", t.s)
		}
		am.Set = p.prefixSet(pf.Masked())
		return am, i + 1, nil
	}
	a, alias, ok := p.parseIPAlias(t.s)
	if !ok {
		return am, i, p.errf(c.num, t, "expected %s address, found %q", what, t.s)
	}
	pf, n, err := p.addrMaskFrom(a, c.ts, i, c.num)
	if err != nil {
		return am, i, err
	}
	am.Set = p.prefixSet(pf)
	if alias {
		am.Refs = p.ref1(t.s)
	}
	return am, n, nil
}

// portArg parses an optional port argument (operator or typed service
// object-group) at c.ts[i]. src selects the source-port position, where an
// "object-group" may also be the destination address.
func (p *state) portArg(c *aclCtx, i int, s *svcSpec, src bool, m *policy.Match) (*policy.Ranges, int, error) {
	if i >= len(c.ts) {
		return nil, i, nil
	}
	t := c.ts[i]
	if t.s == "object-group" && i+1 < len(c.ts) {
		nt := c.ts[i+1]
		d := p.groups[nt.s]
		isPort := d != nil && d.kind == okSvcGroup
		if d == nil && src {
			// Undefined: it is a source port group only if an address follows.
			isPort = i+2 < len(c.ts) && c.ts[i+2].s != "object-group" && p.addrStart(c.ts[i+2].s)
		} else if d == nil {
			isPort = true
		}
		if !isPort {
			return nil, i, nil
		}
		if m.ServiceRefs == nil {
			m.ServiceRefs = p.refOf(d, nt.s)
		} else {
			m.ServiceRefs = append(m.ServiceRefs, nt.s)
		}
		pos := p.pos(c.num, nt.col)
		if d == nil {
			m.Unresolved = append(m.Unresolved, nt.s)
			p.undefined("object-group", nt.s, pos)
			p.cfg.Warnf(pos, "undefined object-group %q: the ASA rejects this entry, modelled as matching nothing", nt.s)
			return nil, i + 2, nil
		}
		if len(d.unres) > 0 {
			m.Unresolved = append(m.Unresolved, d.unres...)
		}
		if !d.typed && len(d.ports) == 0 {
			p.cfg.Warnf(pos, "object-group %q has no port-object entries: the port condition matches nothing", nt.s)
		}
		r := d.rPort
		if r == nil {
			r = policy.Ranges{}
		}
		return &r, i + 2, nil
	}
	r, n, err := p.parsePortOp(c.ts, i, c.num, s.pp)
	if err != nil || r == nil {
		return r, n, err
	}
	if !s.ports {
		p.cfg.Warnf(p.pos(c.num, t.col), "port condition on a protocol without ports: it only matches port-carrying protocols")
	}
	return r, n, nil
}

func (p *state) extended(c *aclCtx, i int, name string, out []*policy.Rule) ([]*policy.Rule, error) {
	act, err := p.action(c, i)
	if err != nil {
		return nil, err
	}
	i++
	// Parse straight into a slab rule: no Match copy for the common
	// single-alternative ACE.
	r0 := p.newRule()
	m := &r0.Match
	s, i, err := p.protocol(c, i)
	if err != nil {
		return nil, err
	}
	m.ServiceRefs = s.refs // shared; later appends copy
	m.Unresolved = append(m.Unresolved, s.unres...)
	i = p.identity(c, i, m, false)
	if m.Src, i, err = p.address(c, i, "source"); err != nil {
		return nil, err
	}
	var srcPorts, dstPorts, icmpT, icmpC *policy.Ranges
	if !s.icmp {
		if srcPorts, i, err = p.portArg(c, i, &s, true, m); err != nil {
			return nil, err
		}
	}
	i = p.identity(c, i, m, true)
	if m.Dst, i, err = p.address(c, i, "destination"); err != nil {
		return nil, err
	}
	if s.icmp {
		if i < len(c.ts) && !isOption(c.ts[i].s) {
			t := c.ts[i]
			if t.s == "object-group" {
				if i+1 >= len(c.ts) {
					return nil, p.missing(c, "object-group name")
				}
				nt := c.ts[i+1]
				pos := p.pos(c.num, nt.col)
				m.ServiceRefs = append(m.ServiceRefs, nt.s)
				d := p.groups[nt.s]
				switch {
				case d == nil:
					m.Unresolved = append(m.Unresolved, nt.s)
					p.undefined("object-group", nt.s, pos)
					p.cfg.Warnf(pos, "undefined object-group %q: the ASA rejects this entry, modelled as matching nothing", nt.s)
				case d.kind != okICMPGroup:
					m.Unresolved = append(m.Unresolved, nt.s)
					p.cfg.Warnf(pos, "object-group %q is not an icmp-type group: the entry matches nothing", nt.s)
				default:
					r := d.rPort
					if s.v6 {
						r = d.rPort6
					}
					if r == nil {
						r = policy.Ranges{}
					}
					icmpT = &r
				}
				i += 2
			} else {
				n, ok := lookupICMP(t.s, s.v6)
				if !ok {
					return nil, p.errf(c.num, t, "unknown ICMP type %q", t.s)
				}
				icmpT = single(uint16(n))
				i++
				if i < len(c.ts) && !isOption(c.ts[i].s) {
					code, ok := atoiU(c.ts[i].s, 255)
					if !ok {
						return nil, p.errf(c.num, c.ts[i], "bad ICMP code %q", c.ts[i].s)
					}
					icmpC = single(uint16(code))
					i++
				}
			}
		}
	} else if dstPorts, i, err = p.portArg(c, i, &s, false, m); err != nil {
		return nil, err
	}
	inactive, err := p.options(c, i, &r0.Extras)
	if err != nil {
		return nil, err
	}
	return p.expand(c, name, act, r0, s.alts, srcPorts, dstPorts, icmpT, icmpC, inactive, out), nil
}

// options parses the trailing "log [LEVEL] [interval S] | log disable |
// log default", "time-range NAME" and "inactive" options.
func (p *state) options(c *aclCtx, i int, x *policy.Extras) (bool, error) {
	inactive := false
	for i < len(c.ts) {
		t := c.ts[i]
		switch t.s {
		case "log":
			start := i
			i++
			x.Log = true
		logopts:
			for i < len(c.ts) {
				switch s := c.ts[i].s; {
				case s == "disable":
					x.Log = false
					i++
				case s == "default":
					i++
				case s == "interval":
					if i+1 >= len(c.ts) {
						return false, p.missing(c, "log interval")
					}
					if _, ok := atoiU(c.ts[i+1].s, 1<<20); !ok {
						return false, p.errf(c.num, c.ts[i+1], "bad log interval %q", c.ts[i+1].s)
					}
					i += 2
				case logLevels[s]:
					i++
				default:
					break logopts
				}
			}
			if i-start > 1 {
				if x.Vendor == nil {
					x.Vendor = map[string]string{}
				}
				last := c.ts[i-1]
				x.Vendor["log"] = c.line[c.ts[start+1].col-1 : last.col-1+len(last.s)]
			}
		case "time-range":
			if i+1 >= len(c.ts) {
				return false, p.missing(c, "time-range name")
			}
			nt := c.ts[i+1]
			x.TimeRange = nt.s
			pos := p.pos(c.num, nt.col)
			// Time ranges are kept (Extras.TimeRange) and reported once
			// per name: entries are evaluated as always active.
			if defined, ok := p.timeRange[nt.s]; !ok {
				p.undefined("time-range", nt.s, pos)
				p.cfg.Warnf(pos, "time-range %q is not defined; the entry is evaluated as always active", nt.s)
				p.timeRange[nt.s] = false
			} else if defined {
				p.cfg.Warnf(pos, "time-range %q is kept but not evaluated: entries using it are treated as always active", nt.s)
				p.timeRange[nt.s] = false
			}
			i += 2
		case "inactive":
			inactive = true
			i++
		case "rule-id", "event-log":
			// FTD annotations, kept verbatim.
			if i+1 >= len(c.ts) {
				return false, p.missing(c, t.s+" value")
			}
			if x.Vendor == nil {
				x.Vendor = map[string]string{}
			}
			x.Vendor[t.s] = c.ts[i+1].s
			i += 2
		default:
			return false, p.errf(c.num, t, "unexpected %q", t.s)
		}
	}
	return inactive, nil
}

var logLevels = map[string]bool{
	"0": true, "1": true, "2": true, "3": true, "4": true, "5": true, "6": true, "7": true,
	"emergencies": true, "alerts": true, "critical": true, "errors": true, "warnings": true,
	"notifications": true, "informational": true, "debugging": true,
}

// intersect combines two optional conditions (nil = any).
func intersect(a, b *policy.Ranges) *policy.Ranges {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	r := a.Intersect(*b)
	return &r
}

// expand builds the rules of one ACE. A service object-group, protocol
// group or service object in protocol position is a union of (protocol,
// ports, icmp) alternatives; one policy.Rule can only AND its fields, so the
// ACE becomes one rule per alternative, all with the ACE's Name and Pos (the
// ASA itself expands object-group ACEs into several entries under one line
// number). First-match order is preserved because the alternatives are
// adjacent and share the action.
func (p *state) expand(c *aclCtx, name string, act policy.Action, r0 *policy.Rule, alts []svcAlt,
	srcPorts, dstPorts, icmpT, icmpC *policy.Ranges, inactive bool, out []*policy.Rule) []*policy.Rule {
	r0.Name, r0.Pos, r0.Action, r0.Inactive = name, p.pos(c.num, 1), act, inactive
	if len(r0.Match.Unresolved) > 0 {
		alts = nil
	}
	if len(alts) == 0 {
		// Unresolved condition or empty service: the rule matches nothing
		// (an empty protocol set; policy.Match does not evaluate
		// Unresolved by itself).
		r0.Match.Protocols = &policy.Ranges{}
		return append(out, r0)
	}
	var base policy.Match
	if len(alts) > 1 {
		base = r0.Match
	}
	for k := range alts {
		alt := &alts[k]
		r := r0
		if k > 0 {
			r = p.newRule()
			r.Name, r.Pos, r.Action, r.Inactive, r.Extras = r0.Name, r0.Pos, act, inactive, r0.Extras
			r.Match = base
		}
		mm := &r.Match
		mm.Protocols = alt.protos
		mm.SrcPorts = intersect(alt.src, srcPorts)
		mm.DstPorts = intersect(alt.dst, dstPorts)
		mm.ICMPTypes = intersect(alt.icmpT, icmpT)
		mm.ICMPCodes = intersect(alt.icmpC, icmpC)
		out = append(out, r)
	}
	return out
}

// standard parses "standard permit|deny ADDR". ASA standard ACLs (route
// maps, VPN split tunnelling) identify destination addresses, so the address
// is matched against the flow's destination.
func (p *state) standard(c *aclCtx, i int, name string) ([]*policy.Rule, error) {
	act, err := p.action(c, i)
	if err != nil {
		return nil, err
	}
	var m policy.Match
	m.Src = policy.AnyAddr()
	if m.Dst, i, err = p.address(c, i+1, "destination"); err != nil {
		return nil, err
	}
	var x policy.Extras
	inactive, err := p.options(c, i, &x)
	if err != nil {
		return nil, err
	}
	return []*policy.Rule{{Name: name, Pos: p.pos(c.num, 1), Match: m, Action: act, Inactive: inactive, Extras: x}}, nil
}

// webtype parses clientless-VPN ACEs: "webtype permit|deny url URL ..." and
// "webtype permit|deny tcp DEST [port]". URL entries filter HTTP requests,
// not IP flows: they are kept with the URL as an unresolved condition.
func (p *state) webtype(c *aclCtx, i int, name string) ([]*policy.Rule, error) {
	act, err := p.action(c, i)
	if err != nil {
		return nil, err
	}
	i++
	if i >= len(c.ts) {
		return nil, p.missing(c, "url or tcp")
	}
	var m policy.Match
	m.Src = policy.AnyAddr()
	switch c.ts[i].s {
	case "url":
		if i+1 >= len(c.ts) {
			return nil, p.missing(c, "url")
		}
		m.Dst = policy.AnyAddr()
		m.Unresolved = []string{"url " + c.ts[i+1].s}
		m.Protocols = &policy.Ranges{} // matches no IP flow
		p.cfg.Warnf(p.pos(c.num, c.ts[i].col), "webtype url entries are not evaluated against IP flows")
		i += 2
	case "tcp":
		m.Protocols = single(policy.ProtoTCP)
		if m.Dst, i, err = p.address(c, i+1, "destination"); err != nil {
			return nil, err
		}
		s := svcSpec{pp: ppTCP, ports: true}
		if m.DstPorts, i, err = p.portArg(c, i, &s, false, &m); err != nil {
			return nil, err
		}
	default:
		return nil, p.errf(c.num, c.ts[i], "webtype: expected url or tcp, found %q", c.ts[i].s)
	}
	var x policy.Extras
	inactive, err := p.options(c, i, &x)
	if err != nil {
		return nil, err
	}
	return []*policy.Rule{{Name: name, Pos: p.pos(c.num, 1), Match: m, Action: act, Inactive: inactive, Extras: x}}, nil
}

// ethertype parses "ethertype permit|deny TYPE". EtherType ACEs match
// non-IP frames, so as IP-flow rules they match nothing.
func (p *state) ethertype(c *aclCtx, i int, name string) ([]*policy.Rule, error) {
	act, err := p.action(c, i)
	if err != nil {
		return nil, err
	}
	if i+1 >= len(c.ts) {
		return nil, p.missing(c, "ethertype")
	}
	last := c.ts[len(c.ts)-1]
	m := policy.Match{Src: policy.AnyAddr(), Dst: policy.AnyAddr(),
		Unresolved: []string{"ethertype " + c.line[c.ts[i+1].col-1:last.col-1+len(last.s)]},
		Protocols:  &policy.Ranges{}} // matches no IP flow
	return []*policy.Rule{{Name: name, Pos: p.pos(c.num, 1), Match: m, Action: act}}, nil
}
