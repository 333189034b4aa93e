package asa

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors/cisco"
)

// tok is a whitespace-separated word with its 1-based column. Its text is a
// substring of the parser's single string copy of the input, so splitting a
// line allocates nothing.
type tok struct {
	s   string
	col int
}

// split splits line into words. A word starting with "!" ends the line (ASA
// accepts trailing "!" comments in object definitions).
func split(line string, buf []tok) []tok {
	buf = buf[:0]
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '!' {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		buf = append(buf, tok{line[start:i], start + 1})
	}
	return buf
}

type objKind uint8

const (
	okNetObj objKind = iota
	okSvcObj
	okNetGroup
	okSvcGroup
	okProtoGroup
	okICMPGroup
	okOtherGroup // user, security: kept as names only
)

var objKindNames = [...]string{
	okNetObj: "object-network", okSvcObj: "object-service", okNetGroup: "object-group-network",
	okSvcGroup: "object-group-service", okProtoGroup: "object-group-protocol",
	okICMPGroup: "object-group-icmp-type", okOtherGroup: "object-group",
}

// svcAlt is one (protocol, ports, icmp) alternative of a service. nil
// fields are unconstrained.
type svcAlt struct {
	protos, src, dst, icmpT, icmpC *policy.Ranges
}

type netEntry struct {
	pfx     netip.Prefix
	lo, hi  netip.Addr
	isRange bool
	fqdn    string
}

type objRef struct {
	name  string
	group bool // group-object (else object)
	pos   policy.Pos
}

// objDef is a name, object or object-group definition as scanned; it is
// resolved lazily (groups may nest and be defined in any order).
type objDef struct {
	kind objKind
	name string
	pos  policy.Pos
	obj  *policy.Object

	typed   bool      // typed service group ("object-group service X tcp")
	svcType portProto // its protocol
	proto   string    // its protocol keyword

	nets    []netEntry
	alts    []svcAlt      // service-object / object service / protocol-object
	ports   policy.Ranges // port-object ranges, or icmp-object types
	ports6  policy.Ranges // icmp-object types read as ICMPv6
	refs    []objRef      // group-object / network-object object / service-object object
	aliases []string      // "name" aliases used by network-object lines

	state  uint8 // 0 new, 1 resolving, 2 done
	set    *policy.AddrSet
	unres  []string
	rAlts  []svcAlt
	rPort  policy.Ranges
	rPort6 policy.Ranges
	self   []string // shared one-element reference list
	warned bool     // unresolved content already reported
}

type iface struct {
	hw     string
	nameif string
	addrs  []netip.Addr
	dhcp   bool
	pos    policy.Pos
}

type aclLine struct {
	text string
	num  int
}

type aclDef struct {
	name  string
	pos   policy.Pos
	lines []aclLine
}

type agLine struct {
	text string
	num  int
}

type blockKind uint8

const (
	blkNone blockKind = iota
	blkIface
	blkObj
	blkSkip
	blkTimeRange
)

type state struct {
	file string
	src  string
	cfg  *policy.Config

	names     map[string]netip.Addr
	ifaces    map[string]*iface // by nameif
	objs      map[string]*objDef
	groups    map[string]*objDef
	acls      map[string]*aclDef
	aclOrder  []*aclDef
	agroups   []agLine
	anyIsV4   bool // pre-9.0 ASA, PIX, FWSM
	ipv6ACL   bool // "ipv6 access-list" seen (reported once)
	lastACL   *aclDef
	timeRange map[string]bool
	curTR     *policy.Object // time-range being defined

	blk      blockKind
	cur      *objDef
	curIface *iface

	toks      []tok
	setCache  map[netip.Prefix]*policy.AddrSet
	hostCache map[uint32]*policy.AddrSet

	// Allocation savers: rules share immutable values.
	portCache  map[uint64]*policy.Ranges
	refCache   map[string][]string
	protoCache map[string]svcSpec
	ruleSlab   []policy.Rule
	ruleNames  []string
}

func (p *state) newRule() *policy.Rule {
	if len(p.ruleSlab) == 0 {
		p.ruleSlab = make([]policy.Rule, 256)
	}
	r := &p.ruleSlab[0]
	p.ruleSlab = p.ruleSlab[1:]
	return r
}

func (p *state) ruleName(idx int) string {
	for len(p.ruleNames) <= idx {
		p.ruleNames = append(p.ruleNames, strconv.Itoa(len(p.ruleNames)+1))
	}
	return p.ruleNames[idx]
}

