package cisco

import (
	"bytes"
	"net/netip"
	"strconv"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// protocol classes decide which port names apply.
const (
	pcOther = iota
	pcTCP
	pcUDP
	pcTCPUDP // "tcp-udp" or an object-group: either table
	pcICMP
)

var (
	rangesTCP    = policy.Single(policy.ProtoTCP)
	rangesUDP    = policy.Single(policy.ProtoUDP)
	rangesTCPUDP = policy.NewRanges(policy.Range{Lo: 6, Hi: 6}, policy.Range{Lo: 17, Hi: 17})
)

// ace parses one access-list entry: [seq] permit|deny|remark ... .
func (s *state) ace(a *acl, c *cursor, l parser.Line) error {
	e := &s.scratch
	*e = entry{pos: s.posAt(l.Num, c.toks[c.i].col), seq: -1}
	s.order++
	e.order = s.order
	if c.peekIs("sequence") && c.i+2 < len(c.toks) { // IOS IPv6: "sequence 10 permit ..."
		c.i++
		if !isDigits(c.peek()) {
			return c.errf("invalid sequence number %q", c.peek())
		}
	}
	if n, ok := atoi(c.peek(), 1<<31-1); ok && c.i+1 < len(c.toks) {
		e.seq = n
		c.i++
	} else if isDigits(c.peek()) {
		return c.errf("invalid sequence number %q", c.peek())
	}
	w, err := c.next("permit, deny or remark")
	if err != nil {
		return err
	}
	switch string(w) {
	case "remark":
		e.isRemark = true
		if c.more() {
			e.remark = string(bytes.TrimRight(l.Text[c.toks[c.i].col-1:], " \t\r"))
		}
		if e.seq < 0 {
			e.seq = a.lastSeq
		}
		a.entries = append(a.entries, rec{seq: e.seq, order: e.order, isRemark: true, remark: e.remark})
		return nil
	case "permit":
		e.action = policy.Permit
	case "deny":
		e.action = policy.Deny
	default:
		c.i--
		return c.errf("expected permit, deny or remark, found %q", w)
	}
	if a.std {
		if err := s.addrArg(c, a.v6, &e.src); err != nil {
			return err
		}
		e.anyProto = true
		e.dst = addrSpec{any: true}
	} else {
		if err := s.extended(a, c, e); err != nil {
			return err
		}
	}
	if err := s.options(a, c, e); err != nil {
		return err
	}
	if e.seq < 0 {
		e.seq = a.lastSeq + 10
	}
	if a.hasSeq(e.seq) {
		// The device refuses a second entry with the same number.
		s.cfg.Warnf(e.pos, "duplicate sequence number %d in %s; entry ignored as on the device", e.seq, a.name)
		return nil
	}
	a.addSeq(e.seq)
	if e.seq > a.lastSeq {
		a.lastSeq = e.seq
	}
	a.entries = append(a.entries, s.record(e))
	return nil
}

// extended parses protocol, source [ports], destination [ports] [icmp type].
func (s *state) extended(a *acl, c *cursor, e *entry) error {
	e.protoPos = c.pos()
	w, err := c.next("protocol")
	if err != nil {
		return err
	}
	class := pcOther
	switch string(w) {
	case "object-group", "protocol-group":
		g, err := c.next("object-group name")
		if err != nil {
			return err
		}
		e.protoGroup = string(g)
		class = pcTCPUDP
	case "ip":
		if a.v6 {
			c.i--
			return c.errf("unknown IPv6 protocol %q", w)
		}
		e.anyProto = true
	case "ipv6":
		if a.v6 {
			e.anyProto = true
		} else {
			e.protos = &rangeProto41
		}
	case "tcp-udp":
		e.protos = &rangesTCPUDP
		class = pcTCPUDP
	default:
		tbl := protocols
		if a.v6 {
			tbl = protocols6
		}
		n, ok := tbl[string(w)]
		if !ok {
			v, ok2 := atoi(w, 255)
			if !ok2 {
				c.i--
				return c.errf("unknown protocol %q", w)
			}
			n = uint8(v)
		}
		e.protos = s.protoRanges(n)
		switch {
		case n == policy.ProtoTCP:
			class = pcTCP
		case n == policy.ProtoUDP:
			class = pcUDP
		case n == policy.ProtoSCTP:
			class = pcTCPUDP
		case n == policy.ProtoICMP && !a.v6, n == policy.ProtoICMPv6 && a.v6:
			class = pcICMP
		}
	}
	if err := s.addrArg(c, a.v6, &e.src); err != nil {
		return err
	}
	if err := s.portArg(c, class, &e.sport); err != nil {
		return err
	}
	if err := s.addrArg(c, a.v6, &e.dst); err != nil {
		return err
	}
	if err := s.portArg(c, class, &e.dport); err != nil {
		return err
	}
	if class == pcICMP && c.more() {
		s.icmpArg(c, a.v6, e)
	}
	if e.protos != nil && len(*e.protos) == 1 && (*e.protos)[0].Lo == policy.ProtoIGMP && c.more() {
		w := string(c.peek())
		if _, ok := optionWords[w]; !ok {
			c.i++
			e.setVendor("igmp-type", w)
			s.cfg.Warnf(e.pos, "IGMP message type %q not modelled: rule treated as matching every IGMP message", w)
		}
	}
	return nil
}

var rangeProto41 = policy.Single(41)

var protoCache [256]*policy.Ranges

func (s *state) protoRanges(n uint8) *policy.Ranges {
	if r := protoCache[n]; r != nil {
		return r
	}
	r := policy.Single(uint16(n))
	return &r
}

func init() {
	for i := range protoCache {
		r := policy.Single(uint16(i))
		protoCache[i] = &r
	}
}

func (e *entry) setVendor(k, v string) {
	if e.vendor == nil {
		e.vendor = make(map[string]string)
	}
	if old, ok := e.vendor[k]; ok {
		v = old + " " + v
	}
	e.vendor[k] = v
}

// addrArg parses any | host A | A WILDCARD | A/len | A (host, in standard
// ACLs and NX-OS/EOS) | object-group NAME | addrgroup NAME.
func (s *state) addrArg(c *cursor, v6 bool, out *addrSpec) error {
	out.pos = c.pos()
	w, err := c.next("address")
	if err != nil {
		return err
	}
	switch string(w) {
	case "any":
		out.any = true
		return nil
	case "host":
		b, err := c.next("host address")
		if err != nil {
			return err
		}
		a, ok := parseAddr(b)
		if !ok || a.Is6() != v6 {
			c.i--
			return c.errf("invalid host address %q", b)
		}
		out.set = s.cachedSet(b, netip.PrefixFrom(a, a.BitLen()), netip.Addr{})
		return nil
	case "object-group", "addrgroup":
		g, err := c.next("object-group name")
		if err != nil {
			return err
		}
		out.group = string(g)
		return nil
	}
	if p, ok := parsePrefix(w); ok {
		if p.Addr().Is6() != v6 {
			c.i--
			return c.errf("address %q is not %s", w, famName(v6))
		}
		out.set = s.cachedSet(w, p, netip.Addr{})
		return nil
	}
	a, ok := parseAddr(w)
	if !ok {
		c.i--
		return c.errf("invalid address %q", w)
	}
	if a.Is6() != v6 {
		c.i--
		return c.errf("address %q is not %s", w, famName(v6))
	}
	if !v6 && c.more() {
		if m, ok := parseV4(c.peek()); ok {
			if m4 := m.As4(); m4[0] == 255 && m != netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
				// an ASA-style netmask pasted into an IOS-family ACL
				s.cfg.Warnf(c.pos(), "%s looks like a netmask; this syntax reads it as a wildcard (don't-care bits), matching a very different set of addresses", c.peek())
			}
			// the key is the line text "A W" (one space apart or not)
			k := s.keyBuf[:0]
			k = append(append(append(k, w...), ' '), c.peek()...)
			s.keyBuf = k
			c.i++
			out.set = s.wildSet(k, a, m)
			return nil
		}
	}
	// A bare address is a host: the standard-ACL form "permit 10.1.1.1",
	// and NX-OS/EOS entries like "permit ip 166.146.58.184 any".
	out.set = s.cachedSet(w, netip.PrefixFrom(a, a.BitLen()), netip.Addr{})
	return nil
}

