package cisco

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

type dialect uint8

const (
	dIOS dialect = iota
	dNXOS
	dEOS
)

var dialectNames = [...]string{"ios", "nxos", "eos"}

type mode uint8

const (
	mNone mode = iota
	mACL
	mGroup
	mIface
	mLine
	mControlPlane
	mClassMap
	mPolicyMap
	mZonePair
	mMgmt
	mSkip
	mTimeRange
)

// groupWords start object-group entries; no top-level command starts so.
var groupWords = map[string]bool{
	"host": true, "group-object": true, "network-object": true, "protocol-object": true,
	"service-object": true, "range": true, "tcp": true, "udp": true, "tcp-udp": true, "icmp": true,
	"eq": true, "neq": true, "lt": true, "gt": true,
}

// state is the parser of one file.
type state struct {
	file string
	d    dialect
	cfg  *policy.Config

	mode  mode
	acl   *acl
	tr    *policy.Object // time-range being defined
	group *group
	ctx   string // interface or line name
	ctxV  string // "vty" or "line"

	acls     map[aclKey]*acl
	aclOrder []*acl
	groups   map[string]*group
	gOrder   []*group
	binds    []pendingBind

	// zone-based firewall: class-map -> ACLs, policy-map -> classes,
	// zone-pairs -> policy-map; resolved into "zone-pair" bindings.
	classMaps  map[string][]string
	policyMaps map[string][]string
	zonePairs  []zonePair

	addrCache  map[string]*policy.AddrSet
	rangeCache map[uint32]*policy.Ranges
	keyBuf     []byte
	toks       []tok
	order      int
	scratch    entry
	ruleSlab   []policy.Rule
	seqNames   []string // names of sequence numbers below 1<<16
}

func (s *state) newRule() *policy.Rule {
	if len(s.ruleSlab) == 0 {
		s.ruleSlab = make([]policy.Rule, 256)
	}
	r := &s.ruleSlab[0]
	s.ruleSlab = s.ruleSlab[1:]
	return r
}

func (s *state) seqName(n int) string {
	if n >= len(s.seqNames) && n < 1<<16 {
		s.seqNames = append(s.seqNames, make([]string, n+1-len(s.seqNames)+len(s.seqNames)/2)...)
	}
	if n < len(s.seqNames) {
		if name := s.seqNames[n]; name != "" {
			return name
		}
		s.seqNames[n] = strconv.Itoa(n)
		return s.seqNames[n]
	}
	return strconv.Itoa(n)
}

type aclKey struct {
	name string
	v6   bool
}

// acl is an access list being parsed; entries are sorted by sequence number
// when the file is complete, as the device keeps them.
type acl struct {
	name     string
	v6, std  bool
	numbered bool
	pos      policy.Pos
	entries  []rec
	lastSeq  int
	seqSet   map[int]struct{} // built on the first out-of-order entry
	deleted  bool
}

type addrSpec struct {
	any   bool
	set   *policy.AddrSet
	group string
	pos   policy.Pos
}

type portSpec struct {
	r     *policy.Ranges
	group string
	pos   policy.Pos
}

// rec is one entry kept until the file is complete: its rule (without
// object-group content) and the group references still to resolve.
type rec struct {
	seq, order int
	isRemark   bool
	remark     string
	rule       *policy.Rule
	refs       *refs
}

// refs are the object-group references of an entry.
type refs struct {
	protoGroup   string
	protoPos     policy.Pos
	src, dst     addrSpec
	sport, dport portSpec
}

// entry is one ACE (or remark) as parsed; the parser reuses one.
type entry struct {
	seq, order int
	pos        policy.Pos
	remark     string
	isRemark   bool
	action     policy.Action

	anyProto   bool
	protos     *policy.Ranges
	protoGroup string
	protoPos   policy.Pos

	src, dst     addrSpec
	sport, dport portSpec
	icmpT, icmpC *policy.Ranges

	established, notInitial bool
	flags, fragment         string
	ctStates                []string
	log                     bool
	timeRange               string
	vendor                  map[string]string
}