// refOf returns a shared one-element reference list naming d (or name
// when d is nil: undefined references are rare and not cached).
func (p *state) refOf(d *objDef, name string) []string {
	if d == nil {
		return []string{name}
	}
	if d.self == nil {
		d.self = []string{d.name}
	}
	return d.self
}

// ref1 returns a shared one-element reference list.
func (p *state) ref1(name string) []string {
	if r, ok := p.refCache[name]; ok {
		return r
	}
	r := []string{name}
	p.refCache[name] = r
	return r
}

func newParser(file string, data []byte) *state {
	return &state{
		file:       file,
		src:        string(data),
		cfg:        &policy.Config{File: file, Vendor: "asa", Format: "asa"},
		names:      map[string]netip.Addr{},
		ifaces:     map[string]*iface{},
		objs:       map[string]*objDef{},
		groups:     map[string]*objDef{},
		acls:       map[string]*aclDef{},
		timeRange:  map[string]bool{},
		toks:       make([]tok, 0, 32),
		setCache:   map[netip.Prefix]*policy.AddrSet{},
		portCache:  map[uint64]*policy.Ranges{},
		hostCache:  map[uint32]*policy.AddrSet{},
		refCache:   map[string][]string{},
		protoCache: map[string]svcSpec{},
	}
}

func (p *state) pos(line int, col int) policy.Pos {
	return policy.Pos{File: p.file, Line: line, Col: col}
}

func (p *state) errf(line int, t tok, format string, args ...any) error {
	return parser.Errorf(p.pos(line, t.col), format, args...)
}

// endOf returns the column just after the last token, for "missing X" errors.
func endCol(line string, ts []tok) int {
	if len(ts) == 0 {
		return 1
	}
	last := ts[len(ts)-1]
	return last.col + len(last.s)
}

// scan is phase one: it walks the lines, records names, interfaces, objects
// and groups, and collects access-list and access-group lines for phase two.
func (p *state) scan() error {
	src := p.src
	num := 0
	for len(src) > 0 {
		num++
		var line string
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			line, src = src, ""
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if err := p.subLine(line, num); err != nil {
				return err
			}
			continue
		}
		p.blk, p.cur, p.curIface = blkNone, nil, nil
		c := line[0]
		if c == '!' || c == ':' || c == '#' {
			continue
		}
		if err := p.topLine(line, num); err != nil {
			return err
		}
	}
	return nil
}

func (p *state) topLine(line string, num int) error {
	// Fast paths by first word, without splitting lines we skip.
	switch {
	case strings.HasPrefix(line, "access-list "):
		return p.scanACL(line, num)
	case strings.HasPrefix(line, "ipv6 access-list "):
		// Pre-9.0 separate IPv6 ACLs: not modelled, reported once.
		if !p.ipv6ACL {
			p.ipv6ACL = true
			p.cfg.Warnf(p.pos(num, 1), "pre-9.0 \"ipv6 access-list\" entries are not parsed")
		}
		return nil
	case strings.HasPrefix(line, "no access-list "), strings.HasPrefix(line, "no object-group "):
		return p.scanNo(line, num)
	case strings.HasPrefix(line, "access-group "):
		p.agroups = append(p.agroups, agLine{line, num})
		return nil
	case strings.HasPrefix(line, "object"), strings.HasPrefix(line, "name "),
		strings.HasPrefix(line, "hostname "), strings.HasPrefix(line, "interface "),
		strings.HasPrefix(line, "time-range "), strings.HasPrefix(line, "ASA Version"),
		strings.HasPrefix(line, "PIX Version"), strings.HasPrefix(line, "FWSM Version"),
		strings.HasPrefix(line, "NGFW Version"):
	default:
		p.blk = blkSkip
		return nil
	}
	ts := split(line, p.toks)
	p.toks = ts
	if len(ts) == 0 {
		return nil
	}
	switch ts[0].s {
	case "hostname":
		if len(ts) >= 2 {
			p.cfg.Device = ts[1].s
		}
	case "ASA", "PIX", "FWSM", "NGFW":
		if len(ts) >= 3 && ts[1].s == "Version" {
			p.cfg.Format = strings.ToLower(ts[0].s)
			// Before ASA 9.0 (and on PIX/FWSM) "access-list" was IPv4-only:
			// "any" meant any IPv4 address (IPv6 used "ipv6 access-list").
			v := ts[2].s
			major, ok := atoiU(v[:strings.IndexFunc(v+".", func(r rune) bool { return r < '0' || r > '9' })], 1000)
			p.anyIsV4 = ts[0].s == "PIX" || ts[0].s == "FWSM" || (ts[0].s == "ASA" && ok && major < 9)
		}
	case "name":
		return p.scanName(ts, num)
	case "interface":
		if len(ts) < 2 {
			return p.errf(num, ts[0], "interface: missing name")
		}
		p.blk = blkIface
		p.curIface = &iface{hw: ts[1].s, pos: p.pos(num, 1)}
	case "time-range":
		p.blk = blkSkip
		if len(ts) >= 2 {
			p.timeRange[ts[1].s] = true
			p.curTR = cisco.TimeRangeObject(ts[1].s, p.pos(num, ts[1].col))
			p.cfg.Objects = append(p.cfg.Objects, p.curTR)
			p.blk = blkTimeRange
		}
	case "object":
		return p.scanObject(ts, num)
	case "object-group":
		return p.scanObjectGroup(ts, num)
	default:
		p.blk = blkSkip
	}
	return nil
}