func famName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// cachedSet returns the set for an address text, building it once: estates
// repeat the same hosts and subnets across thousands of entries.
func (s *state) cachedSet(key []byte, p netip.Prefix, _ netip.Addr) *policy.AddrSet {
	if set, ok := s.addrCache[string(key)]; ok {
		return set
	}
	var b policy.AddrSetBuilder
	b.AddPrefix(p)
	set := b.Set()
	if len(s.addrCache) < 1<<18 {
		s.addrCache[string(key)] = set
	}
	return set
}

// wildSet is cachedSet for "A WILDCARD" patterns (exact, possibly
// non-contiguous).
func (s *state) wildSet(key []byte, a, m netip.Addr) *policy.AddrSet {
	if set, ok := s.addrCache[string(key)]; ok {
		return set
	}
	var b policy.AddrSetBuilder
	b.AddWildcard(policy.Wildcard{Addr: a, Mask: m})
	set := b.Set()
	if len(s.addrCache) < 1<<18 {
		s.addrCache[string(key)] = set
	}
	return set
}

// ranges returns a shared single-interval set.
func (s *state) ranges(lo, hi uint16) *policy.Ranges {
	k := uint32(lo)<<16 | uint32(hi)
	if r, ok := s.rangeCache[k]; ok {
		return r
	}
	r := policy.Ranges{{Lo: lo, Hi: hi}}
	s.rangeCache[k] = &r
	return &r
}