type zonePair struct {
	name, target string
	policy       string
	pos          policy.Pos
}

type pendingBind struct {
	name      string
	v6        bool
	kind      string
	target    string
	direction string
	pos       policy.Pos
}

func parse(file string, data []byte, d dialect) (*policy.Config, error) {
	s := &state{
		file:       file,
		d:          d,
		cfg:        &policy.Config{File: file, Vendor: dialectNames[d]},
		acls:       make(map[aclKey]*acl),
		groups:     make(map[string]*group),
		classMaps:  make(map[string][]string),
		policyMaps: make(map[string][]string),
		addrCache:  make(map[string]*policy.AddrSet, 1024),
		rangeCache: make(map[uint32]*policy.Ranges, 256),
		seqNames:   make([]string, 0, 64),
		toks:       make([]tok, 0, 32),
	}
	s.cfg.Format = "cli"
	var err error
	var banner []byte // delimiter of an open multi-line banner; "EOF" for EOS
	var bannerPos policy.Pos
	var macro bool
	parser.Lines(data, func(l parser.Line) bool {
		if banner != nil {
			if string(banner) == "EOF" {
				if string(bytes.TrimSpace(l.Text)) == "EOF" {
					banner = nil
				}
			} else if bytes.Contains(l.Text, banner) {
				banner = nil
			}
			return true
		}
		if macro {
			if string(bytes.TrimSpace(l.Text)) == "@" {
				macro = false
			}
			return true
		}
		s.toks = split(l.Text, s.toks[:0])
		if len(s.toks) == 0 {
			return true
		}
		toks := s.toks
		first := string(toks[0].s)
		indented := toks[0].col > 1
		if !indented {
			if s.mode == mACL && (first == "permit" || first == "deny" || first == "remark" || first == "sequence" || isDigits(toks[0].s)) {
				indented = true
			} else if s.mode == mGroup && groupWords[first] {
				// unindented entries typed into an object-group stay in it
				indented = true
			} else {
				s.mode = mNone
			}
		}
		if indented {
			err = s.sub(toks, l)
			return err == nil
		}
		switch first {
		case "banner":
			if len(toks) < 2 {
				return true
			}
			rest := l.Text
			if len(toks) >= 3 {
				rest = l.Text[toks[2].col-1:]
			} else {
				// EOS: "banner login" then text lines up to "EOF".
				banner = []byte("EOF")
				bannerPos = policy.Pos{File: file, Line: l.Num, Col: 1}
				return true
			}
			var delim []byte
			if len(rest) >= 2 && rest[0] == '^' && (rest[1] == 'C' || rest[1] == 'c') {
				delim = rest[:2]
			} else {
				delim = rest[:1]
			}
			if !bytes.Contains(rest[len(delim):], delim) {
				banner = append([]byte(nil), delim...)
				bannerPos = policy.Pos{File: file, Line: l.Num, Col: toks[2].col}
			}
			return true
		case "macro":
			if len(toks) >= 2 && string(toks[1].s) == "name" {
				macro = true
			}
			return true
		}
		err = s.top(toks, l)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if banner != nil {
		return nil, parser.Errorf(bannerPos, "banner not terminated by %q", banner)
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	return s.cfg, nil
}

func (s *state) posAt(line, col int) policy.Pos {
	return policy.Pos{File: s.file, Line: line, Col: col}
}

// top handles a top-level (unindented) command.
func (s *state) top(toks []tok, l parser.Line) error {
	c := &cursor{p: s, toks: toks, line: l.Num}
	w := string(toks[0].s)
	c.i = 1
	switch w {
	case "hostname", "switchname":
		if len(toks) >= 2 {
			s.cfg.Device = string(toks[1].s)
		}
	case "access-list":
		return s.numbered(c, l)
	case "ip", "ipv6":
		if c.peekIs("access-list") {
			c.i++
			return s.namedACL(c, w == "ipv6", l)
		}
	case "no":
		return s.no(c)
	case "resequence":
		// NX-OS: resequence ip|ipv6 access-list NAME START STEP
		if len(toks) >= 4 && (c.peekIs("ip") || c.peekIs("ipv6")) && string(toks[2].s) == "access-list" {
			v6 := c.peekIs("ipv6")
			c.i = 3
			return s.resequence(c, v6)
		}
	case "object-group":
		return s.objectGroup(c)
	case "time-range":
		if len(toks) >= 2 {
			s.tr = TimeRangeObject(string(toks[1].s), s.posAt(l.Num, toks[1].col))
			s.cfg.Objects = append(s.cfg.Objects, s.tr)
			s.mode = mTimeRange
		}
	case "interface":
		if len(toks) >= 2 {
			s.mode = mIface
			s.ctx = joinToks(toks[1:])
		}
	case "line":
		if len(toks) >= 2 {
			s.mode = mLine
			s.ctx = joinToks(toks[1:])
			s.ctxV = "line"
			if string(toks[1].s) == "vty" {
				s.ctxV = "vty"
			}
		}
	case "class-map", "policy-map":
		// class-map type inspect [match-all|match-any] NAME,
		// policy-map type inspect NAME
		if len(toks) >= 4 && string(toks[1].s) == "type" && string(toks[2].s) == "inspect" {
			s.ctx = string(toks[len(toks)-1].s)
			if w == "class-map" {
				s.mode = mClassMap
				if _, ok := s.classMaps[s.ctx]; !ok {
					s.classMaps[s.ctx] = nil
				}
			} else {
				s.mode = mPolicyMap
			}
		}
	case "zone-pair":
		// zone-pair security NAME source Z1 destination Z2
		if len(toks) >= 3 && string(toks[1].s) == "security" {
			zp := zonePair{name: string(toks[2].s), target: string(toks[2].s)}
			if len(toks) >= 7 && string(toks[3].s) == "source" && string(toks[5].s) == "destination" {
				zp.target = string(toks[2].s) + " (" + string(toks[4].s) + " -> " + string(toks[6].s) + ")"
			}
			s.zonePairs = append(s.zonePairs, zp)
			s.mode = mZonePair
		}
	case "control-plane", "system":
		s.mode = mControlPlane
		s.ctx = "control-plane"
	case "management":
		// EOS "management ssh|telnet|api http-commands": ACLs there filter
		// management-plane access like vty access-classes.
		if len(toks) >= 2 {
			s.mode = mMgmt
			s.ctx = joinToks(toks)
		}
	case "snmp-server":
		s.snmpCommunity(toks, l)
	case "ntp":
		// ntp access-group [ipv4|ipv6] peer|serve|serve-only|query-only ACL
		if len(toks) >= 4 && string(toks[1].s) == "access-group" {
			i := 2
			v6 := string(toks[i].s) == "ipv6"
			if v6 || string(toks[i].s) == "ipv4" {
				i++
			}
			if i+1 < len(toks) { // skip peer|serve|serve-only|query-only
				s.binds = append(s.binds, pendingBind{string(toks[i+1].s), v6, "global", "ntp", "in", s.posAt(l.Num, toks[i+1].col)})
			}
		}
	}
	return nil
}

func joinToks(toks []tok) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = string(t.s)
	}
	return strings.Join(parts, " ")
}

// no handles deletions: "no access-list N", "no ip access-list [type]
// NAME", "no object-group TYPE NAME".
func (s *state) no(c *cursor) error {
	v6 := false
	switch {
	case c.peekIs("object-group"):
		// the name is the last word: network NAME, ip address NAME, ...
		name := string(c.toks[len(c.toks)-1].s)
		if g := s.groups[name]; g != nil && len(c.toks) >= 4 {
			delete(s.groups, name)
			for i, x := range s.gOrder {
				if x == g {
					s.gOrder = append(s.gOrder[:i], s.gOrder[i+1:]...)
					break
				}
			}
		}
		return nil
	case c.peekIs("access-list"):
		c.i++
	case (c.peekIs("ip") || c.peekIs("ipv6")) && c.i+1 < len(c.toks) && string(c.toks[c.i+1].s) == "access-list":
		v6 = c.peekIs("ipv6")
		c.i += 2
		if c.peekIs("standard") || c.peekIs("extended") {
			c.i++
		}
	default:
		return nil
	}
	if !c.more() {
		return nil
	}
	name := string(c.peek())
	if a := s.acls[aclKey{name, v6}]; a != nil {
		a.deleted = true
		delete(s.acls, aclKey{name, v6})
	}
	return nil
}

// numberedKind classifies numbered ACLs: 1-99 and 1300-1999 are standard,
// 100-199 and 2000-2699 extended IP; other ranges are not IP ACLs.
func numberedKind(n int) (std, ip bool) {
	switch {
	case n >= 1 && n <= 99, n >= 1300 && n <= 1999:
		return true, true
	case n >= 100 && n <= 199, n >= 2000 && n <= 2699:
		return false, true
	}
	return false, false
}

// numbered handles "access-list N ..." and the "access-list NAME
// standard|extended ..." form (batfish's IOS tests, ASA-style).
func (s *state) numbered(c *cursor, l parser.Line) error {
	if !c.more() {
		return c.errf("missing access-list number")
	}
	nameTok := c.toks[c.i]
	name := string(nameTok.s)
	c.i++
	var std bool
	if n, ok := atoi(nameTok.s, 1<<20); ok {
		var ip bool
		std, ip = numberedKind(n)
		if !ip {
			if s.acls[aclKey{name, false}] == nil {
				s.cfg.Warnf(s.posAt(l.Num, 1), "access-list %s is not an IP access list; skipped", name)
				s.acls[aclKey{name, false}] = &acl{name: name, deleted: true}
			}
			return nil
		}
	} else {
		switch {
		case c.peekIs("standard"):
			std = true
			c.i++
		case c.peekIs("extended"):
			c.i++
		case c.peekIs("permit") || c.peekIs("deny") || c.peekIs("remark"):
		default:
			// global settings: "access-list dynamic-extended", "compiled", ...
			return nil
		}
	}
	a := s.acls[aclKey{name, false}]
	if a != nil && a.deleted {
		return nil
	}
	if a == nil {
		a = s.newACL(name, false, std, s.posAt(l.Num, 1))
		a.numbered = true
	}
	if !c.more() {
		// "access-list NAME standard" opening a block of entries
		s.mode, s.acl = mACL, a
		return nil
	}
	if c.peekIs("dynamic") {
		s.cfg.Warnf(c.pos(), "dynamic (lock-and-key) entry of access-list %s is inactive until authenticated; skipped", name)
		return nil
	}
	return s.ace(a, c, l)
}

func (s *state) newACL(name string, v6, std bool, pos policy.Pos) *acl {
	a := &acl{name: name, v6: v6, std: std, pos: pos}
	s.acls[aclKey{name, v6}] = a
	s.aclOrder = append(s.aclOrder, a)
	return a
}

// namedACL handles "ip access-list [standard|extended] NAME" and
// "ipv6 access-list [standard|extended] NAME".
func (s *state) namedACL(c *cursor, v6 bool, l parser.Line) error {
	if !c.more() {
		return c.errf("missing access-list name")
	}
	switch string(c.peek()) {
	case "resequence":
		// ip|ipv6 access-list resequence NAME [START [STEP]] (IOS)
		s.mode = mSkip
		c.i++
		return s.resequence(c, v6)
	case "logging", "log-update", "helper", "role-based", "match-local-traffic", "fragments", "compiled", "persistent":
		s.mode = mSkip
		return nil
	}
	std, typed := false, false
	if (c.peekIs("standard") || c.peekIs("extended")) && c.i+1 < len(c.toks) {
		std, typed = c.peekIs("standard"), true
		c.i++
	}
	name := string(c.peek())
	c.i++
	a := s.acls[aclKey{name, v6}]
	if a == nil {
		if n, ok := atoi([]byte(name), 1<<20); ok && !v6 {
			if nstd, ip := numberedKind(n); ip && typed && nstd != std {
				s.cfg.Warnf(s.posAt(l.Num, 1), "access-list number %s is not in the %s range; the device rejects it", name, typeName(std))
				s.mode = mSkip
				return nil
			}
		}
		a = s.newACL(name, v6, std, s.posAt(l.Num, 1))
	} else if typed && a.std != std && !a.deleted {
		// IOS: standard and extended lists cannot share a name
		s.cfg.Warnf(s.posAt(l.Num, 1), "access-list %s is already %s; the device rejects this %s definition", name, typeName(a.std), typeName(std))
		s.mode = mSkip
		return nil
	}
	s.mode, s.acl = mACL, a
	return nil
}

func typeName(std bool) string {
	if std {
		return "standard"
	}
	return "extended"
}

// sub handles an indented line in the current mode.
func (s *state) sub(toks []tok, l parser.Line) error {
	c := &cursor{p: s, toks: toks, line: l.Num}
	switch s.mode {
	case mTimeRange:
		s.timeRangeLine(toks, l)
		return nil
	case mACL:
		a := s.acl
		switch string(toks[0].s) {
		case "statistics", "counters", "fragments", "description", "exit", "ignore", "hardware", "match-local-traffic":
			return nil
		case "no":
			if len(toks) >= 2 {
				if n, ok := atoi(toks[1].s, 1<<31-1); ok {
					s.deleteSeq(a, n)
				}
			}
			return nil
		case "resequence":
			// EOS: resequence [START [STEP]] inside the ACL
			c.i = 1
			return s.renumber(a, c)
		case "evaluate":
			s.cfg.Warnf(c.pos(), "reflexive ACL %q evaluated in %s is not modelled; entry skipped", joinToks(toks[1:]), a.name)
			return nil
		case "dynamic":
			s.cfg.Warnf(c.pos(), "dynamic entry of %s is inactive until authenticated; skipped", a.name)
			return nil
		}
		if a.deleted {
			return nil
		}
		return s.ace(a, c, l)
	case mGroup:
		return s.groupEntry(c)
	case mIface, mControlPlane, mMgmt:
		// ip access-group NAME in|out, ipv6 traffic-filter NAME in|out,
		// ipv6 access-group NAME in (EOS), ip port access-group NAME in (NX-OS)
		w := string(toks[0].s)
		if w != "ip" && w != "ipv6" {
			return nil
		}
		c.i = 1
		if c.peekIs("port") {
			c.i++
		}
		if !(c.peekIs("access-group") || c.peekIs("traffic-filter")) {
			return nil
		}
		c.i++
		if !c.more() {
			return c.errf("missing access-list name")
		}
		name := string(c.peek())
		c.i++
		dir := "in"
		for ; c.more(); c.i++ { // "ip access-group NAME [vrf V] in|out"
			if c.peekIs("out") {
				dir = "out"
			}
		}
		kind, target := "interface", s.ctx
		switch s.mode {
		case mControlPlane:
			kind = "global"
		case mMgmt:
			kind = "vty"
		}
		s.binds = append(s.binds, pendingBind{name, w == "ipv6", kind, target, dir, s.posAt(l.Num, toks[0].col)})
	case mClassMap:
		// match access-group name ACL | match access-group N
		if len(toks) >= 3 && string(toks[0].s) == "match" && string(toks[1].s) == "access-group" {
			name := toks[2].s
			if string(name) == "name" && len(toks) >= 4 {
				name = toks[3].s
			}
			s.classMaps[s.ctx] = append(s.classMaps[s.ctx], string(name))
		}
	case mPolicyMap:
		// class type inspect CLASS
		if len(toks) >= 4 && string(toks[0].s) == "class" && string(toks[1].s) == "type" {
			s.policyMaps[s.ctx] = append(s.policyMaps[s.ctx], string(toks[3].s))
		}
	case mZonePair:
		// service-policy type inspect POLICY
		if len(toks) >= 4 && string(toks[0].s) == "service-policy" {
			zp := &s.zonePairs[len(s.zonePairs)-1]
			zp.policy = string(toks[len(toks)-1].s)
			zp.pos = s.posAt(l.Num, toks[0].col)
		}
	case mLine:
		// access-class NAME in|out, ipv6 access-class NAME in|out
		c.i = 0
		v6 := false
		if c.peekIs("ipv6") || c.peekIs("ip") {
			v6 = c.peekIs("ipv6")
			c.i++
		}
		if !c.peekIs("access-class") {
			return nil
		}
		c.i++
		if !c.more() {
			return c.errf("missing access-list name")
		}
		name := string(c.peek())
		c.i++
		dir := "in"
		if c.peekIs("out") {
			dir = "out"
		}
		s.binds = append(s.binds, pendingBind{name, v6, s.ctxV, s.ctx, dir, s.posAt(l.Num, toks[0].col)})
	}
	return nil
}

// snmpCommunity binds the ACL of "snmp-server community STRING [view V]
// [RO|RW] [ipv6 ACL6] [ACL]": SNMP requests from other sources are refused.
func (s *state) snmpCommunity(toks []tok, l parser.Line) {
	if len(toks) < 4 || string(toks[1].s) != "community" {
		return
	}
	for i := 3; i < len(toks); i++ {
		w := strings.ToLower(string(toks[i].s))
		switch w {
		case "view":
			i++
		case "ro", "rw":
		case "ipv6":
			if i+1 < len(toks) {
				i++
				s.binds = append(s.binds, pendingBind{string(toks[i].s), true, "global", "snmp-server community", "in", s.posAt(l.Num, toks[i].col)})
			}
		default:
			s.binds = append(s.binds, pendingBind{string(toks[i].s), false, "global", "snmp-server community", "in", s.posAt(l.Num, toks[i].col)})
		}
	}
}

// resequence renumbers the ACL named at the cursor (as the device does,
// the ACL must exist); START and STEP follow the name.
func (s *state) resequence(c *cursor, v6 bool) error {
	if !c.more() {
		return c.errf("missing access-list name")
	}
	a := s.acls[aclKey{string(c.peek()), v6}]
	if a == nil || a.deleted {
		s.cfg.Warnf(c.pos(), "resequence of undefined access-list %q ignored", c.peek())
		return nil
	}
	c.i++
	return s.renumber(a, c)
}

// renumber gives a's entries, in their order, the numbers START,
// START+STEP, ... (both default to 10). Remarks keep their place: each
// takes a number of its own, as on IOS-XE and EOS, where remarks are
// numbered entries.
func (s *state) renumber(a *acl, c *cursor) error {
	start, step := 10, 10
	if c.more() {
		n, ok := atoi(c.peek(), 1<<31-1)
		if !ok || n == 0 {
			return c.errf("invalid starting sequence number %q", c.peek())
		}
		start = n
		c.i++
	}
	if c.more() {
		n, ok := atoi(c.peek(), 1<<31-1)
		if !ok || n == 0 {
			return c.errf("invalid sequence increment %q", c.peek())
		}
		step = n
		c.i++
	}
	if uint64(start)+uint64(step)*uint64(max(len(a.entries)-1, 0)) > 1<<31-1 {
		s.cfg.Warnf(c.pos(), "resequence of %s exceeds the largest sequence number; the device refuses it", a.name)
		return nil
	}
	sortEntries(a.entries)
	for i := range a.entries {
		e := &a.entries[i]
		e.seq = start + i*step
		if e.rule != nil {
			e.rule.Name = s.seqName(e.seq)
		}
	}
	a.lastSeq = 0
	if n := len(a.entries); n > 0 {
		a.lastSeq = a.entries[n-1].seq
	}
	a.seqSet = nil
	return nil
}

func sortEntries(es []rec) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].seq != es[j].seq {
			return es[i].seq < es[j].seq
		}
		return es[i].order < es[j].order
	})
}