// parseIP parses an IPv4/IPv6 literal or a "name" alias.
func (p *state) parseIP(s string) (netip.Addr, bool) {
	a, _, ok := p.parseIPAlias(s)
	return a, ok
}

// parseIPAlias is parseIP that also reports whether s was a "name" alias.
func (p *state) parseIPAlias(s string) (a netip.Addr, alias, ok bool) {
	if len(s) > 0 && (s[0] >= '0' && s[0] <= '9' || strings.IndexByte(s, ':') >= 0) {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			return a, false, true
		}
	}
	a, ok = p.names[s]
	return a, ok, ok
}

func (p *state) scanName(ts []tok, num int) error {
	// name A NAME [description TEXT]
	if len(ts) < 3 {
		return p.errf(num, ts[0], "name: expected address and name")
	}
	a, err := netip.ParseAddr(ts[1].s)
	if err != nil || a.Zone() != "" {
		return p.errf(num, ts[1], "name: bad address %q", ts[1].s)
	}
	n := ts[2].s
	p.names[n] = a
	var b policy.AddrSetBuilder
	b.AddAddr(a)
	p.cfg.Objects = append(p.cfg.Objects, &policy.Object{Kind: "name", Name: n, Pos: p.pos(num, 1), Addrs: b.Set()})
	return nil
}

func (p *state) define(kind objKind, name string, num int, groups bool) *objDef {
	m := p.objs
	if groups {
		m = p.groups
	}
	if d, ok := m[name]; ok && d.kind == kind {
		// Re-entering an object/group edits it: groups accumulate entries,
		// an object network takes the latest host/subnet/range/fqdn.
		return d
	}
	d := &objDef{kind: kind, name: name, pos: p.pos(num, 1)}
	d.obj = &policy.Object{Kind: objKindNames[kind], Name: name, Pos: d.pos}
	p.cfg.Objects = append(p.cfg.Objects, d.obj)
	m[name] = d
	return d
}

func (p *state) scanObject(ts []tok, num int) error {
	if len(ts) < 3 {
		if len(ts) == 1 && ts[0].s != "object" {
			p.blk = blkSkip // object-group-search etc.
			return nil
		}
		return p.errf(num, ts[0], "%s: expected type and name", ts[0].s)
	}
	if ts[0].s != "object" {
		p.blk = blkSkip
		return nil
	}
	switch ts[1].s {
	case "network":
		p.cur = p.define(okNetObj, ts[2].s, num, false)
	case "service":
		p.cur = p.define(okSvcObj, ts[2].s, num, false)
	default:
		p.blk = blkSkip
		return nil
	}
	p.blk = blkObj
	return nil
}

// noGroupLine removes one entry of a network object-group ("no
// network-object host A", "no network-object A M", "no network-object
// object X", "no group-object X"): the first entry equal to it, as the
// ASA matches the entry as typed (an absent entry changes nothing).
func (p *state) noGroupLine(d *objDef, ts []tok, num int) error {
	switch ts[0].s {
	case "network-object":
		if len(ts) >= 3 && ts[1].s == "object" {
			d.removeRef(ts[2].s, false)
			return nil
		}
		e, i, err := p.parseNetSpec(ts, 1, num)
		if err != nil {
			return err
		}
		if i < len(ts) {
			return p.errf(num, ts[i], "no network-object: unexpected %q", ts[i].s)
		}
		for k, x := range d.nets {
			if x == e {
				d.nets = append(d.nets[:k], d.nets[k+1:]...)
				break
			}
		}
	case "group-object":
		if len(ts) >= 2 {
			d.removeRef(ts[1].s, true)
		}
	}
	return nil
}

func (d *objDef) removeRef(name string, group bool) {
	for k, r := range d.refs {
		if r.name == name && r.group == group {
			d.refs = append(d.refs[:k], d.refs[k+1:]...)
			return
		}
	}
}