// portArg parses an optional port condition: eq P..., neq P..., lt P, gt P,
// range A B, portgroup NAME.
func (s *state) portArg(c *cursor, class int, out *portSpec) error {
	if !c.more() {
		return nil
	}
	op := string(c.peek())
	switch op {
	case "eq", "neq", "lt", "gt", "range":
	case "portgroup":
		out.pos = c.pos()
		c.i++
		g, err := c.next("portgroup name")
		if err != nil {
			return err
		}
		out.group = string(g)
		return nil
	default:
		return nil
	}
	if class == pcOther || class == pcICMP {
		return c.errf("port condition %q needs protocol tcp, udp or sctp", op)
	}
	out.pos = c.pos()
	c.i++
	r, err := s.portOp(c, op, class)
	if err != nil {
		return err
	}
	out.r = r
	return nil
}

// portOp parses the values of a port operator (the operator is consumed).
func (s *state) portOp(c *cursor, op string, class int) (*policy.Ranges, error) {
	switch op {
	case "eq", "neq":
		p, err := s.port(c, class)
		if err != nil {
			return nil, err
		}
		if !c.more() || !s.portFollows(c.peek(), class) {
			if op == "eq" {
				return s.ranges(p, p), nil
			}
		}
		rs := []policy.Range{{Lo: p, Hi: p}}
		// IOS-XE, NX-OS and EOS accept several ports: "eq bootps bootpc ntp".
		for c.more() {
			if _, isOpt := optionWords[string(c.peek())]; isOpt {
				break
			}
			q, ok := s.portValue(c.peek(), class)
			if !ok {
				break
			}
			c.i++
			rs = append(rs, policy.Range{Lo: q, Hi: q})
		}
		r := policy.NewRanges(rs...)
		if op == "neq" {
			r = r.Complement(policy.MaxPort)
		}
		return &r, nil
	case "lt":
		p, err := s.port(c, class)
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return &emptyRanges, nil
		}
		return s.ranges(0, p-1), nil
	case "gt":
		p, err := s.port(c, class)
		if err != nil {
			return nil, err
		}
		if p == policy.MaxPort {
			return &emptyRanges, nil
		}
		return s.ranges(p+1, policy.MaxPort), nil
	case "range":
		lo, err := s.port(c, class)
		if err != nil {
			return nil, err
		}
		hi, err := s.port(c, class)
		if err != nil {
			return nil, err
		}
		if lo > hi {
			c.i--
			return nil, c.errf("port range %d-%d is reversed", lo, hi)
		}
		return s.ranges(lo, hi), nil
	}
	return nil, c.errf("unknown port operator %q", op)
}

func (s *state) port(c *cursor, class int) (uint16, error) {
	if !c.more() {
		return 0, c.errf("missing port")
	}
	p, ok := s.portValue(c.peek(), class)
	if !ok {
		return 0, c.errf("unknown %s port %q", className(class), c.peek())
	}
	c.i++
	return p, nil
}