func (s *state) deleteSeq(a *acl, n int) {
	out := a.entries[:0]
	for _, e := range a.entries {
		if e.seq != n {
			out = append(out, e)
		}
	}
	a.entries = out
	if a.seqSet != nil {
		delete(a.seqSet, n)
	}
}

// hasSeq reports whether a (non-remark) entry with sequence number n exists.
func (a *acl) hasSeq(n int) bool {
	if n > a.lastSeq {
		return false // the common case: entries arrive in ascending order
	}
	if a.seqSet == nil {
		// first out-of-order entry: index the numbers from now on
		a.seqSet = make(map[int]struct{}, len(a.entries))
		for i := range a.entries {
			if !a.entries[i].isRemark {
				a.seqSet[a.entries[i].seq] = struct{}{}
			}
		}
	}
	_, ok := a.seqSet[n]
	return ok
}

// addSeq records entry number n once the index exists.
func (a *acl) addSeq(n int) {
	if a.seqSet != nil {
		a.seqSet[n] = struct{}{}
	}
}

// finish resolves object-groups, orders entries and builds the filters.
func (s *state) finish() error {
	for _, g := range s.gOrder {
		s.resolveGroup(g, 0)
	}
	for _, g := range s.gOrder {
		o := &policy.Object{Kind: g.kind, Name: g.name, Pos: g.pos, Members: g.members}
		if g.kind == kindNetwork {
			o.Addrs = g.set
		}
		s.cfg.Objects = append(s.cfg.Objects, o)
	}
	names := make(map[aclKey]string)
	for _, a := range s.aclOrder {
		if a.deleted {
			continue
		}
		fname := a.name
		if a.v6 && s.acls[aclKey{a.name, false}] != nil && !s.acls[aclKey{a.name, false}].deleted {
			fname = "ipv6:" + a.name
		}
		names[aclKey{a.name, a.v6}] = fname
		s.cfg.AddFilter(s.buildFilter(a, fname))
	}
	// Zone-based firewall: the ACLs a zone-pair's inspect policy classifies
	// traffic with. (The class actions — inspect, pass, drop — are not
	// modelled as filters; the binding records where each ACL is used.)
	for _, zp := range s.zonePairs {
		if zp.policy == "" {
			continue
		}
		for _, class := range s.policyMaps[zp.policy] {
			for _, aclName := range s.classMaps[class] {
				s.binds = append(s.binds, pendingBind{aclName, false, "zone-pair", zp.target, "", zp.pos})
			}
		}
	}
	for _, b := range s.binds {
		fname, ok := names[aclKey{b.name, b.v6}]
		if !ok {
			// IOS, NX-OS and EOS apply no filtering for an access-group naming
			// an ACL that does not exist: all traffic passes.
			s.cfg.Undefined = append(s.cfg.Undefined, policy.Reference{Kind: "acl", Name: b.name, Pos: b.pos})
			if b.kind == "zone-pair" {
				s.cfg.Warnf(b.pos, "zone-pair %s classifies with undefined access-list %q", b.target, b.name)
			} else {
				s.cfg.Warnf(b.pos, "%s %s %s uses undefined access-list %q (the device permits all traffic)", b.kind, b.target, b.direction, b.name)
			}
			fname = b.name
		}
		s.cfg.Bindings = append(s.cfg.Bindings, policy.Binding{Filter: fname, Kind: b.kind, Target: b.target, Direction: b.direction, Pos: b.pos})
	}
	return nil
}