// scanNo handles the deletions fwpol models: "no access-list NAME [line
// N] ENTRY" removes that entry (matched word for word), "no object-group
// TYPE NAME" the group.
func (p *state) scanNo(line string, num int) error {
	ts := split(line, p.toks)
	p.toks = ts
	if len(ts) < 3 {
		return nil
	}
	switch ts[1].s {
	case "access-list":
		d := p.acls[ts[2].s]
		if d == nil || len(ts) < 4 {
			return nil
		}
		want := entryWords(ts[2:])
		for k, l := range d.lines {
			if entryWords(split(l.text, nil)[1:]) == want {
				d.lines = append(d.lines[:k], d.lines[k+1:]...)
				break
			}
		}
	case "object-group":
		i := 2
		if ts[i].s == "group" {
			i++
		}
		if i+1 >= len(ts) {
			return nil
		}
		name := ts[i+1].s
		d := p.groups[name]
		if d == nil {
			return nil
		}
		delete(p.groups, name)
		for k, o := range p.cfg.Objects {
			if o == d.obj {
				p.cfg.Objects = append(p.cfg.Objects[:k], p.cfg.Objects[k+1:]...)
				break
			}
		}
	}
	return nil
}

// entryWords is an access-list entry "NAME [line N] ..." as words without
// the line number.
func entryWords(ts []tok) string {
	var b strings.Builder
	for i := 0; i < len(ts); i++ {
		if i == 1 && ts[i].s == "line" && i+1 < len(ts) {
			i++
			continue
		}
		b.WriteString(ts[i].s)
		b.WriteByte(' ')
	}
	return b.String()
}

func (p *state) scanObjectGroup(ts []tok, num int) error {
	i := 1
	// Batfish's test configs write "object-group group network NAME".
	if i < len(ts) && ts[i].s == "group" {
		i++
	}
	if len(ts) < i+2 {
		return p.errf(num, ts[0], "object-group: expected type and name")
	}
	typ, name := ts[i].s, ts[i+1].s
	var kind objKind
	switch typ {
	case "network":
		kind = okNetGroup
	case "service":
		kind = okSvcGroup
	case "protocol":
		kind = okProtoGroup
	case "icmp-type":
		kind = okICMPGroup
	case "user", "security", "application", "url":
		kind = okOtherGroup
	default:
		return p.errf(num, ts[i], "object-group: unknown type %q", typ)
	}
	d := p.define(kind, name, num, true)
	p.cur, p.blk = d, blkObj
	if kind == okOtherGroup {
		p.blk = blkSkip
		return nil
	}
	if kind == okSvcGroup && len(ts) > i+2 {
		t := ts[i+2]
		switch t.s {
		case "tcp":
			d.svcType = ppTCP
		case "udp":
			d.svcType = ppUDP
		case "tcp-udp":
			d.svcType = ppTCPUDP
		default:
			return p.errf(num, t, "object-group service: unknown protocol %q", t.s)
		}
		d.typed, d.proto = true, t.s
	}
	return nil
}

func (p *state) subLine(line string, num int) error {
	switch p.blk {
	case blkIface:
		return p.ifaceLine(line, num)
	case blkTimeRange:
		p.timeRangeLine(line, num)
		return nil
	case blkObj:
		ts := split(line, p.toks)
		p.toks = ts
		if len(ts) == 0 || ts[0].s == "description" {
			return nil
		}
		return p.objLine(ts, num)
	}
	return nil
}

func (p *state) ifaceLine(line string, num int) error {
	ts := split(line, p.toks)
	p.toks = ts
	ifc := p.curIface
	if len(ts) < 2 || ifc == nil {
		return nil
	}
	switch {
	case ts[0].s == "nameif":
		ifc.nameif = ts[1].s
		p.ifaces[ifc.nameif] = ifc
	case ts[0].s == "ip" && ts[1].s == "address" && len(ts) >= 3:
		if ts[2].s == "dhcp" || ts[2].s == "pppoe" {
			ifc.dhcp = true
			return nil
		}
		a, err := netip.ParseAddr(ts[2].s)
		if err != nil || !a.Is4() {
			return p.errf(num, ts[2], "ip address: bad address %q", ts[2].s)
		}
		ifc.addrs = append(ifc.addrs, a)
	case ts[0].s == "ipv6" && ts[1].s == "address" && len(ts) >= 3:
		pf, err := netip.ParsePrefix(ts[2].s)
		if err != nil {
			if ts[2].s == "autoconfig" || ts[2].s == "dhcp" {
				ifc.dhcp = true
				return nil
			}
			return p.errf(num, ts[2], "ipv6 address: bad prefix %q", ts[2].s)
		}
		ifc.addrs = append(ifc.addrs, pf.Addr())
	}
	return nil
}

