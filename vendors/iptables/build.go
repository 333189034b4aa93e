package iptables

import (
	"net/netip"

	"github.com/fwpol/fwpol/policy"
	"go4.org/netipx"
)

// vendorRuleKey holds the source line of rules referencing ipsets, so Link
// can rebuild their matches once the sets are known.
const vendorRuleKey = "rule"

// buildRules turns a spec into one policy rule, or several with the same
// name and position when the condition is a disjunction (multiport --ports
// = source OR destination port, a negated ICMP type/code). The alternatives
// are disjoint, so each flow matches at most one of them.
func (s *state) buildRules(line int, text []byte, sp *spec) ([]*policy.Rule, error) {
	alts, unresolved := s.matches(sp)
	pos := s.pos(line, 1)
	if sp.hasSets {
		sp.vendor(vendorRuleKey, string(text))
	}
	for _, w := range sp.warns {
		s.cfg.Warnings = append(s.cfg.Warnings, policy.Warning{Pos: s.pos(line, w.col), Msg: w.msg})
	}
	for _, u := range unresolved {
		s.cfg.Warnings = append(s.cfg.Warnings, policy.Warning{Pos: s.pos(line, u.col), Msg: unresolvedSetMsg(u.setName)})
		s.cfg.Undefined = append(s.cfg.Undefined, policy.Reference{Kind: "ipset", Name: u.setName, Pos: s.pos(line, u.col)})
	}
	rules := make([]*policy.Rule, len(alts))
	for i := range alts {
		r := s.newRule()
		*r = policy.Rule{Pos: pos, Match: alts[i], Action: sp.action, Extras: sp.extras}
		if sp.targetKind == targetChain {
			r.Target = sp.target
		}
		rules[i] = r
	}
	return rules, nil
}

func unresolvedSetMsg(name string) string {
	return "ipset " + name + " is not defined here (give its `ipset save` output): the rule matches nothing"
}

// matches builds the match alternatives of a spec; it also returns the
// ipset references that could not be resolved.
func (s *state) matches(sp *spec) ([]policy.Match, []addrCond) {
	m := sp.m
	var unresolved []addrCond
	m.Src, unresolved = s.side(sp.src, unresolved)
	m.Dst, unresolved = s.side(sp.dst, unresolved)
	m.Protocols = sp.protos
	m.SrcPorts, m.DstPorts = sp.sports, sp.dports
	alts := append(s.alts[:0], m)
	for _, r := range sp.bothPorts {
		// source port in the list, or (source port not in it and)
		// destination port in it
		next := make([]policy.Match, 0, 2*len(alts))
		for _, a := range alts {
			x := a
			intersect(&x.SrcPorts, r)
			y := a
			intersect(&y.SrcPorts, r.Complement(policy.MaxPort))
			intersect(&y.DstPorts, r)
			next = append(next, x, y)
		}
		alts = next
	}
	for _, cond := range sp.icmp {
		next := make([]policy.Match, 0, len(alts)*len(cond))
		for _, a := range alts {
			for _, c := range cond {
				x := a
				if c.types != nil {
					intersect(&x.ICMPTypes, *c.types)
				}
				if c.codes != nil {
					intersect(&x.ICMPCodes, *c.codes)
				}
				next = append(next, x)
			}
		}
		alts = next
	}
	s.alts = alts[:0] // reused by the next rule: callers copy the matches at once
	return alts, unresolved
}

// side combines the address conditions of one side (-s, --src-range,
// --match-set ... src) into one AddrMatch. A single condition keeps its
// natural form (set + negation); several are intersected exactly. An ipset
// that is not known makes the side match nothing, negated or not: the
// kernel would refuse to load a rule naming a missing set, so there is no
// device behaviour to copy and guessing either way would be wrong.
func (s *state) side(conds []addrCond, unresolved []addrCond) (policy.AddrMatch, []addrCond) {
	if len(conds) == 0 {
		return policy.AnyAddr(), unresolved
	}
	var refs, missing []string
	sets := make([]*policy.AddrSet, len(conds))
	for i, c := range conds {
		sets[i] = c.set
		if c.setName == "" {
			continue
		}
		refs = append(refs, c.setName)
		var obj *policy.Object
		if s.sets != nil {
			obj = s.sets(c.setName)
		}
		if obj == nil {
			missing = append(missing, c.setName)
			unresolved = append(unresolved, c)
			continue
		}
		sets[i] = obj.Addrs
		if sets[i] == nil {
			sets[i] = (&policy.AddrSetBuilder{}).Set()
		}
	}
	if len(missing) > 0 {
		return policy.AddrMatch{Refs: refs, Unresolved: missing}, unresolved
	}
	if len(conds) == 1 {
		return policy.AddrMatch{Set: sets[0], Negate: conds[0].neg, Refs: refs}, unresolved
	}
	var b netipx.IPSetBuilder
	first := -1
	for i, c := range conds {
		if !c.neg {
			first = i
			break
		}
	}
	if first >= 0 {
		b.AddSet(sets[first].IPSet())
	} else {
		b.AddPrefix(netip.PrefixFrom(netip.IPv4Unspecified(), 0))
		b.AddPrefix(netip.PrefixFrom(netip.IPv6Unspecified(), 0))
	}
	for i, c := range conds {
		if i == first {
			continue
		}
		ips := sets[i].IPSet()
		if c.neg {
			b.RemoveSet(ips)
		} else {
			b.Intersect(ips)
		}
	}
	ips, _ := b.IPSet()
	var out policy.AddrSetBuilder
	for _, r := range ips.Ranges() {
		out.AddRange(r)
	}
	return policy.AddrMatch{Set: out.Set(), Refs: refs}, unresolved
}