func (s *state) buildFilter(a *acl, name string) *policy.Filter {
	f := &policy.Filter{Name: name, Kind: "acl", Family: policy.FamilyIPv4, Entry: true, Default: policy.Deny, Pos: a.pos,
		Meta: map[string]string{}}
	if a.v6 {
		f.Family = policy.FamilyIPv6
	}
	if a.std {
		f.Meta["type"] = "standard"
	} else {
		f.Meta["type"] = "extended"
	}
	if a.numbered {
		f.Meta["numbered"] = "true"
	}
	sortEntries(a.entries)
	f.Rules = make([]*policy.Rule, 0, len(a.entries))
	remark := ""
	exists := 0
	for i := range a.entries {
		e := a.entries[i]
		if e.isRemark {
			if remark != "" {
				remark += "\n"
			}
			remark += e.remark
			continue
		}
		if s.entryExists(&e) {
			exists++
		}
		f.Rules = s.buildRules(f.Rules, a, &e, remark)
		remark = ""
	}
	if exists == 0 && s.d == dIOS {
		// IOS: an ACL without entries filters nothing, it permits all
		// traffic (no implicit deny, no implicit IPv6 rules). Entries naming
		// undefined object-groups were refused by the device, so they do not
		// count. NX-OS and EOS keep the implicit deny here.
		f.Default = policy.Permit
		f.Meta["empty"] = "true"
		return f
	}
	if a.v6 {
		// The implicit end of an IPv6 ACL: IOS permits neighbor discovery
		// (nd-na, nd-ns) before its implicit "deny ipv6 any any"; NX-OS also
		// permits router solicitations/advertisements. An explicit final
		// deny placed by the user shadows these, exactly as on the device.
		var types []uint16
		switch s.d {
		case dIOS:
			types = []uint16{136, 135}
		case dNXOS:
			types = []uint16{136, 135, 134, 133}
		}
		for _, t := range types {
			icmp := policy.Single(policy.ProtoICMPv6)
			tr := policy.Single(t)
			f.Rules = append(f.Rules, &policy.Rule{Name: "implicit-" + icmp6TypeName(t), Pos: a.pos, Action: policy.Permit,
				Match:  policy.Match{Src: policy.AnyAddr(), Dst: policy.AnyAddr(), Protocols: &icmp, ICMPTypes: &tr},
				Extras: policy.Extras{Comment: "implicit neighbor-discovery permit", Vendor: map[string]string{"implicit": "true"}}})
		}
	}
	return f
}