func (p *state) objLine(ts []tok, num int) error {
	d := p.cur
	switch d.kind {
	case okNetObj:
		return p.netObjLine(d, ts, num)
	case okSvcObj:
		if ts[0].s != "service" {
			return nil
		}
		if len(ts) < 2 {
			return p.errf(num, ts[0], "service: missing protocol")
		}
		alt, i, err := p.parseServiceSpec(ts, 1, num)
		if err != nil {
			return err
		}
		if i < len(ts) {
			return p.errf(num, ts[i], "service: unexpected %q", ts[i].s)
		}
		d.alts = []svcAlt{alt}
	case okNetGroup:
		if ts[0].s == "no" && len(ts) >= 2 {
			return p.noGroupLine(d, ts[1:], num)
		}
		switch ts[0].s {
		case "network-object":
			if len(ts) >= 3 && ts[1].s == "object" {
				d.refs = append(d.refs, objRef{ts[2].s, false, p.pos(num, ts[2].col)})
				return nil
			}
			e, i, err := p.parseNetSpec(ts, 1, num)
			if err != nil {
				return err
			}
			if i < len(ts) {
				return p.errf(num, ts[i], "network-object: unexpected %q", ts[i].s)
			}
			d.nets = append(d.nets, e)
			// A "name" alias used here is a member reference too (for
			// unused-object analysis).
			for _, t := range ts[1:] {
				if _, ok := p.names[t.s]; ok {
					d.aliases = append(d.aliases, t.s)
				}
			}
		case "group-object":
			return p.groupObject(d, ts, num)
		}
	case okSvcGroup:
		switch ts[0].s {
		case "port-object":
			pp := d.svcType
			if !d.typed {
				pp = ppAny
			}
			r, i, err := p.parsePortOp(ts, 1, num, pp)
			if err != nil {
				return err
			}
			if r == nil {
				return p.errf(num, ts[0], "port-object: expected eq, neq, lt, gt or range")
			}
			if i < len(ts) {
				return p.errf(num, ts[i], "port-object: unexpected %q", ts[i].s)
			}
			if !d.typed {
				// The ASA only accepts port-object in a typed group; the
				// entry is read as tcp-udp and reported.
				p.cfg.Warnf(p.pos(num, ts[0].col), "port-object in object-group service %s without a protocol: read as tcp-udp", d.name)
				d.alts = append(d.alts, svcAlt{protos: tcpUDP(), dst: r})
			}
			d.ports = d.ports.Union(*r)
		case "service-object":
			if len(ts) < 2 {
				return p.errf(num, ts[0], "service-object: missing protocol")
			}
			if ts[1].s == "object" {
				if len(ts) < 3 {
					return p.errf(num, ts[1], "service-object object: missing name")
				}
				d.refs = append(d.refs, objRef{ts[2].s, false, p.pos(num, ts[2].col)})
				return nil
			}
			alt, i, err := p.parseServiceSpec(ts, 1, num)
			if err != nil {
				return err
			}
			if i < len(ts) {
				return p.errf(num, ts[i], "service-object: unexpected %q", ts[i].s)
			}
			d.alts = append(d.alts, alt)
		case "group-object":
			return p.groupObject(d, ts, num)
		}
	case okProtoGroup:
		switch ts[0].s {
		case "protocol-object":
			if len(ts) < 2 {
				return p.errf(num, ts[0], "protocol-object: missing protocol")
			}
			if ts[1].s == "ip" {
				d.alts = append(d.alts, svcAlt{})
				return nil
			}
			n, ok := lookupProto(ts[1].s)
			if !ok {
				return p.errf(num, ts[1], "unknown protocol %q", ts[1].s)
			}
			d.ports = d.ports.Union(policy.Single(uint16(n)))
		case "group-object":
			return p.groupObject(d, ts, num)
		}
	case okICMPGroup:
		switch ts[0].s {
		case "icmp-object":
			if len(ts) < 2 {
				return p.errf(num, ts[0], "icmp-object: missing type")
			}
			n, ok := lookupICMP(ts[1].s, false)
			if !ok {
				return p.errf(num, ts[1], "unknown ICMP type %q", ts[1].s)
			}
			d.ports = d.ports.Union(policy.Single(uint16(n)))
			// The same literal means another number for ICMPv6 (echo is
			// 8 for icmp, 128 for icmp6): keep the ICMPv6 reading too.
			if n6, ok := lookupICMP(ts[1].s, true); ok {
				d.ports6 = d.ports6.Union(policy.Single(uint16(n6)))
			}
		case "group-object":
			return p.groupObject(d, ts, num)
		}
	}
	return nil
}

