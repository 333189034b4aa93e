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

	b       policy.AddrSetBuilder
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
	if isDigits(c.peek()) && c.i+1 < len(c.toks) { // NX-OS sequence numbers
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
		g.nested = append(g.nested, groupMember{string(n), c.pos()})
		g.members = append(g.members, string(n))
		return nil
	}
	switch g.kind {
	case kindNetwork:
		if w == "network-object" {
			c.i++
		}
		return s.netEntry(c, g)
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

func (s *state) netEntry(c *cursor, g *group) error {
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
		g.b.AddAddr(a)
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
		g.b.AddRange(netipx.IPRangeFrom(a1, a2))
	case "any":
		g.b.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
		g.b.AddPrefix(netip.MustParsePrefix("::/0"))
	case "object":
		n, err := c.next("object name")
		if err != nil {
			return err
		}
		s.cfg.Warnf(c.pos(), "network object %q in object-group %s is not supported; contributes no addresses", n, g.name)
	default:
		if p, ok := parsePrefix(w); ok {
			g.b.AddPrefix(p)
			break
		}
		a, ok := parseAddr(w)
		if !ok {
			c.i--
			return c.errf("invalid address %q", w)
		}
		if a.Is6() {
			g.b.AddAddr(a)
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
			g.b.AddWildcard(policy.Wildcard{Addr: a, Mask: m})
			break
		}
		n, ok := maskLen(m)
		if !ok {
			c.i--
			return c.errf("non-contiguous subnet mask %q", mb)
		}
		g.b.AddPrefix(netip.PrefixFrom(a, n))
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
	own := g.b.Set()
	var b policy.AddrSetBuilder
	b.AddSet(own)
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
