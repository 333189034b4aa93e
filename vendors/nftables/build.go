package nftables

import (
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// maxExpansion bounds the rules one nft rule may expand into (vmap elements
// times interface-set members).
const maxExpansion = 1 << 16

// maxTotalExpansion bounds the expanded rules of a whole file, so a small
// hostile input cannot allocate without bound.
const maxTotalExpansion = 1 << 22

type builder struct {
	cfg      *policy.Config
	tables   []*table
	filters  map[*chain]*policy.Filter
	edges    map[*chain][]edge
	vals     [kNfproto + 1]map[string]*setValue
	expanded int
	slab     policy.RuleSlab
	rp       ruleParser
}

type edge struct {
	to *chain
	at tok
}

func famOf(f string) policy.Family {
	switch f {
	case "ip":
		return policy.FamilyIPv4
	case "ip6":
		return policy.FamilyIPv6
	}
	return policy.FamilyAny
}

func (b *builder) build() error {
	// Filter names: the chain name, qualified as TABLE/CHAIN when several
	// tables have a chain of that name (and FAMILY/TABLE/CHAIN when even
	// that is ambiguous).
	count := map[string]int{}
	qcount := map[string]int{}
	for _, t := range b.tables {
		for _, c := range t.chains {
			count[c.name]++
			qcount[t.name+"/"+c.name]++
		}
	}
	for _, t := range b.tables {
		for _, c := range t.chains {
			switch {
			case count[c.name] == 1:
				c.filterName = c.name
			case qcount[t.name+"/"+c.name] == 1:
				c.filterName = t.name + "/" + c.name
			default:
				c.filterName = t.family + "/" + t.name + "/" + c.name
			}
		}
	}
	for _, t := range b.tables {
		for _, s := range t.sets {
			if err := b.resolveSet(s); err != nil {
				return err
			}
		}
	}
	for _, t := range b.tables {
		for _, c := range t.chains {
			if err := b.chain(c); err != nil {
				return err
			}
		}
	}
	return b.checkLoops()
}

// resolveSet types a named set's elements once and records it as an Object.
func (b *builder) resolveSet(s *nset) error {
	if s.resolved {
		return nil
	}
	s.resolved = true
	kind := "nft-set"
	if s.isMap {
		kind = "nft-map"
	}
	obj := &policy.Object{Kind: kind, Name: s.name, Pos: s.pos, Scope: s.tbl.name}
	s.obj = obj
	b.cfg.Objects = append(b.cfg.Objects, obj)
	if s.keyType == "" {
		return parser.Errorf(s.pos, "set %s has no type", s.name)
	}
	k := kindOfType(s.keyType)
	verdictMap := s.isMap && s.valType == "verdict"
	switch {
	case s.keyType == "concat":
		b.cfg.Warnf(s.pos, "set %s: concatenated type not modelled; rules using it never match", s.name)
		obj.Unresolved = "concatenation"
	case k == kNone || (s.isMap && !verdictMap):
		obj.Unresolved = "type " + s.keyType
		if s.isMap {
			obj.Unresolved += " : " + s.valType
		}
	default:
		sv, err := parseElems(s.elems, k, s.isMap)
		if err != nil {
			return err
		}
		sv.name = s.name
		s.val = sv
		if sv.kind == kAddr4 || sv.kind == kAddr6 {
			obj.Addrs = toAddrSet(sv.ips)
		}
	}
	if obj.Addrs == nil {
		for _, e := range splitElems(s.elems) {
			var w []string
			for _, x := range e {
				w = append(w, x.text)
			}
			obj.Members = append(obj.Members, strings.Join(w, " "))
		}
	}
	return nil
}

// jumpTarget validates a jump/goto target like nft does: it must be a
// regular chain of the same table.
func (b *builder) jumpTarget(from *chain, t tok) (*chain, error) {
	c, ok := from.tbl.chainByName[t.text]
	if !ok {
		return nil, parser.Errorf(t.pos(), "jump to undefined chain %q in table %s", t.text, from.tbl.key())
	}
	if c.base {
		return nil, parser.Errorf(t.pos(), "cannot jump to base chain %q", t.text)
	}
	b.edges[from] = append(b.edges[from], edge{c, t})
	return c, nil
}

func (b *builder) chain(c *chain) error {
	t := c.tbl
	f := &policy.Filter{
		Name:   c.filterName,
		Kind:   "nft-chain",
		Family: famOf(t.family),
		Pos:    c.pos,
		Meta:   map[string]string{"table": t.name, "family": t.family, "chain": c.name},
	}
	if c.base {
		// arp tables are kept but never evaluated as IP; nat chains rewrite
		// rather than filter (their "accept" is the translation verdict), so
		// neither is an entry filter. filter and route chains are.
		f.Entry = (c.ctype == "filter" || c.ctype == "route") && t.family != "arp" && !t.dormant
		if t.dormant {
			f.Meta["dormant"] = "true"
		}
		f.Default = policy.Permit
		if c.policy == "drop" {
			f.Default = policy.Deny
		}
		f.Meta["type"] = c.ctype
		f.Meta["hook"] = c.hook
		f.Meta["priority"] = strconv.Itoa(c.prio)
		if c.prioText != "" {
			f.Meta["priority_text"] = c.prioText
		}
		pol := c.policy
		if pol == "" {
			pol = "accept"
		}
		f.Meta["policy"] = pol
		target := t.family + " " + c.hook
		if c.device != "" {
			f.Meta["device"] = c.device
			target += " device " + c.device
		}
		b.cfg.Bindings = append(b.cfg.Bindings, policy.Binding{Filter: f.Name, Kind: "hook", Target: target, Direction: hookDirection(c.hook), Pos: c.pos})
	} else {
		// falling off a regular chain returns to the caller
		f.Default = policy.Return
	}
	for idx, raw := range c.rules {
		rs, err := b.rule(c, raw, idx+1)
		if err != nil {
			return err
		}
		f.Rules = append(f.Rules, rs...)
	}
	b.filters[c] = f
	b.cfg.AddFilter(f)
	return nil
}

func hookDirection(h string) string {
	switch h {
	case "input", "prerouting", "ingress":
		return "in"
	case "output", "postrouting", "egress":
		return "out"
	}
	return ""
}

// rule turns one nft rule into one or more policy rules (vmap and interface
// sets expand into alternatives sharing Name and Pos).
func (b *builder) rule(c *chain, raw rawRule, index int) ([]*policy.Rule, error) {
	// one ruleParser per builder, reset per rule (saves an allocation each)
	rp := &b.rp
	*rp = ruleParser{b: b, ch: c, ts: raw.toks, action: policy.Next, vendor: rp.vendor[:0]}
	if err := rp.parse(); err != nil {
		return nil, err
	}
	var target *chain
	if rp.action == policy.Jump || rp.action == policy.Goto {
		if rp.dims == nil || rp.target.text != "" {
			tc, err := b.jumpTarget(c, rp.target)
			if err != nil {
				return nil, err
			}
			target = tc
		}
	}
	name := rp.handle
	if name == "" {
		name = strconv.Itoa(index)
	}
	pos := raw.toks[0].pos()
	ex := rp.ex
	if len(rp.vendor) > 0 {
		if ex.Vendor == nil {
			ex.Vendor = map[string]string{}
		}
		ex.Vendor["statements"] = strings.Join(rp.vendor, "; ")
	}
	mk := func(cd *cond, act policy.Action, tgt *chain) *policy.Rule {
		r := b.newRule()
		*r = policy.Rule{Name: name, Pos: pos, Action: act, Match: b.match(cd, c), Extras: ex}
		if tgt != nil {
			r.Target = tgt.filterName
		}
		return r
	}
	if len(rp.dims) == 0 {
		return []*policy.Rule{mk(&rp.c, rp.action, target)}, nil
	}
	total := 1
	for _, d := range rp.dims {
		total *= len(d)
		if total > maxExpansion {
			return nil, parser.Errorf(pos, "rule expands into more than %d alternatives", maxExpansion)
		}
	}
	if b.expanded += total; b.expanded > maxTotalExpansion {
		return nil, parser.Errorf(pos, "rules expand into more than %d alternatives in total", maxTotalExpansion)
	}
	out := make([]*policy.Rule, 0, total)
	idx := make([]int, len(rp.dims))
	for {
		cd := rp.c.clone()
		act, tgt := rp.action, target
		for di, d := range rp.dims {
			v := d[idx[di]]
			sv := &setValue{kind: v.sel.kind, ips: v.ev.ips, rng: v.ev.rng, name: v.ref}
			if v.ev.str != "" {
				sv.strs = []string{v.ev.str}
			}
			cd.apply(v.sel, "==", sv)
			if v.ev.isVerd {
				act = v.ev.verdict
				tgt = nil
				if act == policy.Jump || act == policy.Goto {
					tgt = c.tbl.chainByName[v.ev.target.text]
				}
			}
		}
		out = append(out, mk(&cd, act, tgt))
		k := len(idx) - 1
		for k >= 0 {
			idx[k]++
			if idx[k] < len(rp.dims[k]) {
				break
			}
			idx[k] = 0
			k--
		}
		if k < 0 {
			break
		}
	}
	return out, nil
}

func (b *builder) newRule() *policy.Rule { return b.slab.New() }

// match converts an accumulated condition into a policy.Match.
func (b *builder) match(cd *cond, c *chain) policy.Match {
	m := policy.Match{Src: policy.AnyAddr(), Dst: policy.AnyAddr()}
	cf := famOf(c.tbl.family)
	fam := cd.fam
	never := cd.never
	if fam != policy.FamilyAny && cf != policy.FamilyAny && fam != cf {
		never = append(never, "address family does not match the table")
	}
	if cd.srcOn {
		m.Src = policy.AddrMatch{Set: toAddrSet(cd.src), Refs: cd.srcRefs}
	} else if fam != policy.FamilyAny && fam != cf {
		// "ip protocol tcp" in an inet table only sees IPv4 packets.
		k := kAddr4
		if fam == policy.FamilyIPv6 {
			k = kAddr6
		}
		m.Src = policy.AddrMatch{Set: toAddrSet(universe(k))}
	}
	if cd.dstOn {
		m.Dst = policy.AddrMatch{Set: toAddrSet(cd.dst), Refs: cd.dstRefs}
	}
	m.Protocols, m.SrcPorts, m.DstPorts = cd.proto, cd.sport, cd.dport
	m.ICMPTypes, m.ICMPCodes = cd.itype, cd.icode
	m.InIface, m.NegInIface = cd.in, cd.negIn
	m.OutIface, m.NegOutIface = cd.out, cd.negOut
	m.CtStates = cd.ct
	m.TCPFlags = cd.tcpFlags
	m.NotInitial = cd.notInitial
	m.Unresolved = cd.unresolved
	m.ServiceRefs = cd.otherRefs
	if len(never) > 0 {
		// Matches nothing: an empty source set. The reasons are kept.
		m.Src = policy.AddrMatch{Refs: m.Src.Refs, Unresolved: m.Src.Unresolved}
		for _, n := range never {
			if !contains(m.Unresolved, n) {
				m.Unresolved = append(m.Unresolved, n)
			}
		}
	}
	return m
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// checkLoops refuses jump/goto cycles, as the kernel does (ELOOP).
func (b *builder) checkLoops() error {
	const (
		white = iota
		grey
		black
	)
	color := map[*chain]int{}
	var visit func(c *chain) error
	visit = func(c *chain) error {
		color[c] = grey
		for _, e := range b.edges[c] {
			switch color[e.to] {
			case grey:
				return parser.Errorf(e.at.pos(), "jump loop: chain %s jumps back to %s", c.name, e.to.name)
			case white:
				if err := visit(e.to); err != nil {
					return err
				}
			}
		}
		color[c] = black
		return nil
	}
	for _, t := range b.tables {
		for _, c := range t.chains {
			if color[c] == white {
				if err := visit(c); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