// entryExists reports whether the device accepted entry e: IOS refuses
// entries naming object-groups that are undefined or of the wrong type.
func (s *state) entryExists(e *rec) bool {
	x := e.refs
	if x == nil {
		return true
	}
	ok := func(name, kind string) bool {
		if name == "" {
			return true
		}
		g := s.groups[name]
		return g != nil && (kind == "" || g.kind == kind)
	}
	protoOK := x.protoGroup == "" || ok(x.protoGroup, kindService) || ok(x.protoGroup, kindProtocol)
	return protoOK && ok(x.src.group, kindNetwork) && ok(x.dst.group, kindNetwork) &&
		ok(x.sport.group, kindPort) && ok(x.dport.group, kindPort)
}

func icmp6TypeName(t uint16) string {
	switch t {
	case 136:
		return "nd-na"
	case 135:
		return "nd-ns"
	case 134:
		return "router-advertisement"
	case 133:
		return "router-solicitation"
	}
	return strconv.Itoa(int(t))
}

// timeRangeLine records "absolute ..." and "periodic ..." in the current
// time-range; a malformed date is reported and leaves the range open.
func (s *state) timeRangeLine(toks []tok, l parser.Line) {
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = string(t.s)
	}
	switch words[0] {
	case "absolute":
		start, end, bad, err := ParseAbsolute(words[1:])
		if err != nil {
			s.cfg.Warnf(s.posAt(l.Num, toks[min(bad+1, len(toks)-1)].col), "time-range %s: %v", s.tr.Name, err)
			return
		}
		SetAbsolute(s.tr, start, end)
	case "periodic":
		AddPeriodic(s.tr, strings.Join(words[1:], " "))
	}
}
