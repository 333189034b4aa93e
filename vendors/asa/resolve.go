package asa

import (
	"net/netip"
	"strings"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// resolve is phase two: resolve every object (so unused ones carry their
// content too), build the ACLs and the bindings.
func (p *state) resolve() error {
	for _, o := range p.cfg.Objects {
		var d *objDef
		if strings.HasPrefix(o.Kind, "object-group") {
			d = p.groups[o.Name]
		} else if o.Kind != "name" {
			d = p.objs[o.Name]
		}
		if d != nil && d.obj == o {
			p.resolveDef(d)
		}
	}
	// One slab for (nearly) every rule: fewer, larger allocations let the
	// garbage collector run fewer cycles on big configs.
	total := 0
	for _, a := range p.aclOrder {
		total += len(a.lines)
	}
	if total > 256 {
		p.ruleSlab = make([]policy.Rule, total)
	}
	for _, a := range p.aclOrder {
		if err := p.buildACL(a); err != nil {
			return err
		}
	}
	return p.bindings()
}

func (p *state) undefined(kind, name string, pos policy.Pos) {
	p.cfg.Undefined = append(p.cfg.Undefined, policy.Reference{Kind: kind, Name: name, Pos: pos})
}

// lookupRef finds the definition a group-object / object reference names,
// recording undefined and wrong-typed references.
func (p *state) lookupRef(owner *objDef, r objRef) *objDef {
	m, kind := p.objs, "object"
	if r.group {
		m, kind = p.groups, "object-group"
	}
	d := m[r.name]
	if d == nil {
		// The ASA rejects a group-object/network-object line naming an
		// undefined object, so the group simply lacks that member.
		p.undefined(kind, r.name, r.pos)
		p.cfg.Warnf(r.pos, "%s %s: undefined %s %q ignored (the ASA rejects the line)", objKindNames[owner.kind], owner.name, kind, r.name)
		return nil
	}
	want := owner.kind
	switch owner.kind {
	case okNetGroup:
		if !r.group {
			want = okNetObj
		}
	case okSvcGroup:
		if !r.group {
			want = okSvcObj
		}
	}
	if d.kind != want {
		p.cfg.Warnf(r.pos, "%s %s: %q is a %s, ignored", objKindNames[owner.kind], owner.name, r.name, objKindNames[d.kind])
		return nil
	}
	return d
}

func (p *state) resolveDef(d *objDef) {
	if d.state == 2 {
		return
	}
	if d.state == 1 {
		p.cfg.Warnf(d.pos, "%s %s: nesting loop", objKindNames[d.kind], d.name)
		return
	}
	d.state = 1
	defer func() { d.state = 2 }()
	for _, r := range d.refs {
		d.obj.Members = append(d.obj.Members, r.name)
	}
	d.obj.Members = appendUniq(d.obj.Members, d.aliases...)
	switch d.kind {
	case okNetObj, okNetGroup:
		var b policy.AddrSetBuilder
		for _, e := range d.nets {
			switch {
			case e.fqdn != "":
				// Resolved by the ASA through DNS at run time: unknown here.
				d.obj.Unresolved = "fqdn " + e.fqdn
				d.unres = append(d.unres, d.name)
			case e.isRange:
				b.AddRange(netipx.IPRangeFrom(e.lo, e.hi))
			default:
				b.AddPrefix(e.pfx)
			}
		}
		for _, r := range d.refs {
			m := p.lookupRef(d, r)
			if m == nil {
				continue
			}
			p.resolveDef(m)
			b.AddSet(m.set)
			d.unres = appendUniq(d.unres, m.unres...)
		}
		d.set = b.Set()
		d.obj.Addrs = d.set
	case okSvcObj:
		d.rAlts = d.alts
	case okSvcGroup:
		d.rPort = d.ports
		if d.typed && len(d.ports) > 0 {
			d.rAlts = append(d.rAlts, svcAlt{protos: typeProtos(d.svcType), dst: ptr(d.ports)})
		}
		d.rAlts = append(d.rAlts, d.alts...)
		for _, r := range d.refs {
			if !r.group && p.objs[r.name] == nil {
				if alt, ok := predefined(r.name); ok {
					d.rAlts = append(d.rAlts, alt) // built-in service object
					continue
				}
			}
			m := p.lookupRef(d, r)
			if m == nil {
				continue
			}
			p.resolveDef(m)
			d.rPort = d.rPort.Union(m.rPort)
			d.rAlts = append(d.rAlts, m.rAlts...)
			d.unres = appendUniq(d.unres, m.unres...)
		}
		d.rAlts = dedupAlts(d.rAlts)
	case okProtoGroup:
		anyProto := len(d.alts) > 0
		d.rPort = d.ports
		for _, r := range d.refs {
			m := p.lookupRef(d, r)
			if m == nil {
				continue
			}
			p.resolveDef(m)
			d.rPort = d.rPort.Union(m.rPort)
			if len(m.rAlts) > 0 && m.rAlts[0].protos == nil {
				anyProto = true
			}
		}
		if anyProto {
			d.rAlts = []svcAlt{{}}
		} else if len(d.rPort) > 0 {
			d.rAlts = []svcAlt{{protos: ptr(d.rPort)}}
		}
	case okICMPGroup:
		d.rPort, d.rPort6 = d.ports, d.ports6
		for _, r := range d.refs {
			m := p.lookupRef(d, r)
			if m == nil {
				continue
			}
			p.resolveDef(m)
			d.rPort = d.rPort.Union(m.rPort)
			d.rPort6 = d.rPort6.Union(m.rPort6)
		}
	}
}

// dedupAlts drops repeated alternatives. Alternatives reached twice through
// nested groups (diamonds, repeated group-object lines) share their pointers,
// so comparing them as values removes the repeats; without this, nesting
// could multiply the alternatives exponentially.
func dedupAlts(alts []svcAlt) []svcAlt {
	if len(alts) < 2 {
		return alts
	}
	seen := make(map[svcAlt]bool, len(alts))
	out := alts[:0:0]
	for _, a := range alts {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func typeProtos(pp portProto) *policy.Ranges {
	switch pp {
	case ppTCP:
		return single(policy.ProtoTCP)
	case ppUDP:
		return single(policy.ProtoUDP)
	}
	return tcpUDP()
}

func ptr(r policy.Ranges) *policy.Ranges { return &r }

func appendUniq(dst []string, src ...string) []string {
outer:
	for _, s := range src {
		for _, d := range dst {
			if d == s {
				continue outer
			}
		}
		dst = append(dst, s)
	}
	return dst
}

// prefixSet returns a shared, immutable set holding one prefix.
func (p *state) prefixSet(pf netip.Prefix) *policy.AddrSet {
	if pf.Addr().Is4() && pf.Bits() == 32 {
		// IPv4 hosts dominate; a uint32-keyed map hashes faster.
		b := pf.Addr().As4()
		k := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if s, ok := p.hostCache[k]; ok {
			return s
		}
		s := policy.SetOfPrefixes(pf)
		p.hostCache[k] = s
		return s
	}
	if s, ok := p.setCache[pf]; ok {
		return s
	}
	s := policy.SetOfPrefixes(pf)
	p.setCache[pf] = s
	return s
}

var (
	any4Prefix = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	any6Prefix = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
)

func (p *state) bindings() error {
	for _, l := range p.agroups {
		ts := split(l.text, p.toks)
		p.toks = ts
		// access-group NAME {in|out} interface IF [per-user-override] [control-plane]
		// access-group NAME global
		if len(ts) < 3 {
			return p.errf(l.num, ts[len(ts)-1], "access-group: incomplete statement")
		}
		name := ts[1].s
		b := policy.Binding{Filter: name, Pos: p.pos(l.num, 1)}
		switch ts[2].s {
		case "global":
			b.Kind, b.Target = "global", "global"
		case "in", "out":
			if len(ts) < 5 || ts[3].s != "interface" {
				return p.errf(l.num, ts[2], "access-group: expected \"%s interface NAME\"", ts[2].s)
			}
			b.Kind, b.Target, b.Direction = "interface", ts[4].s, ts[2].s
			for _, t := range ts[5:] {
				if t.s == "control-plane" {
					b.Kind = "control-plane"
				}
			}
			if _, ok := p.ifaces[b.Target]; !ok && len(p.ifaces) > 0 {
				p.undefined("interface", b.Target, p.pos(l.num, ts[4].col))
				p.cfg.Warnf(p.pos(l.num, ts[4].col), "access-group %s: no interface has nameif %q", name, b.Target)
			}
		default:
			return p.errf(l.num, ts[2], "access-group: expected in, out or global, found %q", ts[2].s)
		}
		if p.cfg.Filter(name) == nil {
			p.undefined("access-list", name, p.pos(l.num, ts[1].col))
			p.cfg.Warnf(p.pos(l.num, ts[1].col), "access-group: access-list %q is not defined", name)
		}
		p.cfg.Bindings = append(p.cfg.Bindings, b)
	}
	return nil
}