func className(class int) string {
	switch class {
	case pcTCP:
		return "tcp"
	case pcUDP:
		return "udp"
	}
	return "tcp/udp"
}

// portFollows reports whether b is another port value of a multi-port eq/neq.
func (s *state) portFollows(b []byte, class int) bool {
	if _, isOpt := optionWords[string(b)]; isOpt {
		return false
	}
	_, ok := s.portValue(b, class)
	return ok
}

// portValue resolves a number or the dialect's name for the protocol.
func (s *state) portValue(b []byte, class int) (uint16, bool) {
	if n, ok := atoi(b, policy.MaxPort); ok {
		return uint16(n), true
	}
	// NX-OS and EOS names are accepted in every dialect: a name the
	// device did not know could not be in its configuration, and none of
	// them conflicts with an IOS name.
	name := string(b)
	if class == pcTCP || class == pcTCPUDP {
		if p, ok := tcpPorts[name]; ok {
			return p, true
		}
		if p, ok := extTCPPorts[name]; ok {
			return p, true
		}
	}
	if class == pcUDP || class == pcTCPUDP {
		if p, ok := udpPorts[name]; ok {
			return p, true
		}
		if p, ok := extUDPPorts[name]; ok {
			return p, true
		}
	}
	return 0, false
}

// icmpArg parses an optional ICMP type [code] or message name.
func (s *state) icmpArg(c *cursor, v6 bool, e *entry) {
	w := c.peek()
	if t, ok := atoi(w, 255); ok {
		c.i++
		e.icmpT = s.ranges(uint16(t), uint16(t))
		if cd, ok := atoi(c.peek(), 255); ok {
			c.i++
			e.icmpC = s.ranges(uint16(cd), uint16(cd))
		}
		return
	}
	tbl := icmpNames
	if v6 {
		tbl = icmp6Names
	}
	n, ok := tbl[string(w)]
	if !ok {
		return
	}
	c.i++
	e.icmpT = s.ranges(uint16(n.typ), uint16(n.typ))
	if n.code >= 0 {
		e.icmpC = s.ranges(uint16(n.code), uint16(n.code))
	}
}

// optionWords are the keywords that may follow the addresses.
var optionWords = map[string]struct{}{
	"established": {}, "log": {}, "log-input": {}, "fragments": {}, "time-range": {},
	"sequence": {}, "match-all": {}, "match-any": {}, "ack": {}, "fin": {}, "psh": {},
	"rst": {}, "syn": {}, "urg": {}, "tracked": {}, "ttl": {}, "packet-length": {},
	"reflect": {}, "dscp": {}, "precedence": {}, "tos": {}, "option": {}, "counter": {},
	"flow-label": {}, "routing": {}, "routing-type": {}, "dest-option": {}, "hbh": {},
	"mobility": {}, "undetermined-transport": {}, "auth": {}, "capture": {}, "vlan": {},
	"udf": {}, "http-method": {}, "nve": {}, "nsh": {}, "inactive": {}, "interval": {},
	"set-erspan-gre-proto": {}, "set-erspan-dscp": {}, "default": {}, "disable": {},
}

var notFirstFlags = map[string]bool{"ack": true, "rst": true, "fin": true, "psh": true, "urg": true}

