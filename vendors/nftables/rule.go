package nftables

import (
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// field is the Match field a selector constrains.
type field uint8

const (
	fNone field = iota
	fSrc
	fDst
	fSport
	fDport
	fProto
	fIcmpType
	fIcmpCode
	fCt
	fIif
	fOif
	fNfproto
)

type selector struct {
	f     field
	kind  keyKind
	proto int // protocol implied by the selector (tcp dport), -1 none
	fam   policy.Family
	w0    string // the selector's words, joined only for messages
	w1    string
}

func (s selector) name() string {
	if s.w1 == "" {
		return s.w0
	}
	return s.w0 + " " + s.w1
}

// cond is the accumulated match of one rule (all conditions ANDed).
type cond struct {
	fam        policy.Family
	never      []string // reasons the rule can never match
	src, dst   ipRanges
	srcOn      bool // src/dst constrained (nil ranges = nothing)
	dstOn      bool
	srcRefs    []string
	dstRefs    []string
	otherRefs  []string // named sets and maps of other selectors (ports, protocols, interfaces)
	proto      *policy.Ranges
	sport      *policy.Ranges
	dport      *policy.Ranges
	itype      *policy.Ranges
	icode      *policy.Ranges
	in, out    string
	negIn      bool
	negOut     bool
	notInitial bool
	ct         []string
	tcpFlags   string
	unresolved []string
}

func (c cond) clone() cond {
	d := c
	d.never = append([]string(nil), c.never...)
	d.srcRefs = append([]string(nil), c.srcRefs...)
	d.dstRefs = append([]string(nil), c.dstRefs...)
	d.otherRefs = append([]string(nil), c.otherRefs...)
	d.ct = append([]string(nil), c.ct...)
	d.unresolved = append([]string(nil), c.unresolved...)
	return d
}

func (c *cond) setFam(f policy.Family, why string) {
	if f == policy.FamilyAny {
		return
	}
	if c.fam == policy.FamilyAny {
		c.fam = f
	} else if c.fam != f {
		c.never = append(c.never, "conflicting address families ("+why+")")
	}
}

func intersectR(a *policy.Ranges, b policy.Ranges) *policy.Ranges {
	if a == nil {
		return b.Ptr()
	}
	return a.Intersect(b).Ptr()
}

// apply ANDs "sel op value" into c.
func (c *cond) apply(sel selector, op string, sv *setValue) {
	neg := op == "!=" || op == "ne"
	c.setFam(sel.fam, sel.w0)
	if sel.proto >= 0 {
		c.proto = intersectR(c.proto, policy.Single(uint16(sel.proto)))
	}
	if sv.name != "" && sel.f != fSrc && sel.f != fDst && !contains(c.otherRefs, sv.name) {
		c.otherRefs = append(c.otherRefs, sv.name)
	}
	switch sel.f {
	case fSrc, fDst:
		set := sv.ips
		if neg {
			set = complementRanges(set, universe(sel.kind))
		}
		if sel.f == fSrc {
			if c.srcOn {
				set = intersectRanges(c.src, set)
			}
			c.src, c.srcOn = set, true
			if sv.name != "" {
				c.srcRefs = append(c.srcRefs, sv.name)
			}
		} else {
			if c.dstOn {
				set = intersectRanges(c.dst, set)
			}
			c.dst, c.dstOn = set, true
			if sv.name != "" {
				c.dstRefs = append(c.dstRefs, sv.name)
			}
		}
	case fSport, fDport, fProto, fIcmpType, fIcmpCode:
		r := relational(op, sv.rng, maxOf(sel.kind))
		switch sel.f {
		case fSport:
			c.sport = intersectR(c.sport, r)
		case fDport:
			c.dport = intersectR(c.dport, r)
		case fProto:
			c.proto = intersectR(c.proto, r)
		case fIcmpType:
			c.itype = intersectR(c.itype, r)
		case fIcmpCode:
			c.icode = intersectR(c.icode, r)
		}
	case fCt:
		isNew := false
		for _, s := range sv.strs {
			if s == "new" {
				isNew = true
			}
			if neg {
				s = "!" + s
			}
			c.ct = append(c.ct, s)
		}
		// The first packet of a connection is in state "new".
		if isNew == neg {
			c.notInitial = true
		}
	case fNfproto:
		f := policy.FamilyIPv4
		if len(sv.strs) != 1 {
			c.never = append(c.never, "meta nfproto set not modelled")
			return
		}
		if sv.strs[0] == "ipv6" || sv.strs[0] == "ip6" {
			f = policy.FamilyIPv6
		}
		if neg {
			f = 3 - f // the other family
		}
		c.setFam(f, sel.w0)
	case fIif, fOif:
		if len(sv.strs) != 1 {
			c.never = append(c.never, "interface set not modelled")
			return
		}
		name := sv.strs[0]
		if strings.HasSuffix(name, "*") {
			name = strings.TrimSuffix(name, "*") + "+"
		}
		cur, curNeg := &c.in, &c.negIn
		if sel.f == fOif {
			cur, curNeg = &c.out, &c.negOut
		}
		if *cur != "" && (*cur != name || *curNeg != neg) {
			// Two conditions on the same interface: a single pattern cannot
			// hold both; never widen.
			c.never = append(c.never, "several "+sel.name()+" conditions not modelled")
			return
		}
		*cur, *curNeg = name, neg
	}
}

// relational turns "op value" into the matched ranges.
func relational(op string, r policy.Ranges, max uint16) policy.Ranges {
	if len(r) == 0 {
		if op == "!=" || op == "ne" {
			return policy.Ranges{{Lo: 0, Hi: max}}
		}
		return policy.Ranges{}
	}
	lo, hi := r[0].Lo, r[len(r)-1].Hi
	switch op {
	case "!=", "ne":
		return r.Complement(max)
	case "<", "lt":
		if lo == 0 {
			return policy.Ranges{}
		}
		return policy.Ranges{{Lo: 0, Hi: lo - 1}}
	case "<=", "le":
		return policy.Ranges{{Lo: 0, Hi: hi}}
	case ">", "gt":
		if hi >= max {
			return policy.Ranges{}
		}
		return policy.Ranges{{Lo: hi + 1, Hi: max}}
	case ">=", "ge":
		return policy.Ranges{{Lo: lo, Hi: max}}
	}
	return r
}

func isOp(s string) bool {
	switch s {
	case "==", "!=", "eq", "ne", "<", ">", "<=", ">=", "lt", "gt", "le", "ge":
		return true
	}
	return false
}

// variant is one alternative of an expanded rule (vmap element or interface
// set member).
type variant struct {
	sel selector
	ev  elemVal
	ref string // the named map it comes from ("" for an anonymous one)
}

type ruleParser struct {
	b      *builder
	ch     *chain
	ts     []tok
	i      int
	c      cond
	dims   [][]variant
	action policy.Action
	verd   bool
	target tok
	ex     policy.Extras
	handle string
	vendor []string
}

func (rp *ruleParser) peek() tok {
	if rp.i < len(rp.ts) {
		return rp.ts[rp.i]
	}
	last := tok{kind: tEOF}
	if len(rp.ts) > 0 {
		last = rp.ts[len(rp.ts)-1]
		last.kind = tEOF
		last.text = ""
	}
	return last
}

func (rp *ruleParser) take() tok {
	t := rp.peek()
	if rp.i < len(rp.ts) {
		rp.i++
	}
	return t
}

func (rp *ruleParser) needWord(what string) (tok, error) {
	t := rp.take()
	if t.kind != tWord && t.kind != tString {
		return t, parser.Errorf(t.pos(), "expected %s, found %s", what, t.describe())
	}
	return t, nil
}

// stopWords start a statement of their own: unknown expressions end there.
var stopWords = stopSet{}

type stopSet struct{}

func (stopSet) has(w string) bool {
	switch w {
	case "accept", "drop", "reject", "jump", "goto", "return", "continue", "counter", "log",
		"limit", "comment", "quota", "queue", "notrack":
		return true
	}
	return false
}

func (rp *ruleParser) parse() error {
	for rp.i < len(rp.ts) {
		t := rp.ts[rp.i]
		switch t.kind {
		case tHandle:
			rp.handle = t.text
			rp.i++
			continue
		case tSemi:
			rp.i++
			continue
		case tWord:
		default:
			return parser.Errorf(t.pos(), "unexpected %s in rule", t.describe())
		}
		if rp.verd && t.text != "comment" && t.text != "counter" {
			return parser.Errorf(t.pos(), "statement %q after the verdict", t.text)
		}
		var err error
		switch t.text {
		case "accept", "drop", "return", "continue":
			rp.i++
			rp.action, _ = verdictAction(t.text)
			rp.verd = true
		case "jump", "goto":
			rp.i++
			rp.action, _ = verdictAction(t.text)
			rp.verd = true
			rp.target, err = rp.needWord("chain name after " + t.text)
		case "reject":
			rp.i++
			err = rp.reject()
		case "counter":
			rp.i++
			rp.ex.Count = "counter"
			for rp.peek().is("packets") || rp.peek().is("bytes") || rp.peek().is("name") {
				k := rp.take()
				v := rp.take()
				if k.text == "name" {
					rp.ex.Count = v.text
				}
			}
		case "log":
			rp.i++
			rp.ex.Log = true
			err = rp.logOpts()
		case "limit", "quota":
			rp.i++
			var words []string
			for rp.i < len(rp.ts) {
				n := rp.peek()
				if (n.kind != tWord && n.kind != tString) || stopWords.has(n.text) || looksLikeSelector(n.text) {
					break
				}
				words = append(words, n.text)
				rp.i++
			}
			txt := t.text + " " + strings.Join(words, " ")
			if t.text == "limit" {
				rp.ex.Policer = txt
			} else {
				rp.vendor = append(rp.vendor, txt)
			}
			// Rate and quota state is runtime: the statement is treated as
			// matching (the rule as written applies). Document "over".
			if len(words) > 1 && (words[1] == "over" || words[0] == "over") {
				rp.b.cfg.Warnf(t.pos(), "%s: rate/quota condition treated as always true", strings.TrimSpace(txt))
			}
		case "comment":
			rp.i++
			c, e := rp.needWord("comment text")
			rp.ex.Comment, err = c.text, e
		case "notrack":
			rp.i++
			rp.vendor = append(rp.vendor, "notrack")
		case "snat", "dnat", "masquerade", "redirect":
			// NAT verdicts accept the packet in their (nat) chain.
			var words []string
			for rp.i < len(rp.ts) && !rp.peek().is("comment") && rp.peek().kind != tHandle {
				words = append(words, rp.take().text)
			}
			rp.vendor = append(rp.vendor, strings.Join(words, " "))
			rp.action, rp.verd = policy.Permit, true
		case "queue", "dup", "fwd", "tproxy", "synproxy", "flow", "mark", "set", "add", "update", "delete":
			rp.i++
			words := []string{t.text}
			for rp.i < len(rp.ts) {
				n := rp.peek()
				if n.kind == tHandle || (n.kind == tWord && stopWords.has(n.text)) {
					break
				}
				if n.kind == tLBrace {
					s := rp.i
					rp.skipBraces()
					for _, x := range rp.ts[s:rp.i] {
						words = append(words, x.text)
					}
					continue
				}
				words = append(words, rp.take().text)
			}
			txt := strings.Join(words, " ")
			rp.vendor = append(rp.vendor, txt)
			// Statements that do not filter (set updates, dup, mark) are
			// non-matching; queue/fwd/tproxy hand the packet elsewhere and
			// are not modelled: the rule is kept as non-terminating.
			rp.b.cfg.Warnf(t.pos(), "statement %q not modelled; treated as non-matching", txt)
		default:
			err = rp.expr()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func looksLikeSelector(w string) bool {
	switch w {
	case "ip", "ip6", "tcp", "udp", "th", "meta", "ct", "iifname", "oifname", "iif", "oif", "icmp", "icmpv6", "sctp", "dccp", "udplite", "ether", "vlan", "fib", "mark":
		return true
	}
	return false
}

func (rp *ruleParser) reject() error {
	rp.action, rp.verd = policy.Reject, true
	if !rp.peek().is("with") {
		return nil
	}
	rp.i++
	k, err := rp.needWord("reject type")
	if err != nil {
		return err
	}
	switch k.text {
	case "tcp":
		r, err := rp.needWord("reset")
		if err != nil {
			return err
		}
		if r.text != "reset" {
			return parser.Errorf(r.pos(), "expected reset, found %s", r.describe())
		}
		rp.ex.RejectWith = "tcp reset"
		// nft adds the dependency "meta l4proto tcp".
		rp.c.proto = intersectR(rp.c.proto, policy.Single(policy.ProtoTCP))
		return nil
	case "icmp", "icmpv6", "icmpx":
		if rp.peek().is("type") {
			rp.i++
		}
		code, err := rp.needWord("reject code")
		if err != nil {
			return err
		}
		if _, ok := nftIcmpCodes[code.text]; !ok {
			if _, err := number(code.text, kIcmpCode); err != nil {
				return parser.Errorf(code.pos(), "unknown reject code %q", code.text)
			}
		}
		rp.ex.RejectWith = k.text + " " + code.text
		if k.text == "icmp" && rp.ch.tbl.family != "ip" {
			rp.c.setFam(policy.FamilyIPv4, "reject with icmp")
		} else if k.text == "icmpv6" && rp.ch.tbl.family != "ip6" {
			rp.c.setFam(policy.FamilyIPv6, "reject with icmpv6")
		}
		return nil
	}
	return parser.Errorf(k.pos(), "unknown reject type %q", k.text)
}

func (rp *ruleParser) logOpts() error {
	for {
		n := rp.peek()
		if n.kind != tWord {
			return nil
		}
		switch n.text {
		case "prefix", "level", "group", "snaplen", "queue-threshold":
			rp.i++
			v, err := rp.needWord("log " + n.text + " value")
			if err != nil {
				return err
			}
			if n.text == "prefix" {
				if rp.ex.Vendor == nil {
					rp.ex.Vendor = map[string]string{}
				}
				rp.ex.Vendor["log_prefix"] = v.text
			}
		case "flags":
			rp.i++
			if _, err := rp.needWord("log flags"); err != nil {
				return err
			}
			for rp.peek().kind == tComma || (rp.peek().kind == tWord && !stopWords.has(rp.peek().text) && !looksLikeSelector(rp.peek().text) && isLogFlag(rp.peek().text)) {
				rp.i++
			}
		default:
			return nil
		}
	}
}

func isLogFlag(s string) bool {
	switch s {
	case "tcp", "ip", "sequence", "options", "skuid", "ether", "all":
		return true
	}
	return false
}

var bareMetaKeys = map[string]bool{
	"mark": true, "skuid": true, "skgid": true, "priority": true, "nftrace": true, "pkttype": true,
	"cpu": true, "iifgroup": true, "oifgroup": true, "cgroup": true, "iiftype": true, "oiftype": true,
	"length": true, "rtclassid": true, "ibrname": true, "obrname": true, "ibriport": true, "obriport": true,
	"sdif": true, "sdifname": true, "time": true, "day": true, "hour": true, "secpath": true,
	"random": true, "ipsec": true, "iifkind": true, "oifkind": true,
}

// selectorAt recognizes the selectors the model evaluates. ok=false means the
// expression must be consumed generically.
func (rp *ruleParser) selectorAt() (selector, int, bool) {
	t := rp.ts[rp.i]
	w1 := ""
	if rp.i+1 < len(rp.ts) && rp.ts[rp.i+1].kind == tWord {
		w1 = rp.ts[rp.i+1].text
	}
	s := selector{proto: -1, w0: t.text, w1: w1}
	switch t.text {
	case "ip", "ip6":
		fam, k := policy.FamilyIPv4, kAddr4
		if t.text == "ip6" {
			fam, k = policy.FamilyIPv6, kAddr6
		}
		s.fam = fam
		switch {
		case w1 == "saddr":
			s.f, s.kind = fSrc, k
		case w1 == "daddr":
			s.f, s.kind = fDst, k
		case (w1 == "protocol" && t.text == "ip") || (w1 == "nexthdr" && t.text == "ip6"):
			s.f, s.kind = fProto, kProto
		default:
			return s, 0, false
		}
		return s, 2, true
	case "tcp", "udp", "sctp", "dccp", "udplite", "th":
		switch t.text {
		case "tcp":
			s.proto = policy.ProtoTCP
		case "udp":
			s.proto = policy.ProtoUDP
		case "sctp":
			s.proto = policy.ProtoSCTP
		case "dccp":
			s.proto = policy.ProtoDCCP
		case "udplite":
			// UDP-Lite carries ports, but the model's HasPorts does not list it:
			// a udplite port rule is treated as unsupported below.
			return s, 0, false
		}
		switch w1 {
		case "sport":
			s.f, s.kind = fSport, kPort
		case "dport":
			s.f, s.kind = fDport, kPort
		default:
			return s, 0, false
		}
		return s, 2, true
	case "icmp", "icmpv6":
		s.proto, s.fam, s.kind = policy.ProtoICMP, policy.FamilyIPv4, kIcmp
		if t.text == "icmpv6" {
			s.proto, s.fam, s.kind = policy.ProtoICMPv6, policy.FamilyIPv6, kIcmp6
		}
		switch w1 {
		case "type":
			s.f = fIcmpType
		case "code":
			s.f, s.kind = fIcmpCode, kIcmpCode
		default:
			return s, 0, false
		}
		return s, 2, true
	case "meta":
		switch w1 {
		case "l4proto":
			s.f, s.kind = fProto, kProto
		case "nfproto", "protocol":
			s.f, s.kind = fNfproto, kNfproto
		case "iifname", "iif":
			s.f, s.kind = fIif, kIface
		case "oifname", "oif":
			s.f, s.kind = fOif, kIface
		default:
			return s, 0, false
		}
		return s, 2, true
	case "iifname", "iif":
		s.f, s.kind, s.w1 = fIif, kIface, ""
		return s, 1, true
	case "oifname", "oif":
		s.f, s.kind, s.w1 = fOif, kIface, ""
		return s, 1, true
	case "ct":
		if w1 == "state" {
			s.f, s.kind = fCt, kCtState
			return s, 2, true
		}
	}
	return s, 0, false
}

// genericSelectorLen is how many words an unmodelled selector spans.
func (rp *ruleParser) genericSelectorLen() int {
	t := rp.ts[rp.i]
	w := func(k int) string {
		if rp.i+k < len(rp.ts) && rp.ts[rp.i+k].kind == tWord {
			return rp.ts[rp.i+k].text
		}
		return ""
	}
	switch t.text {
	case "ct":
		if w(1) == "original" || w(1) == "reply" {
			return 3
		}
		return 2
	case "meta", "socket", "rt", "numgen", "jhash", "symhash", "osf":
		return 2
	case "ipsec":
		return 3
	case "tcp", "ip", "ip6":
		if w(1) == "option" {
			n := 3
			switch w(3) {
			case "kind", "length", "size", "value", "left", "right", "count", "tsval", "tsecr", "window":
				n = 4
			}
			return n
		}
		return 2
	case "fib":
		n := 1
		for rp.i+n < len(rp.ts) {
			n++ // a flag word
			if w(n) == "." {
				n++
				continue
			}
			break
		}
		return n + 1 // the result word
	case "ether", "vlan", "arp", "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6", "igmp", "ah", "esp",
		"comp", "th", "frag", "hbh", "dst", "mh", "srh", "rt0", "rt2", "rt4", "gre", "vxlan", "geneve":
		return 2
	}
	if bareMetaKeys[t.text] {
		return 1
	}
	return 0
}

// expr parses "selector [op] value", "selector vmap {...}" or
// "selector set value".
func (rp *ruleParser) expr() error {
	start := rp.ts[rp.i]
	if start.is("tcp") && rp.i+1 < len(rp.ts) && rp.ts[rp.i+1].is("flags") {
		return rp.tcpFlags()
	}
	sel, n, ok := rp.selectorAt()
	if !ok {
		return rp.generic()
	}
	rp.i += n
	next := rp.peek()
	if next.is(".") {
		rp.i -= n
		return rp.generic()
	}
	if next.is("set") {
		rp.i -= n
		return rp.generic()
	}
	if next.is("vmap") {
		rp.i++
		return rp.vmap(sel)
	}
	if next.is("&") && (sel.f == fSrc || sel.f == fDst) {
		return rp.addrMask(sel)
	}
	op := "=="
	if next.kind == tWord && isOp(next.text) {
		op = next.text
		rp.i++
	}
	sv, unres, err := rp.value(sel.kind)
	if err != nil {
		return err
	}
	if unres != "" {
		rp.c.never = append(rp.c.never, unres)
		rp.c.unresolved = append(rp.c.unresolved, unres)
		return nil
	}
	if op != "==" && op != "eq" && op != "!=" && op != "ne" {
		switch sel.kind {
		case kPort, kProto, kIcmp, kIcmp6, kIcmpCode:
		default:
			return parser.Errorf(next.pos(), "operator %s not valid for %s", op, sel.name())
		}
	}
	if (sel.f == fIif || sel.f == fOif) && len(sv.strs) > 1 {
		if op == "!=" || op == "ne" {
			rp.c.never = append(rp.c.never, sel.name()+" != set not modelled")
			rp.b.cfg.Warnf(start.pos(), "%s != {set} cannot be expressed in the model; rule treated as never matching", sel.name())
			return nil
		}
		// One alternative per interface: a packet has one interface, so the
		// expanded rules are mutually exclusive.
		var vs []variant
		for _, e := range sv.elems {
			vs = append(vs, variant{sel: sel, ev: e})
		}
		rp.dims = append(rp.dims, vs)
		return nil
	}
	rp.c.apply(sel, op, sv)
	return nil
}

// value reads a value of kind k: a word (or comma list), an anonymous set
// "{...}" or a named set "@name".
func (rp *ruleParser) value(k keyKind) (*setValue, string, error) {
	t := rp.peek()
	switch {
	case t.kind == tLBrace:
		rp.i++
		var elems []tok
		depth := 1
		for {
			x := rp.take()
			if x.kind == tEOF {
				return nil, "", parser.Errorf(t.pos(), "unbalanced '{'")
			}
			if x.kind == tLBrace {
				depth++
				continue
			}
			if x.kind == tRBrace {
				depth--
				if depth == 0 {
					break
				}
				continue
			}
			elems = append(elems, x)
		}
		if len(elems) == 0 {
			return nil, "", parser.Errorf(t.pos(), "empty set")
		}
		sv, err := parseElems(elems, k, false)
		return sv, "", err
	case t.kind == tWord && strings.HasPrefix(t.text, "@"):
		rp.i++
		s, ok := rp.ch.tbl.setByName[t.text[1:]]
		if !ok {
			return nil, "", parser.Errorf(t.pos(), "set %q does not exist in table %s", t.text[1:], rp.ch.tbl.key())
		}
		if s.isMap {
			return nil, "", parser.Errorf(t.pos(), "%s is a map, not a set", t.text)
		}
		if err := rp.b.resolveSet(s); err != nil {
			return nil, "", err
		}
		if s.val == nil {
			// The kernel looks the key up in the set (concatenations,
			// ether_addr, marks ...); the model cannot, so the reference
			// stays in Match.Unresolved and the rule matches nothing. An
			// undefined set is an error above: nft refuses such rulesets.
			rp.b.cfg.Warnf(t.pos(), "set %s (type %s) is not modelled; rule treated as never matching", t.text, s.keyType)
			return nil, t.text, nil
		}
		if s.val.kind != k && !(k == kNfproto) {
			return nil, "", parser.Errorf(t.pos(), "datatype mismatch: set %s has type %s, expected %s", t.text, s.val.kind, k)
		}
		return s.val, "", nil
	case t.kind == tWord || t.kind == tString:
		start := rp.i
		rp.i++
		if rp.peek().kind != tComma {
			// Single values repeat across rules: parse each once per file.
			// setValues are never mutated after parsing.
			m := rp.b.vals[k]
			if sv, ok := m[t.text]; ok {
				return sv, "", nil
			}
			sv, err := parseElems(rp.ts[start:rp.i], k, false)
			if err == nil {
				if m == nil {
					m = map[string]*setValue{}
					rp.b.vals[k] = m
				}
				m[t.text] = sv
			}
			return sv, "", err
		}
		for rp.peek().kind == tComma {
			rp.i++
			if n := rp.peek(); n.kind != tWord && n.kind != tString {
				return nil, "", parser.Errorf(n.pos(), "expected a value after ',', found %s", n.describe())
			}
			rp.i++
		}
		sv, err := parseElems(rp.ts[start:rp.i], k, false)
		return sv, "", err
	}
	return nil, "", parser.Errorf(t.pos(), "expected a value, found %s", t.describe())
}

// vmap expands "selector vmap { k : verdict, ... }" or "vmap @map" into
// alternatives: one rule per element, most specific first. A packet whose
// key is in no element does not match the rule (nft: lookup miss = break).
func (rp *ruleParser) vmap(sel selector) error {
	t := rp.peek()
	var sv *setValue
	switch {
	case t.kind == tLBrace:
		rp.i++
		var elems []tok
		depth := 1
		for {
			x := rp.take()
			if x.kind == tEOF {
				return parser.Errorf(t.pos(), "unbalanced '{'")
			}
			if x.kind == tLBrace {
				depth++
				continue
			}
			if x.kind == tRBrace {
				if depth--; depth == 0 {
					break
				}
				continue
			}
			elems = append(elems, x)
		}
		if len(elems) == 0 {
			return parser.Errorf(t.pos(), "empty verdict map")
		}
		var err error
		if sv, err = parseElems(elems, sel.kind, true); err != nil {
			return err
		}
	case t.kind == tWord && strings.HasPrefix(t.text, "@"):
		rp.i++
		s, ok := rp.ch.tbl.setByName[t.text[1:]]
		if !ok {
			return parser.Errorf(t.pos(), "map %q does not exist in table %s", t.text[1:], rp.ch.tbl.key())
		}
		if !s.isMap || s.valType != "verdict" {
			return parser.Errorf(t.pos(), "%s is not a verdict map", t.text)
		}
		if err := rp.b.resolveSet(s); err != nil {
			return err
		}
		if s.val == nil {
			rp.b.cfg.Warnf(t.pos(), "map %s (type %s) is not modelled; rule treated as never matching", t.text, s.keyType)
			rp.c.never = append(rp.c.never, t.text)
			rp.c.unresolved = append(rp.c.unresolved, t.text)
			rp.verd = true
			return nil
		}
		if s.val.kind != sel.kind {
			return parser.Errorf(t.pos(), "datatype mismatch: map %s has type %s, expected %s", t.text, s.val.kind, sel.kind)
		}
		sv = s.val
	default:
		return parser.Errorf(t.pos(), "expected a verdict map, found %s", t.describe())
	}
	if len(sv.elems) == 0 {
		// a lookup in an empty map always misses: the rule never matches
		rp.c.never = append(rp.c.never, "verdict map "+t.text+" is empty")
		rp.c.apply(sel, "==", &setValue{kind: sel.kind, name: sv.name})
		rp.verd = true
		rp.action = policy.Next
		return nil
	}
	es := append([]elemVal(nil), sv.elems...)
	sortBySpecificity(es)
	var vs []variant
	for _, e := range es {
		if e.verdict == policy.Jump || e.verdict == policy.Goto {
			if _, err := rp.b.jumpTarget(rp.ch, e.target); err != nil {
				return err
			}
		}
		vs = append(vs, variant{sel: sel, ev: e, ref: sv.name})
	}
	rp.dims = append(rp.dims, vs)
	rp.verd = true
	rp.action = policy.Next
	return nil
}

// tcpFlags evaluates a "tcp flags" condition against the first packet of a
// TCP connection (flags = SYN): true keeps the rule, false makes it
// NotInitial. The text is kept verbatim. Forms: "tcp flags syn" (any of),
// "tcp flags == syn", "tcp flags != syn", "tcp flags ! syn,ack" (none of),
// "tcp flags & (syn|ack) == syn", "tcp flags syn / syn,ack" (masked equality,
// nft's canonical output) and sets "tcp flags { syn, syn | ack }".
func (rp *ruleParser) tcpFlags() error {
	start := rp.i
	rp.i += 2
	var mask uint8 = 0xff
	hasMask := false
	// flagExpr reads "a|b", "(a | b)", "a,b" (comma = or) as one bit mask.
	flagExpr := func(commas bool) (uint8, error) {
		var v uint8
		depth := 0
		want := true // expecting a flag word
		for {
			t := rp.peek()
			if t.kind == tComma && commas && depth == 0 {
				rp.i++
				want = true
				continue
			}
			if t.kind != tWord {
				break
			}
			if !want && depth == 0 && t.text != "|" && !strings.HasPrefix(t.text, "|") && !strings.HasPrefix(t.text, ")") {
				break
			}
			rp.i++
			txt := t.text
			depth += strings.Count(txt, "(") - strings.Count(txt, ")")
			bare := strings.Trim(txt, "()|")
			for _, part := range strings.Split(bare, "|") {
				if part == "" {
					continue
				}
				b, err := flagBits(tok{kind: tWord, text: part, file: t.file, line: t.line, col: t.col})
				if err != nil {
					return 0, err
				}
				v |= b
			}
			want = strings.HasSuffix(txt, "|") || (bare == "" && strings.Contains(txt, "|")) || strings.HasSuffix(txt, "(")
			if depth > 0 {
				want = true
			}
		}
		if depth != 0 {
			return 0, parser.Errorf(rp.peek().pos(), "unbalanced parentheses in tcp flags")
		}
		return v, nil
	}
	if rp.peek().is("&") {
		rp.i++
		m, err := flagExpr(false)
		if err != nil {
			return err
		}
		mask, hasMask = m, true
	}
	op := ""
	if n := rp.peek(); n.kind == tWord && (isOp(n.text) || n.text == "!") {
		op = n.text
		rp.i++
	}
	var val uint8
	var set []uint8
	if t := rp.peek(); t.kind == tLBrace {
		rp.i++
		for {
			x := rp.peek()
			if x.kind == tRBrace {
				rp.i++
				break
			}
			if x.kind == tComma {
				rp.i++
				continue
			}
			if x.kind != tWord {
				return parser.Errorf(x.pos(), "expected tcp flags, found %s", x.describe())
			}
			v, err := flagExpr(false)
			if err != nil {
				return err
			}
			set = append(set, v)
		}
	} else {
		if t.kind != tWord {
			return parser.Errorf(t.pos(), "expected tcp flags, found %s", t.describe())
		}
		v, err := flagExpr(true)
		if err != nil {
			return err
		}
		val = v
	}
	if rp.peek().is("/") {
		rp.i++
		m, err := flagExpr(true)
		if err != nil {
			return err
		}
		mask, hasMask = m, true
		if op == "" {
			op = "=="
		}
	}
	const syn = 0x02
	f := uint8(syn) & mask
	var ok bool
	neg := op == "!=" || op == "ne"
	switch {
	case set != nil:
		in := false
		for _, v := range set {
			if f == v {
				in = true
			}
		}
		ok = in != neg
	case op == "!":
		ok = f&val == 0 // none of them set
	case op == "" && !hasMask:
		ok = f&val != 0 // bare flag list: any of them set
	case neg:
		ok = f != val
	case op == "" || op == "==" || op == "eq":
		ok = f == val
	default:
		rp.c.never = append(rp.c.never, "tcp flags "+op)
		ok = true
	}
	var words []string
	for _, x := range rp.ts[start+2 : rp.i] {
		words = append(words, x.text)
	}
	rp.c.tcpFlags = strings.Join(words, " ")
	rp.c.proto = intersectR(rp.c.proto, policy.Single(policy.ProtoTCP))
	if !ok {
		rp.c.notInitial = true
	}
	return nil
}

func flagBits(t tok) (uint8, error) {
	var v uint8
	for _, p := range strings.Split(strings.Trim(t.text, "()"), "|") {
		switch p {
		case "":
		case "fin":
			v |= 0x01
		case "syn":
			v |= 0x02
		case "rst":
			v |= 0x04
		case "psh":
			v |= 0x08
		case "ack":
			v |= 0x10
		case "urg":
			v |= 0x20
		case "ecn":
			v |= 0x40
		case "cwr":
			v |= 0x80
		case "0", "0x0":
		default:
			return 0, parser.Errorf(t.pos(), "unknown tcp flag %q", p)
		}
	}
	return v, nil
}

// generic consumes an expression the model does not evaluate. A statement
// ("selector set value") is non-matching and kept verbatim; a matching
// expression makes the rule never match (never widen), with a warning.
func (rp *ruleParser) generic() error {
	start := rp.i
	t := rp.ts[rp.i]
	n := rp.genericSelectorLen()
	if n == 0 {
		// Unknown leading word: consume to the verdict or next statement.
		rp.i++
		for rp.i < len(rp.ts) {
			x := rp.peek()
			if x.kind == tHandle || (x.kind == tWord && stopWords.has(x.text)) {
				break
			}
			if x.kind == tLBrace {
				rp.skipBraces()
				continue
			}
			rp.i++
		}
		return rp.unsupported(start, true)
	}
	rp.i += n
	isStmt := false
	for {
		x := rp.peek()
		switch {
		case x.is("."):
			rp.i++
			if rp.i < len(rp.ts) && rp.ts[rp.i].kind == tWord {
				if m := rp.genericSelectorLen(); m > 0 {
					rp.i += m
				} else {
					rp.i++
				}
			}
			continue
		case x.is("&") || x.is("|") || x.is("^") || x.is(">>") || x.is("<<"):
			rp.i += 2
			continue
		}
		break
	}
	x := rp.peek()
	switch {
	case x.is("set"):
		isStmt = true
		rp.i++
	case x.is("vmap") || x.is("map"):
		rp.i++
	case x.kind == tWord && (isOp(x.text) || x.text == "over"):
		rp.i++
	}
	// the value
	v := rp.peek()
	switch {
	case v.kind == tLBrace:
		rp.skipBraces()
	case v.kind == tWord || v.kind == tString:
		rp.i++
		for {
			y := rp.peek()
			if y.kind == tComma || y.is("&") || y.is("|") || y.is("^") || y.is(">>") || y.is("<<") || y.is(".") {
				rp.i += 2
				continue
			}
			if y.is("map") || y.is("vmap") {
				rp.i++
				if rp.peek().kind == tLBrace {
					rp.skipBraces()
				} else {
					rp.i++
				}
				continue
			}
			break
		}
	case v.kind == tEOF || v.kind == tHandle:
		if !isStmt {
			return parser.Errorf(t.pos(), "%s: missing value", t.text)
		}
	}
	if rp.i > len(rp.ts) {
		rp.i = len(rp.ts)
	}
	return rp.unsupported(start, !isStmt)
}

func (rp *ruleParser) skipBraces() {
	depth := 0
	for rp.i < len(rp.ts) {
		x := rp.ts[rp.i]
		rp.i++
		if x.kind == tLBrace {
			depth++
		} else if x.kind == tRBrace {
			if depth--; depth <= 0 {
				return
			}
		}
	}
}

func (rp *ruleParser) unsupported(start int, matching bool) error {
	end := rp.i
	if end > len(rp.ts) {
		end = len(rp.ts)
	}
	var words []string
	for _, x := range rp.ts[start:end] {
		if x.kind == tString {
			words = append(words, "\""+x.text+"\"")
		} else {
			words = append(words, x.text)
		}
	}
	txt := strings.Join(words, " ")
	rp.vendor = append(rp.vendor, txt)
	if matching {
		// The model cannot evaluate this condition. Treating it as true
		// would widen the rule, so the rule never matches (a warning tells).
		rp.c.never = append(rp.c.never, txt)
		rp.b.cfg.Warnf(rp.ts[start].pos(), "unsupported match %q: rule treated as never matching", txt)
	} else {
		// A "... set ..." statement changes packet metadata but does not
		// filter: the rule keeps matching as written.
		rp.b.cfg.Warnf(rp.ts[start].pos(), "statement %q not modelled; treated as non-matching", txt)
	}
	return nil
}