func (p *state) groupObject(d *objDef, ts []tok, num int) error {
	if len(ts) < 2 {
		return p.errf(num, ts[0], "group-object: missing name")
	}
	d.refs = append(d.refs, objRef{ts[1].s, true, p.pos(num, ts[1].col)})
	return nil
}

func (p *state) netObjLine(d *objDef, ts []tok, num int) error {
	var e netEntry
	switch ts[0].s {
	case "host":
		if len(ts) < 2 {
			return p.errf(num, ts[0], "host: missing address")
		}
		a, ok := p.parseIP(ts[1].s)
		if !ok {
			return p.errf(num, ts[1], "host: bad address %q", ts[1].s)
		}
		e.pfx = netip.PrefixFrom(a, a.BitLen())
	case "subnet":
		var err error
		var i int
		e, i, err = p.parseNetSpec(ts, 1, num)
		if err != nil {
			return err
		}
		if i < len(ts) {
			return p.errf(num, ts[i], "subnet: unexpected %q", ts[i].s)
		}
	case "range":
		if len(ts) < 3 {
			return p.errf(num, ts[0], "range: expected two addresses")
		}
		lo, ok1 := p.parseIP(ts[1].s)
		if !ok1 {
			return p.errf(num, ts[1], "range: bad address %q", ts[1].s)
		}
		hi, ok2 := p.parseIP(ts[2].s)
		if !ok2 || hi.Is4() != lo.Is4() || hi.Less(lo) {
			return p.errf(num, ts[2], "range: bad end address %q", ts[2].s)
		}
		e.lo, e.hi, e.isRange = lo, hi, true
	case "fqdn":
		i := 1
		if i < len(ts) && (ts[i].s == "v4" || ts[i].s == "v6") {
			i++
		}
		if i >= len(ts) {
			return p.errf(num, ts[0], "fqdn: missing name")
		}
		e.fqdn = ts[i].s
	default:
		return nil // nat, description and other sub-commands
	}
	d.nets = []netEntry{e}
	return nil
}

// parseNetSpec parses "host A", "A MASK" or "V6/LEN" at ts[i].
func (p *state) parseNetSpec(ts []tok, i, num int) (netEntry, int, error) {
	if i >= len(ts) {
		return netEntry{}, i, p.errf(num, ts[len(ts)-1], "missing address")
	}
	t := ts[i]
	if t.s == "host" {
		if i+1 >= len(ts) {
			return netEntry{}, i, p.errf(num, t, "host: missing address")
		}
		a, ok := p.parseIP(ts[i+1].s)
		if !ok {
			return netEntry{}, i, p.errf(num, ts[i+1], "bad address %q", ts[i+1].s)
		}
		return netEntry{pfx: netip.PrefixFrom(a, a.BitLen())}, i + 2, nil
	}
	if strings.IndexByte(t.s, '/') >= 0 {
		pf, err := netip.ParsePrefix(t.s)
		if err != nil {
			return netEntry{}, i, p.errf(num, t, "bad prefix %q", t.s)
		}
		return netEntry{pfx: pf.Masked()}, i + 1, nil
	}
	pf, n, err := p.addrMask(ts, i, num)
	return netEntry{pfx: pf}, n, err
}

// addrMask parses "A MASK" (a netmask, not an IOS wildcard).
func (p *state) addrMask(ts []tok, i, num int) (netip.Prefix, int, error) {
	t := ts[i]
	a, ok := p.parseIP(t.s)
	if !ok {
		return netip.Prefix{}, i, p.errf(num, t, "bad address %q", t.s)
	}
	return p.addrMaskFrom(a, ts, i, num)
}

// addrMaskFrom is addrMask for an already parsed address a = ts[i].
func (p *state) addrMaskFrom(a netip.Addr, ts []tok, i, num int) (netip.Prefix, int, error) {
	t := ts[i]
	if a.Is6() {
		return netip.PrefixFrom(a, 128), i + 1, nil
	}
	if i+1 >= len(ts) {
		return netip.Prefix{}, i, p.errf(num, t, "%s: missing netmask", t.s)
	}
	m, err := netip.ParseAddr(ts[i+1].s)
	if err != nil || !m.Is4() {
		return netip.Prefix{}, i, p.errf(num, ts[i+1], "bad netmask %q", ts[i+1].s)
	}
	bits, ok := maskBits(m)
	if !ok {
		return netip.Prefix{}, i, p.errf(num, ts[i+1], "invalid netmask %q (ASA uses netmasks, not wildcards)", ts[i+1].s)
	}
	pf := netip.PrefixFrom(a, bits)
	if pf.Masked().Addr() != a {
		// The ASA rejects "IP address,mask doesn't pair"; read it as the
		// network the mask selects.
		p.cfg.Warnf(p.pos(num, t.col), "address %s has bits outside netmask %s; using %s", a, m, pf.Masked())
	}
	return pf.Masked(), i + 2, nil
}

