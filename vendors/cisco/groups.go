package cisco

import (
	"net/netip"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// Object kinds recorded in Config.Objects.
const (
	kindNetwork  = "network-group"  // IOS object-group network, NX-OS object-group ip|ipv6 address
	kindService  = "service-group"  // IOS object-group service
	kindProtocol = "protocol-group" // object-group protocol
	kindPort     = "port-group"     // NX-OS object-group ip port
)

// alt is one alternative of a service group: a protocol with optional
// ports or ICMP type/code.
type alt struct {
	protos       *policy.Ranges // nil = any protocol ("ip")
	sport, dport *policy.Ranges
	icmpT, icmpC *policy.Ranges
}

// netItem is one network-group entry: a range (host, prefix, range) or a
// wildcard, with the NX-OS sequence number when it had one.
type netItem struct {
	seq  int
	r    netipx.IPRange
	w    policy.Wildcard
	wild bool
}

type groupMember struct {
	name string
	pos  policy.Pos
}

// group is an object-group: its own entries plus nested group-objects.
type group struct {
	kind     string
	name     string
	pos      policy.Pos
	wildcard bool // NX-OS "A W" entries are wildcards, IOS "A M" subnet masks
	v6       bool

	nets    []netItem // network entries in order (removable by "no")
	alts    []alt
	protos  []policy.Range
	ports   []policy.Range
	nested  []groupMember
	members []string

	state int // 0 unresolved, 1 resolving, 2 done
	set   *policy.AddrSet
	// resolved content
	rAlts   []alt
	rProtos policy.Ranges
	rPorts  policy.Ranges
}

// objectGroup opens an object-group. Re-entering an existing group adds
// to it, as re-entering the configuration mode does on the device.
func (s *state) objectGroup(c *cursor) error {
	if !c.more() {
		return c.errf("missing object-group type")
	}
	var kind string
	wild, v6 := false, false
	switch string(c.peek()) {
	case "network", "v6-network":
		kind = kindNetwork
	case "service":
		kind = kindService
	case "protocol":
		kind = kindProtocol
	case "ip", "ipv6":
		v6 = c.peekIs("ipv6")
		c.i++
		switch string(c.peek()) {
		case "address":
			kind, wild = kindNetwork, true
		case "port":
			kind = kindPort
		default:
			s.mode = mSkip
			return nil
		}
	default:
		s.cfg.Warnf(c.pos(), "object-group type %q not supported; skipped", c.peek())
		s.mode = mSkip
		return nil
	}
	c.i++
	pos := c.pos()
	name, err := c.next("object-group name")
	if err != nil {
		return err
	}
	g := s.groups[string(name)]
	if g == nil {
		g = &group{kind: kind, name: string(name), pos: policy.Pos{File: s.file, Line: pos.Line, Col: 1}, wildcard: wild, v6: v6}
		s.groups[g.name] = g
		s.gOrder = append(s.gOrder, g)
	} else if g.kind != kind {
		s.cfg.Warnf(pos, "object-group %s already exists as a %s; the device rejects this definition", g.name, g.kind)
		s.mode = mSkip
		return nil
	}
	if c.more() && kind == kindService {
		// "object-group service NAME tcp" is ASA syntax, not IOS.
		s.cfg.Warnf(c.pos(), "ASA-style service object-group %s with protocol %q not supported; skipped", g.name, c.peek())
		s.mode = mSkip
		return nil
	}
	s.mode, s.group = mGroup, g
	return nil
}

// groupEntry parses one line inside an object-group.
func (s *state) groupEntry(c *cursor) error {
	g := s.group
	del := false
	if c.peekIs("no") && c.i+1 < len(c.toks) {
		// "no ENTRY" removes that entry; "no SEQ" (NX-OS) the numbered one
		del = true
		c.i++
		if n, ok := atoi(c.peek(), 1<<31-1); ok && c.i+1 == len(c.toks) {
			g.removeSeq(n)
			return nil
		}
	}
	seq := 0
	if isDigits(c.peek()) && c.i+1 < len(c.toks) { // NX-OS sequence numbers
		seq, _ = atoi(c.peek(), 1<<31-1)
		c.i++
	}
	w := string(c.peek())
	switch w {
	case "description", "exit":
		return nil
	case "group-object":
		c.i++
		n, err := c.next("group name")
		if err != nil {
			return err
		}
		if del {
			g.removeMember(string(n))
			return nil
		}
		g.nested = append(g.nested, groupMember{string(n), c.pos()})
		g.members = append(g.members, string(n))
		return nil
	}
	if del && g.kind != kindNetwork {
		// removing a service, protocol or port entry is not modelled
		s.cfg.Warnf(c.pos(), "removal of an entry of %s object-group %s is not modelled; the entry is kept", g.kind, g.name)
		return nil
	}
	switch g.kind {
	case kindNetwork:
		if w == "network-object" {
			c.i++
		}
		return s.netEntry(c, g, seq, del)
	case kindProtocol:
		if w == "protocol-object" {
			c.i++
		}
		p, err := c.next("protocol")
		if err != nil {
			return err
		}
		switch string(p) {
		case "ip":
			g.protos = append(g.protos, policy.Range{Lo: 0, Hi: policy.MaxProto})
		case "tcp-udp":
			g.protos = append(g.protos, policy.Range{Lo: 6, Hi: 6}, policy.Range{Lo: 17, Hi: 17})
		default:
			n, ok := protocols[string(p)]
			if !ok {
				v, ok2 := atoi(p, 255)
				if !ok2 {
					c.i--
					return c.errf("unknown protocol %q", p)
				}
				n = uint8(v)
			}
			g.protos = append(g.protos, policy.Range{Lo: uint16(n), Hi: uint16(n)})
		}
	case kindPort:
		op, err := c.next("port operator")
		if err != nil {
			return err
		}
		r, err := s.portOp(c, string(op), pcTCPUDP)
		if err != nil {
			return err
		}
		g.ports = append(g.ports, *r...)
	case kindService:
		if w == "service-object" {
			c.i++
		}
		a, err := s.serviceEntry(c)
		if err != nil {
			return err
		}
		g.alts = append(g.alts, a)
	}
	if c.more() {
		return c.errf("unexpected %q", c.peek())
	}
	return nil
}

// add records a network entry; NX-OS refuses a second entry with the
// same number.
func (g *group) add(it netItem) {
	g.nets = append(g.nets, it)
}

// remove deletes the first entry equal to it (the device matches the
// entry as typed; an entry that is not there changes nothing).
func (g *group) remove(it netItem) {
	for i, x := range g.nets {
		if x.r == it.r && x.wild == it.wild && x.w == it.w {
			g.nets = append(g.nets[:i], g.nets[i+1:]...)
			return
		}
	}
}

func (g *group) removeSeq(n int) {
	for i, x := range g.nets {
		if x.seq == n {
			g.nets = append(g.nets[:i], g.nets[i+1:]...)
			return
		}
	}
}

func (g *group) removeMember(name string) {
	for i, m := range g.nested {
		if m.name == name {
			g.nested = append(g.nested[:i], g.nested[i+1:]...)
			break
		}
	}
	for i, m := range g.members {
		if m == name {
			g.members = append(g.members[:i], g.members[i+1:]...)
			break
		}
	}
}

func (s *state) netEntry(c *cursor, g *group, seq int, del bool) error {
	put := func(it netItem) {
		it.seq = seq
		if del {
			g.remove(it)
		} else {
			g.add(it)
		}
	}
	w, err := c.next("address")
	if err != nil {
		return err
	}
	switch string(w) {
	case "host":
		b, err := c.next("host address")
		if err != nil {
			return err
		}
		a, ok := parseAddr(b)
		if !ok {
			c.i--
			return c.errf("invalid host address %q", b)
		}
		put(netItem{r: netipx.IPRangeFrom(a, a)})
	case "range":
		b1, err := c.next("range start")
		if err != nil {
			return err
		}
		b2, err := c.next("range end")
		if err != nil {
			return err
		}
		a1, ok1 := parseAddr(b1)
		a2, ok2 := parseAddr(b2)
		if !ok1 || !ok2 || a1.Is4() != a2.Is4() || a2.Less(a1) {
			c.i -= 2
			return c.errf("invalid address range %q %q", b1, b2)
		}
		put(netItem{r: netipx.IPRangeFrom(a1, a2)})
	case "any":
		put(netItem{r: netipx.RangeOfPrefix(netip.MustParsePrefix("0.0.0.0/0"))})
		put(netItem{r: netipx.RangeOfPrefix(netip.MustParsePrefix("::/0"))})
	case "object":
		n, err := c.next("object name")
		if err != nil {
			return err
		}
		s.cfg.Warnf(c.pos(), "network object %q in object-group %s is not supported; contributes no addresses", n, g.name)
	default:
		if p, ok := parsePrefix(w); ok {
			put(netItem{r: netipx.RangeOfPrefix(p.Masked())})
			break
		}
		a, ok := parseAddr(w)
		if !ok {
			c.i--
			return c.errf("invalid address %q", w)
		}
		if a.Is6() {
			put(netItem{r: netipx.IPRangeFrom(a, a)})
			break
		}
		mb, err := c.next("mask")
		if err != nil {
			return err
		}
		m, ok := parseV4(mb)
		if !ok {
			c.i--
			return c.errf("invalid mask %q", mb)
		}
		if g.wildcard {
			put(netItem{wild: true, w: policy.Wildcard{Addr: a, Mask: m}})
			break
		}
		n, ok := maskLen(m)
		if !ok {
			c.i--
			return c.errf("non-contiguous subnet mask %q", mb)
		}
		put(netItem{r: netipx.RangeOfPrefix(netip.PrefixFrom(a, n).Masked())})
	}
	return nil
}

// serviceEntry parses: tcp|udp|tcp-udp [source OP PORTS] [OP PORTS],
// icmp [TYPE [CODE] | NAME], or a protocol name/number.
func (s *state) serviceEntry(c *cursor) (alt, error) {
	var a alt
	p, err := c.next("protocol")
	if err != nil {
		return a, err
	}
	class := pcOther
	switch string(p) {
	case "ip":
		return a, nil
	case "tcp":
		a.protos, class = &rangesTCP, pcTCP
	case "udp":
		a.protos, class = &rangesUDP, pcUDP
	case "tcp-udp":
		a.protos, class = &rangesTCPUDP, pcTCPUDP
	default:
		n, ok := protocols[string(p)]
		if !ok {
			v, ok2 := atoi(p, 255)
			if !ok2 {
				c.i--
				return a, c.errf("unknown protocol %q", p)
			}
			n = uint8(v)
		}
		a.protos = s.protoRanges(n)
		if n == policy.ProtoICMP {
			class = pcICMP
		}
	}
	switch class {
	case pcTCP, pcUDP, pcTCPUDP:
		if c.peekIs("source") {
			c.i++
			op, err := c.next("port operator")
			if err != nil {
				return a, err
			}
			r, err := s.portOp(c, string(op), class)
			if err != nil {
				return a, err
			}
			a.sport = r
		}
		if c.more() {
			op, err := c.next("port operator")
			if err != nil {
				return a, err
			}
			r, err := s.portOp(c, string(op), class)
			if err != nil {
				return a, err
			}
			a.dport = r
		}
	case pcICMP:
		if c.more() {
			var e entry
			s.icmpArg(c, false, &e)
			a.icmpT, a.icmpC = e.icmpT, e.icmpC
		}
	}
	return a, nil
}

// resolveGroup computes the content of g including nested groups. A nested
// name that is undefined (or of another kind) contributes nothing and is
// recorded; a cycle is broken with a warning (the device refuses cycles).
func (s *state) resolveGroup(g *group, depth int) {
	if g.state == 2 {
		return
	}
	if g.state == 1 {
		return
	}
	if depth > 64 {
		s.cfg.Warnf(g.pos, "object-group %s nested deeper than 64 levels; its content is ignored there", g.name)
		return
	}
	g.state = 1
	var b policy.AddrSetBuilder
	for _, it := range g.nets {
		if it.wild {
			b.AddWildcard(it.w)
		} else {
			b.AddRange(it.r)
		}
	}
	alts := append([]alt(nil), g.alts...)
	protos := append([]policy.Range(nil), g.protos...)
	ports := append([]policy.Range(nil), g.ports...)
	for _, m := range g.nested {
		sub := s.groups[m.name]
		if sub == nil {
			s.undefined("object-group", m.name, m.pos)
			s.cfg.Warnf(m.pos, "object-group %s includes undefined group-object %q; it contributes nothing", g.name, m.name)
			continue
		}
		if sub.kind != g.kind {
			s.cfg.Warnf(m.pos, "object-group %s (%s) includes %s %q; ignored", g.name, g.kind, sub.kind, m.name)
			continue
		}
		if sub.state == 1 {
			s.cfg.Warnf(m.pos, "object-group %s nests itself through %q; cycle ignored", g.name, m.name)
			continue
		}
		s.resolveGroup(sub, depth+1)
		b.AddSet(sub.set)
		alts = append(alts, sub.rAlts...)
		protos = append(protos, sub.rProtos...)
		ports = append(ports, sub.rPorts...)
	}
	g.set = b.Set()
	g.rAlts = alts
	g.rProtos = policy.NewRanges(protos...)
	g.rPorts = policy.NewRanges(ports...)
	g.state = 2
}

func (s *state) undefined(kind, name string, pos policy.Pos) {
	s.cfg.Undefined = append(s.cfg.Undefined, policy.Reference{Kind: kind, Name: name, Pos: pos})
}
