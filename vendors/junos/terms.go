package junos

import (
	"net/netip"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// entry is one prefix of a Junos address condition.
type entry struct {
	p      netip.Prefix
	except bool
}

// addrTable collects the prefixes of one address direction of a term. Junos
// compiles source-address and source-prefix-list of a term into one
// longest-prefix-match table (likewise destination-*, and address /
// prefix-list for either direction): an address matches when its longest
// matching prefix is not marked "except". Listing only "except" prefixes
// therefore matches nothing; configs add 0.0.0.0/0 to say "all but".
type addrTable struct {
	used       bool
	entries    []entry
	refs       []string
	unresolved []string
}

func (t *addrTable) match(cache map[string]*policy.AddrSet) policy.AddrMatch {
	if !t.used {
		return policy.AnyAddr()
	}
	// address sets are immutable: terms with the same entries share one
	key := make([]byte, 0, len(t.entries)*18)
	for _, e := range t.entries {
		a := e.p.Addr().As16()
		key = append(key, a[:]...)
		key = append(key, byte(e.p.Bits()), byte(len(a)))
		if e.p.Addr().Is4() {
			key[len(key)-1] = 4
		}
		if e.except {
			key[len(key)-1] |= 0x80
		}
	}
	set, ok := cache[string(key)]
	if !ok {
		set = longestMatch(t.entries)
		cache[string(key)] = set
	}
	return policy.AddrMatch{Set: set, Refs: dedupe(t.refs), Unresolved: dedupe(t.unresolved)}
}

// dedupe drops repeated names, keeping first-seen order.
func dedupe(xs []string) []string {
	if len(xs) < 2 {
		return xs
	}
	out := xs[:0:0]
	for i, x := range xs {
		dup := false
		for _, y := range xs[:i] {
			if x == y {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

// longestMatch builds the set of addresses whose longest matching prefix is
// a non-except entry: the union over non-except P of P minus the longer
// except prefixes inside P.
func longestMatch(es []entry) *policy.AddrSet {
	uniq := make(map[netip.Prefix]int, len(es))
	var list []entry
	nex := 0
	for _, e := range es {
		if i, ok := uniq[e.p]; ok {
			if e.except && !list[i].except {
				list[i].except = true
				nex++
			}
			continue
		}
		uniq[e.p] = len(list)
		list = append(list, e)
		if e.except {
			nex++
		}
	}
	var b policy.AddrSetBuilder
	if nex == 0 {
		for _, e := range list {
			b.AddPrefix(e.p)
		}
		return b.Set()
	}
	var excepts []netip.Prefix
	for _, e := range list {
		if e.except {
			excepts = append(excepts, e.p)
		}
	}
	for _, e := range list {
		if e.except {
			continue
		}
		var sub []netip.Prefix
		for _, x := range excepts {
			if x.Bits() > e.p.Bits() && e.p.Contains(x.Addr()) {
				sub = append(sub, x)
			}
		}
		if len(sub) == 0 {
			b.AddPrefix(e.p)
			continue
		}
		var pb policy.AddrSetBuilder
		pb.AddPrefix(e.p)
		for _, x := range sub {
			pb.RemovePrefix(x)
		}
		b.AddSet(pb.Set())
	}
	return b.Set()
}

var allAddrs = func() *policy.AddrSet {
	return policy.SetOfPrefixes(netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"))
}()

func intersectAddr(a, c policy.AddrMatch) policy.AddrMatch {
	if a.Any {
		return c
	}
	if c.Any {
		return a
	}
	var comp policy.AddrSetBuilder
	comp.AddSet(allAddrs)
	comp.RemoveSet(c.Set)
	var r policy.AddrSetBuilder
	r.AddSet(a.Set)
	r.RemoveSet(comp.Set())
	return policy.AddrMatch{
		Set:        r.Set(),
		Refs:       dedupe(append(append([]string(nil), a.Refs...), c.Refs...)),
		Unresolved: dedupe(append(append([]string(nil), a.Unresolved...), c.Unresolved...)),
	}
}

// rset accumulates a numeric condition and its "-except" form.
type rset struct {
	used, exUsed bool
	in, ex       []policy.Range
}

func (r *rset) result(max uint16) *policy.Ranges {
	if !r.used && !r.exUsed {
		return nil
	}
	base := policy.Ranges{{Lo: 0, Hi: max}}
	if r.used {
		base = policy.NewRanges(r.in...)
	}
	if r.exUsed {
		base = base.Intersect(policy.NewRanges(r.ex...).Complement(max))
	}
	return &base
}

func intersectRanges(a, c *policy.Ranges) *policy.Ranges {
	if a == nil {
		return c
	}
	if c == nil {
		return a
	}
	r := a.Intersect(*c)
	return &r
}

// compileTerm turns one term into rules. A term whose conditions Junos
// evaluates as "source OR destination" (address, prefix-list, port) becomes
// one rule per direction, same name and position, in that order: first match
// over them is exactly the term's disjunction.
func (b *builder) compileTerm(fb *fbuild, tb *tbuild) ([]*policy.Rule, error) {
	v6 := fb.fam == "inet6"
	var src, dst, either addrTable
	var proto, sport, dport, port, itype, icode rset
	var m policy.Match
	var unsupported []string
	tcpOnly := false
	var frag []string

	for _, c := range tb.from {
		kw := c.kw.s
		switch kw {
		case "source-address", "ip-source-address", "destination-address", "ip-destination-address", "address", "ip-address":
			t := &either
			if strings.Contains(kw, "source") {
				t = &src
			} else if strings.Contains(kw, "destination") {
				t = &dst
			}
			p, err := parsePrefix(c.args[0].s)
			if err != nil {
				return nil, b.errf(c.args[0], "%s: %v", kw, err)
			}
			if fb.fam == "inet" && !p.Addr().Is4() || fb.fam == "inet6" && !p.Addr().Is6() {
				return nil, b.errf(c.args[0], "%s: %s is not a family %s address", kw, c.args[0].s, fb.fam)
			}
			t.used = true
			t.entries = append(t.entries, entry{p, len(c.args) > 1 && c.args[1].s == "except"})
		case "source-prefix-list", "destination-prefix-list", "prefix-list":
			t := &either
			if kw == "source-prefix-list" {
				t = &src
			} else if kw == "destination-prefix-list" {
				t = &dst
			}
			t.used = true
			name := c.args[0].s
			ex := len(c.args) > 1 && c.args[1].s == "except"
			t.refs = append(t.refs, name)
			pl := b.plists[name]
			if pl == nil {
				// Junos refuses to commit a filter naming an undefined
				// prefix-list; here it contributes no prefixes.
				t.unresolved = append(t.unresolved, name)
				b.undefined("prefix-list", name, c.args[0])
				b.warnf(c.args[0], "term %q: prefix-list %q is not defined", tb.name, name)
				continue
			}
			if pl.applyPath != "" {
				t.unresolved = append(t.unresolved, name)
			}
			for _, p := range pl.prefixes {
				// a prefix-list used by a filter contributes its entries of
				// the filter's family only
				if fb.fam == "inet" && !p.Addr().Is4() || fb.fam == "inet6" && !p.Addr().Is6() {
					continue
				}
				t.entries = append(t.entries, entry{p, ex})
			}
		case "protocol", "next-header", "payload-protocol", "protocol-except", "next-header-except", "payload-protocol-except":
			if err := addRanges(b, &proto, c, strings.HasSuffix(kw, "-except"), protocols, policy.MaxProto, "protocol"); err != nil {
				return nil, err
			}
		case "source-port", "source-port-except":
			if err := addRanges(b, &sport, c, kw != "source-port", ports, policy.MaxPort, "port"); err != nil {
				return nil, err
			}
		case "destination-port", "destination-port-except":
			if err := addRanges(b, &dport, c, kw != "destination-port", ports, policy.MaxPort, "port"); err != nil {
				return nil, err
			}
		case "port", "port-except":
			if err := addRanges(b, &port, c, kw != "port", ports, policy.MaxPort, "port"); err != nil {
				return nil, err
			}
		case "icmp-type", "icmp-type-except", "icmp6-type":
			tbl := icmpTypes
			if v6 || kw == "icmp6-type" {
				tbl = icmp6Types
			}
			if err := addRanges(b, &itype, c, kw == "icmp-type-except", tbl, policy.MaxICMP, "ICMP type"); err != nil {
				return nil, err
			}
		case "icmp-code", "icmp-code-except", "icmp6-code":
			tbl := icmpCodes
			if v6 || kw == "icmp6-code" {
				tbl = icmp6Codes
			}
			if err := addRanges(b, &icode, c, kw == "icmp-code-except", tbl, policy.MaxICMP, "ICMP code"); err != nil {
				return nil, err
			}
		case "tcp-established":
			// ACK or RST set: never the first packet of a connection.
			m.TCPEstablished = true
			m.NotInitial = true
		case "tcp-initial":
			// SYN without ACK: exactly the first packet of a TCP connection.
			m.TCPFlags = joinFlags(m.TCPFlags, "tcp-initial")
			tcpOnly = true
		case "tcp-flags":
			expr := joinArgs(c.args)
			ok, err := evalTCPFlags(expr)
			if err != nil {
				return nil, b.errf(c.args[0], "tcp-flags: %v", err)
			}
			m.TCPFlags = joinFlags(m.TCPFlags, expr)
			if !ok {
				m.NotInitial = true
			}
			tcpOnly = true
		case "is-fragment", "first-fragment", "last-fragment":
			// A plain first packet is not a fragment.
			frag = append(frag, kw)
			m.NotInitial = true
		case "fragment-offset", "fragment-offset-except":
			var r rset
			if err := addRanges(b, &r, c, kw != "fragment-offset", nil, 8191, "fragment offset"); err != nil {
				return nil, err
			}
			frag = append(frag, kw+" "+joinArgs(c.args))
			// the first packet has offset 0
			if !r.result(8191).Contains(0) {
				m.NotInitial = true
			}
		case "interface":
			name := c.args[0].s
			if m.InIface != "" && m.InIface != name {
				unsupported = append(unsupported, "interface "+name)
				continue
			}
			if p, ok := strings.CutSuffix(name, "*"); ok && !strings.Contains(p, "*") {
				name = p + "+"
			} else if strings.Contains(name, "*") {
				unsupported = append(unsupported, "interface "+name)
				continue
			}
			m.InIface = name
		default:
			unsupported = append(unsupported, kw+strings.TrimRight(" "+joinArgs(c.args), " "))
		}
	}
	if len(frag) > 0 {
		m.Fragment = strings.Join(frag, "; ")
	}
	m.Protocols = proto.result(policy.MaxProto)
	if tcpOnly {
		m.Protocols = intersectRanges(m.Protocols, rp(policy.Single(policy.ProtoTCP)))
	}
	m.ICMPTypes = itype.result(policy.MaxICMP)
	m.ICMPCodes = icode.result(policy.MaxICMP)
	if len(unsupported) > 0 {
		// Conditions on packet properties the flow model does not carry
		// (ip-options, ttl, dscp, packet-length, forwarding-class, ...)
		// select special packets; the term is taken to match no plain first
		// packet, and the conditions are kept in Unresolved.
		for _, u := range dedupe(unsupported) {
			m.Unresolved = append(m.Unresolved, "from "+u)
		}
		m.Protocols = &policy.Ranges{}
		b.warnf(tb.pos, "filter %q term %q: unsupported match condition %q: term treated as matching no flow", fb.name, tb.name, unsupported[0])
	}

	act, ex, target := b.termAction(fb, tb)

	srcM, dstM := src.match(b.sets), dst.match(b.sets)
	type variant struct {
		src, dst policy.AddrMatch
		tag      string
	}
	vars := []variant{{srcM, dstM, ""}}
	if either.used {
		e := either.match(b.sets)
		vars = []variant{
			{intersectAddr(srcM, e), dstM, "address:source"},
			{srcM, intersectAddr(dstM, e), "address:destination"},
		}
	}
	sp, dp := sport.result(policy.MaxPort), dport.result(policy.MaxPort)
	type pvariant struct {
		s, d *policy.Ranges
		tag  string
	}
	pvars := []pvariant{{sp, dp, ""}}
	if pr := port.result(policy.MaxPort); pr != nil {
		pvars = []pvariant{
			{intersectRanges(sp, pr), dp, "port:source"},
			{sp, intersectRanges(dp, pr), "port:destination"},
		}
	}
	var rules []*policy.Rule
	for _, v := range vars {
		for _, pv := range pvars {
			mm := m
			mm.Src, mm.Dst = v.src, v.dst
			mm.SrcPorts, mm.DstPorts = pv.s, pv.d
			r := &policy.Rule{
				Name: tb.name, Pos: b.pos(tb.pos), Match: mm, Action: act, Target: target,
				Inactive: tb.inactive || fb.inactive, Extras: ex,
			}
			if tag := strings.Trim(v.tag+","+pv.tag, ","); tag != "" {
				r.Extras.Vendor = copyMap(ex.Vendor)
				r.Extras.Vendor["variant"] = tag
			}
			rules = append(rules, r)
		}
	}
	return rules, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func joinFlags(a, b string) string {
	if a == "" {
		return b
	}
	return a + " & " + b
}

func joinArgs(ws []word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.s
	}
	return strings.Join(parts, " ")
}

func addRanges(b *builder, r *rset, c cond, except bool, table map[string]uint16, max uint16, what string) error {
	for _, a := range c.args {
		v, err := parseRange(a.s, table, max, what)
		if err != nil {
			return b.errf(a, "%s: %v", c.kw.s, err)
		}
		if except {
			r.exUsed = true
			r.ex = append(r.ex, v)
		} else {
			r.used = true
			r.in = append(r.in, v)
		}
	}
	return nil
}

// termAction interprets a term's then-clause. Action modifiers (count, log,
// syslog, policer, sample, forwarding-class, ...) do not end evaluation; a
// term without a terminating action or "next term" accepts.
func (b *builder) termAction(fb *fbuild, tb *tbuild) (policy.Action, policy.Extras, string) {
	ex := policy.Extras{Comment: tb.comment}
	if tb.filter != nil {
		target := tb.filter.s
		if n, ok := b.modelFn[fkey{fb.fam, target}]; ok {
			target = n
		} else {
			b.undefined("filter", target, *tb.filter)
			b.warnf(*tb.filter, "term %q: filter %q is not defined", tb.name, target)
		}
		return policy.Jump, ex, target
	}
	act := policy.Permit
	terminal, next := false, false
	vendor := func(k, v string) {
		if ex.Vendor == nil {
			ex.Vendor = map[string]string{}
		}
		ex.Vendor[k] = v
	}
	for _, c := range tb.then {
		arg := ""
		if len(c.args) > 0 {
			arg = c.args[0].s
		}
		switch c.kw.s {
		case "accept":
			act, terminal = policy.Permit, true
		case "discard":
			act, terminal = policy.Deny, true
		case "reject":
			act, terminal = policy.Reject, true
			ex.RejectWith = arg
		case "next":
			if arg == "term" {
				next = true
			}
		case "count":
			ex.Count = arg
		case "log", "syslog":
			ex.Log = true
			if c.kw.s == "syslog" {
				vendor("syslog", "true")
			}
		case "policer", "three-color-policer":
			ex.Policer = strings.TrimSpace(arg + " " + joinArgs(c.args[min(1, len(c.args)):]))
		case "routing-instance", "next-ip", "next-ip6", "next-interface", "decapsulate", "topology", "next-hop-group":
			// forwarding actions are terminating: the packet is accepted
			// and forwarded as directed
			act, terminal = policy.Permit, true
			vendor(c.kw.s, joinArgs(c.args))
		}
	}
	if !terminal && next {
		act = policy.Next
	}
	return act, ex, ""
}

// evalTCPFlags evaluates a Junos tcp-flags expression against the first
// packet of a TCP connection, a bare SYN. Operators: & or + (and), | or ,
// (or), ! (not), parentheses; operands are flag names or numeric masks
// (true when every bit of the mask is set).
func evalTCPFlags(expr string) (bool, error) {
	p := &flagParser{s: expr}
	v, err := p.or()
	if err != nil {
		return false, err
	}
	p.skip()
	if p.i < len(p.s) {
		return false, errf("unexpected %q in tcp-flags expression", p.s[p.i:])
	}
	return v, nil
}

type flagParser struct {
	s string
	i int
}

func errf(format string, args ...any) error { return simpleErr(sprintf(format, args...)) }

type simpleErr string

func (e simpleErr) Error() string { return string(e) }

func (p *flagParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '"') {
		p.i++
	}
}

func (p *flagParser) or() (bool, error) {
	v, err := p.and()
	if err != nil {
		return false, err
	}
	for {
		p.skip()
		if p.i < len(p.s) && (p.s[p.i] == '|' || p.s[p.i] == ',') {
			p.i++
			w, err := p.and()
			if err != nil {
				return false, err
			}
			v = v || w
			continue
		}
		return v, nil
	}
}

func (p *flagParser) and() (bool, error) {
	v, err := p.unary()
	if err != nil {
		return false, err
	}
	for {
		p.skip()
		if p.i < len(p.s) && (p.s[p.i] == '&' || p.s[p.i] == '+') {
			p.i++
			w, err := p.unary()
			if err != nil {
				return false, err
			}
			v = v && w
			continue
		}
		return v, nil
	}
}

const synBit = 0x02

var tcpFlagBits = map[string]uint64{
	"fin": 0x01, "syn": 0x02, "rst": 0x04, "push": 0x08, "ack": 0x10, "urgent": 0x20,
	"ece": 0x40, "cwr": 0x80,
}

func (p *flagParser) unary() (bool, error) {
	p.skip()
	if p.i >= len(p.s) {
		return false, errf("tcp-flags expression ends early")
	}
	switch p.s[p.i] {
	case '!':
		p.i++
		v, err := p.unary()
		return !v, err
	case '(':
		p.i++
		v, err := p.or()
		if err != nil {
			return false, err
		}
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return false, errf("missing ')' in tcp-flags expression")
		}
		p.i++
		return v, nil
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '&' || c == '|' || c == '+' || c == ',' || c == '!' || c == '(' || c == ')' || c == ' ' || c == '"' {
			break
		}
		p.i++
	}
	tok := strings.ToLower(p.s[start:p.i])
	if tok == "" {
		return false, errf("unexpected %q in tcp-flags expression", p.s[p.i:])
	}
	if bit, ok := tcpFlagBits[tok]; ok {
		return bit&synBit != 0, nil
	}
	var n uint64
	var ok bool
	if h, isHex := strings.CutPrefix(tok, "0x"); isHex {
		n, ok = parseUint(h, 16)
	} else {
		n, ok = parseUint(tok, 10)
	}
	if !ok || n > 0xff {
		return false, errf("unknown TCP flag %q", tok)
	}
	return n&^synBit == 0, nil
}

func parseUint(s string, base uint64) (uint64, bool) {
	if s == "" || len(s) > 8 {
		return 0, false
	}
	var n uint64
	for _, c := range s {
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		default:
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}