// options parses the trailing keywords of an entry.
func (s *state) options(a *acl, c *cursor, e *entry) error {
	isTCP := e.protos != nil && len(*e.protos) == 1 && (*e.protos)[0] == policy.Range{Lo: 6, Hi: 6}
	for c.more() {
		w := string(c.peek())
		wpos := c.pos()
		c.i++
		switch w {
		case "established":
			if !isTCP {
				c.i--
				return c.errf("\"established\" needs protocol tcp")
			}
			e.established = true
			e.notInitial = true
		case "log", "log-input":
			e.log = true
			// ASA-style "log 7 interval 600", "log default|disable", or an
			// IOS log cookie word.
			for c.more() {
				nw := string(c.peek())
				if isDigits(c.peek()) || nw == "default" || nw == "disable" {
					c.i++
					continue
				}
				if nw == "interval" {
					c.i++
					if _, err := c.number("log interval", 1<<20); err != nil {
						return err
					}
					continue
				}
				if _, opt := optionWords[nw]; !opt && c.i == len(c.toks)-1 {
					e.setVendor("log-cookie", nw)
					c.i++
				}
				break
			}
		case "fragments":
			e.fragment = "fragments"
			e.notInitial = true
		case "time-range":
			t, err := c.next("time-range name")
			if err != nil {
				return err
			}
			e.timeRange = string(t)
		case "sequence":
			n, err := c.number("sequence number", 1<<31-1)
			if err != nil {
				return err
			}
			e.seq = n
		case "match-all", "match-any":
			if !isTCP {
				c.i--
				return c.errf("%q needs protocol tcp", w)
			}
			var items []string
			for c.more() && (c.peek()[0] == '+' || c.peek()[0] == '-') {
				items = append(items, string(c.peek()))
				c.i++
			}
			if len(items) == 0 {
				return c.errf("%s needs +flag or -flag", w)
			}
			e.flags = joinFlags(w, items)
			excl := 0
			for _, it := range items {
				if (it[0] == '+' && notFirstFlags[it[1:]]) || it == "-syn" {
					excl++
				}
			}
			// a first packet (plain SYN) fails match-all as soon as one item
			// excludes it, and match-any only if every item does.
			if (w == "match-all" && excl > 0) || (w == "match-any" && excl == len(items)) {
				e.notInitial = true
			}
		case "ack", "fin", "psh", "rst", "syn", "urg":
			if !isTCP {
				c.i--
				return c.errf("TCP flag %q needs protocol tcp", w)
			}
			// Legacy flag keywords match a packet carrying any listed flag.
			items := []string{w}
			for c.more() {
				if f := string(c.peek()); f == "ack" || f == "fin" || f == "psh" || f == "rst" || f == "syn" || f == "urg" {
					items = append(items, f)
					c.i++
					continue
				}
				break
			}
			e.flags = joinFlags("", items)
			syn := false
			for _, it := range items {
				syn = syn || it == "syn"
			}
			if !syn {
				e.notInitial = true
			}
		case "tracked":
			// EOS: matches packets of connections already tracked by the
			// switch, never the first packet of a new flow.
			e.ctStates = append(e.ctStates, "tracked")
			e.notInitial = true
		case "ttl", "packet-length":
			op, err := c.next(w + " operator")
			if err != nil {
				return err
			}
			v1, err := c.number(w, 65535)
			if err != nil {
				return err
			}
			val := string(op) + " " + strconv.Itoa(v1)
			if string(op) == "range" {
				v2, err := c.number(w, 65535)
				if err != nil {
					return err
				}
				val += " " + strconv.Itoa(v2)
			} else if string(op) != "eq" && string(op) != "neq" && string(op) != "lt" && string(op) != "gt" {
				c.i -= 2
				return c.errf("unknown %s operator %q", w, op)
			}
			e.setVendor(w, val)
			s.cfg.Warnf(wpos, "%s condition not modelled: rule treated as matching any %s", w, w)
		case "reflect":
			n, err := c.next("reflexive ACL name")
			if err != nil {
				return err
			}
			e.setVendor("reflect", string(n))
			if c.peekIs("timeout") {
				c.i++
				if _, err := c.number("timeout", 1<<31-1); err != nil {
					return err
				}
			}
		case "counter", "inactive":
			if w == "counter" {
				n, err := c.next("counter name")
				if err != nil {
					return err
				}
				e.setVendor("counter", string(n))
			}
		default:
			if unmodelled1[w] {
				v, err := c.next(w + " value")
				if err != nil {
					return err
				}
				e.setVendor(w, string(v))
				s.cfg.Warnf(wpos, "%s condition not modelled: rule treated as matching any %s", w, w)
				continue
			}
			if unmodelled0[w] {
				e.setVendor(w, "true")
				s.cfg.Warnf(wpos, "%s condition not modelled: rule treated as if it held", w)
				continue
			}
			c.i--
			if e.protos != nil && len(*e.protos) == 1 && ((*e.protos)[0].Lo == 1 || (*e.protos)[0].Lo == 58) {
				return c.errf("unknown ICMP message or option %q", w)
			}
			return c.errf("unexpected %q", w)
		}
	}
	return nil
}

func joinFlags(op string, items []string) string {
	var b bytes.Buffer
	b.WriteString(op)
	for _, it := range items {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(it)
	}
	return b.String()
}