// maskBits returns the prefix length of a contiguous netmask.
func maskBits(m netip.Addr) (int, bool) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for n < 32 && v&(1<<(31-n)) != 0 {
		n++
	}
	if n < 32 && v<<n != 0 {
		return 0, false
	}
	return n, true
}

func tcpUDP() *policy.Ranges {
	r := policy.NewRanges(policy.Range{Lo: policy.ProtoTCP, Hi: policy.ProtoTCP}, policy.Range{Lo: policy.ProtoUDP, Hi: policy.ProtoUDP})
	return &r
}

// smallSingles holds the shared single-value sets 0..255 (protocols, ICMP
// types and codes, low ports). Parsed rules share these immutable values.
var smallSingles = func() (t [256]policy.Ranges) {
	for i := range t {
		t[i] = policy.Single(uint16(i))
	}
	return
}()

func single(v uint16) *policy.Ranges {
	if v < 256 {
		return &smallSingles[v]
	}
	r := policy.Single(v)
	return &r
}

// protoSpec resolves a protocol word of a service spec: its protocol set (nil
// = ip, any protocol), its port-name table and whether it is ICMP (v6).
func protoSpec(s string) (protos *policy.Ranges, pp portProto, icmp, v6, ok bool) {
	switch s {
	case "ip":
		return nil, ppAny, false, false, true
	case "tcp":
		return single(policy.ProtoTCP), ppTCP, false, false, true
	case "udp":
		return single(policy.ProtoUDP), ppUDP, false, false, true
	case "tcp-udp":
		return tcpUDP(), ppTCPUDP, false, false, true
	case "icmp":
		return single(policy.ProtoICMP), ppAny, true, false, true
	case "icmp6":
		return single(policy.ProtoICMPv6), ppAny, true, true, true
	}
	n, found := lookupProto(s)
	if !found {
		return nil, 0, false, false, false
	}
	return single(uint16(n)), ppAny, false, false, true
}

// parseServiceSpec parses "PROTO [source OP P] [destination OP P]" or
// "PROTO OP P" (destination) or "icmp[6] [TYPE [CODE]]" starting at ts[i]
// (object service "service ..." and "service-object ...").
func (p *state) parseServiceSpec(ts []tok, i, num int) (svcAlt, int, error) {
	var alt svcAlt
	t := ts[i]
	protos, pp, icmp, v6, ok := protoSpec(t.s)
	if !ok {
		return alt, i, p.errf(num, t, "unknown protocol %q", t.s)
	}
	alt.protos = protos
	i++
	if icmp {
		if i < len(ts) {
			n, ok := lookupICMP(ts[i].s, v6)
			if !ok {
				return alt, i, p.errf(num, ts[i], "unknown ICMP type %q", ts[i].s)
			}
			alt.icmpT = single(uint16(n))
			i++
			if i < len(ts) {
				c, ok := atoiU(ts[i].s, 255)
				if !ok {
					return alt, i, p.errf(num, ts[i], "bad ICMP code %q", ts[i].s)
				}
				alt.icmpC = single(uint16(c))
				i++
			}
		}
		return alt, i, nil
	}
	for i < len(ts) {
		switch ts[i].s {
		case "source":
			r, n, err := p.parsePortOp(ts, i+1, num, pp)
			if err != nil {
				return alt, i, err
			}
			if r == nil {
				return alt, i, p.errf(num, ts[i], "source: expected eq, neq, lt, gt or range")
			}
			alt.src, i = r, n
		case "destination":
			r, n, err := p.parsePortOp(ts, i+1, num, pp)
			if err != nil {
				return alt, i, err
			}
			if r == nil {
				return alt, i, p.errf(num, ts[i], "destination: expected eq, neq, lt, gt or range")
			}
			alt.dst, i = r, n
		default:
			r, n, err := p.parsePortOp(ts, i, num, pp)
			if err != nil {
				return alt, i, err
			}
			if r == nil {
				return alt, i, nil
			}
			alt.dst, i = r, n
		}
	}
	return alt, i, nil
}

