package cisco

import "github.com/fwpol/fwpol/policy"

var emptyRanges = policy.Ranges{}

// record turns a parsed entry into its rule; object-group references are
// kept for resolution when the whole file has been read.
func (s *state) record(e *entry) rec {
	r := s.newRule()
	r.Name, r.Pos, r.Action = s.seqName(e.seq), e.pos, e.action
	m := &r.Match
	m.Src = policy.AddrMatch{Any: e.src.any, Set: e.src.set}
	m.Dst = policy.AddrMatch{Any: e.dst.any, Set: e.dst.set}
	if !e.anyProto {
		m.Protocols = e.protos
	}
	m.SrcPorts, m.DstPorts = e.sport.r, e.dport.r
	m.ICMPTypes, m.ICMPCodes = e.icmpT, e.icmpC
	m.TCPEstablished = e.established
	m.TCPFlags = e.flags
	m.Fragment = e.fragment
	m.CtStates = e.ctStates
	m.NotInitial = e.notInitial
	r.Extras = policy.Extras{Log: e.log, TimeRange: e.timeRange, Vendor: e.vendor}
	if e.timeRange != "" {
		s.cfg.Warnf(e.pos, "time-range %s not evaluated: rule %s treated as always active", e.timeRange, r.Name)
	}
	out := rec{seq: e.seq, order: e.order, rule: r}
	if e.protoGroup != "" || e.src.group != "" || e.dst.group != "" || e.sport.group != "" || e.dport.group != "" {
		out.refs = &refs{protoGroup: e.protoGroup, protoPos: e.protoPos, src: e.src, dst: e.dst, sport: e.sport, dport: e.dport}
	}
	return out
}

// buildRules appends the rules of entry e to out.
//
// A service object-group in protocol position is a union of (protocol,
// ports, ICMP) alternatives that one Match cannot express: such an entry
// becomes one rule per alternative, all with the entry's Name and Pos, so
// first-match evaluation sees exactly the union.
//
// References to undefined object-groups: IOS rejects an entry naming an
// undefined object-group when it is configured, so the entry does not exist
// on the device. It is modelled as a rule that matches nothing (the name is
// kept in Unresolved) and reported as a warning and in Config.Undefined.
func (s *state) buildRules(out []*policy.Rule, a *acl, e *rec, remark string) []*policy.Rule {
	r := e.rule
	r.Extras.Comment = remark
	if e.refs == nil {
		return append(out, r)
	}
	x := e.refs
	m := &r.Match
	if x.src.group != "" {
		m.Src = s.addrMatch(x.src)
	}
	if x.dst.group != "" {
		m.Dst = s.addrMatch(x.dst)
	}
	if x.sport.group != "" {
		m.SrcPorts = s.portMatch(m, x.sport)
	}
	if x.dport.group != "" {
		m.DstPorts = s.portMatch(m, x.dport)
	}
	var alts []alt
	expand := false
	if x.protoGroup != "" {
		m.ServiceRefs = append(m.ServiceRefs, x.protoGroup)
		g := s.groups[x.protoGroup]
		switch {
		case g == nil:
			s.unresolved(m, x.protoGroup, x.protoPos, a.name)
			m.Protocols = &emptyRanges
		case g.kind == kindProtocol:
			p := g.rProtos
			m.Protocols = &p
		case g.kind == kindService:
			alts, expand = g.rAlts, true
		default:
			s.cfg.Warnf(x.protoPos, "object-group %s is a %s, not a service or protocol group; entry matches nothing", g.name, g.kind)
			m.Unresolved = append(m.Unresolved, g.name)
			m.Protocols = &emptyRanges
		}
	}
	if !expand {
		return append(out, r)
	}
	if len(alts) == 0 {
		// an empty service group matches no packet
		m.Protocols = &emptyRanges
		return append(out, r)
	}
	for i := range alts {
		rr := r
		if i < len(alts)-1 {
			rr = s.newRule()
			*rr = *r
		}
		al := &alts[i]
		rr.Match.Protocols = al.protos
		if al.sport != nil {
			rr.Match.SrcPorts = al.sport
		}
		if al.dport != nil {
			rr.Match.DstPorts = al.dport
		}
		rr.Match.ICMPTypes, rr.Match.ICMPCodes = al.icmpT, al.icmpC
		out = append(out, rr)
	}
	return out
}

func (s *state) unresolved(m *policy.Match, name string, pos policy.Pos, acl string) {
	m.Unresolved = append(m.Unresolved, name)
	s.undefined("object-group", name, pos)
	s.cfg.Warnf(pos, "access-list %s references undefined object-group %q: the device rejects such an entry, modelled as matching nothing", acl, name)
}

func (s *state) addrMatch(sp addrSpec) policy.AddrMatch {
	switch {
	case sp.any:
		return policy.AnyAddr()
	case sp.group != "":
		am := policy.AddrMatch{Refs: []string{sp.group}}
		g := s.groups[sp.group]
		if g == nil {
			am.Unresolved = []string{sp.group}
			s.undefined("object-group", sp.group, sp.pos)
			s.cfg.Warnf(sp.pos, "reference to undefined object-group %q: the device rejects such an entry, modelled as matching nothing", sp.group)
			return am
		}
		if g.kind != kindNetwork {
			am.Unresolved = []string{sp.group}
			s.cfg.Warnf(sp.pos, "object-group %s is a %s, not a network group; matches nothing", g.name, g.kind)
			return am
		}
		am.Set = g.set
		return am
	}
	return policy.AddrMatch{Set: sp.set}
}

func (s *state) portMatch(m *policy.Match, sp portSpec) *policy.Ranges {
	if sp.group == "" {
		return sp.r
	}
	m.ServiceRefs = append(m.ServiceRefs, sp.group)
	g := s.groups[sp.group]
	if g == nil || g.kind != kindPort {
		m.Unresolved = append(m.Unresolved, sp.group)
		if g == nil {
			s.undefined("object-group", sp.group, sp.pos)
			s.cfg.Warnf(sp.pos, "reference to undefined port group %q: the device rejects such an entry, modelled as matching nothing", sp.group)
		} else {
			s.cfg.Warnf(sp.pos, "object-group %s is a %s, not a port group; matches nothing", g.name, g.kind)
		}
		return &emptyRanges
	}
	p := g.rPorts
	return &p
}