// parsePortOp parses "eq|neq|lt|gt P" or "range A B" at ts[i]. It returns
// nil ranges (and no error) when ts[i] is not a port operator.
func (p *state) parsePortOp(ts []tok, i, num int, pp portProto) (*policy.Ranges, int, error) {
	if i >= len(ts) {
		return nil, i, nil
	}
	op := ts[i]
	var code uint64
	nargs := 1
	switch op.s {
	case "eq":
		code = 1
	case "neq":
		code = 2
	case "lt":
		code = 3
	case "gt":
		code = 4
	case "range":
		code, nargs = 5, 2
	default:
		return nil, i, nil
	}
	var args [2]uint16
	for k := 0; k < nargs; k++ {
		j := i + 1 + k
		if j >= len(ts) {
			return nil, i, parser.Errorf(p.pos(num, endCol("", ts)), "%s: missing port", op.s)
		}
		n, ok := lookupPort(ts[j].s, pp)
		if !ok {
			return nil, i, p.errf(num, ts[j], "unknown port %q", ts[j].s)
		}
		args[k] = n
	}
	a, b := args[0], args[1]
	if code == 5 && b < a {
		return nil, i, p.errf(num, ts[i+2], "range: end %d below start %d", b, a)
	}
	next := i + 1 + nargs
	key := code<<32 | uint64(a)<<16 | uint64(b)
	if r, ok := p.portCache[key]; ok {
		return r, next, nil
	}
	var r policy.Ranges
	switch code {
	case 1:
		r = policy.Single(a)
	case 2:
		r = policy.Single(a).Complement(policy.MaxPort)
	case 3:
		r = policy.Ranges{}
		if a > 0 {
			r = policy.NewRanges(policy.Range{Lo: 0, Hi: a - 1})
		}
	case 4:
		r = policy.Ranges{}
		if a < policy.MaxPort {
			r = policy.NewRanges(policy.Range{Lo: a + 1, Hi: policy.MaxPort})
		}
	case 5:
		r = policy.NewRanges(policy.Range{Lo: a, Hi: b})
	}
	p.portCache[key] = &r
	return &r, next, nil
}

// scanACL files an access-list line under its ACL, honouring "line N"
// insertion; the ACE itself is parsed in phase two, once every object is known.
func (p *state) scanACL(line string, num int) error {
	// Only the name and an optional "line N" matter now; split just the
	// first four words.
	var w [4]tok
	n := 0
	for i := 0; i < len(line) && n < len(w); {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '!' {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		w[n] = tok{line[start:i], start + 1}
		n++
	}
	if n < 3 {
		if n == 2 {
			return p.errf(num, w[1], "access-list %s: incomplete statement", w[1].s)
		}
		return p.errf(num, w[0], "access-list: missing name")
	}
	name := w[1].s
	switch name {
	case "alert-interval", "deny-flow-max", "compiled", "log-update-interval":
		return nil // global access-list settings
	}
	d := p.lastACL
	if d == nil || d.name != name {
		d = p.acls[name]
	}
	if d == nil {
		d = &aclDef{name: name, pos: p.pos(num, 1)}
		p.acls[name] = d
		p.aclOrder = append(p.aclOrder, d)
	}
	p.lastACL = d
	l := aclLine{line, num}
	if w[2].s == "line" && n > 3 {
		k, ok := atoiU(w[3].s, 1<<20)
		if !ok || k == 0 {
			return p.errf(num, w[3], "access-list line: bad line number %q", w[3].s)
		}
		if int(k) <= len(d.lines) {
			d.lines = append(d.lines, aclLine{})
			copy(d.lines[k:], d.lines[k-1:])
			d.lines[k-1] = l
			return nil
		}
	}
	d.lines = append(d.lines, l)
	return nil
}

// timeRangeLine records "absolute ..." and "periodic ..." in the current
// time-range; a malformed date is reported and leaves the range open.
func (p *state) timeRangeLine(line string, num int) {
	ts := split(line, p.toks)
	p.toks = ts
	if len(ts) == 0 || p.curTR == nil {
		return
	}
	switch ts[0].s {
	case "absolute":
		words := make([]string, len(ts)-1)
		for i, t := range ts[1:] {
			words[i] = t.s
		}
		start, end, bad, err := cisco.ParseAbsolute(words)
		if err != nil {
			p.cfg.Warnf(p.pos(num, ts[min(bad+1, len(ts)-1)].col), "time-range %s: %v", p.curTR.Name, err)
			return
		}
		cisco.SetAbsolute(p.curTR, start, end)
	case "periodic":
		if len(ts) > 1 {
			cisco.AddPeriodic(p.curTR, strings.TrimSpace(line[ts[1].col-1:]))
		}
	}
}
