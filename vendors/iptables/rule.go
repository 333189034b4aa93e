package iptables

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"go4.org/netipx"
)

type targetKind uint8

const (
	targetNone targetKind = iota
	targetVerdict
	targetChain
	targetExtension
)

// addrCond is one address condition on one side of a rule: -s/-d, an
// iprange, or an ipset (setName != "").
type addrCond struct {
	set     *policy.AddrSet
	neg     bool
	setName string
	col     int
}

// icmpAlt is one alternative of an ICMP condition (types AND codes).
type icmpAlt struct{ types, codes *policy.Ranges }

// spec is a parsed rule before it becomes policy rules.
type spec struct {
	src, dst []addrCond
	protos   *policy.Ranges
	mods     uint32
	// pProto is the positive -p protocol (-1: none); mProto the protocol a
	// -m tcp/udp/icmp... module requires.
	pProto, mProto int
	mProtoTok      tok
	portProto      bool // a port-carrying protocol is known (-p tcp/udp/... or -m tcp/udp)
	icmpProto      bool
	sports         *policy.Ranges
	dports         *policy.Ranges
	// bothPorts holds --ports conditions: each matches source OR destination.
	bothPorts []policy.Ranges
	icmp      [][]icmpAlt // each condition is a disjunction
	m         policy.Match
	extras    policy.Extras
	hasSets   bool

	target     string
	targetCol  int
	targetKind targetKind
	action     policy.Action
	gotoJump   bool
	warns      []warn
}

// modBit maps the modules (and targets with options) a rule loaded to bits.
func modBit(name string) uint32 {
	switch name {
	case "tcp-udp":
		return 1
	case "tcp":
		return 2
	case "icmp":
		return 4
	case "icmp6":
		return 8
	case "multiport":
		return 16
	case "conntrack":
		return 32
	case "state":
		return 64
	case "iprange":
		return 128
	case "set":
		return 256
	case "comment":
		return 512
	case "limit":
		return 1024
	case "REJECT":
		return 2048
	case "LOG":
		return 4096
	case "NFLOG":
		return 8192
	}
	return 0
}

func (sp *spec) load(name string)        { sp.mods |= modBit(name) }
func (sp *spec) loaded(name string) bool { return sp.mods&modBit(name) != 0 }

// newSpec returns the state's reusable spec, reset. Only slices that never
// escape into rules are reused.
func (s *state) newSpec() *spec {
	sp := s.spec
	if sp == nil {
		sp = &spec{}
		s.spec = sp
	}
	*sp = spec{src: sp.src[:0], dst: sp.dst[:0], bothPorts: sp.bothPorts[:0], icmp: sp.icmp[:0], warns: sp.warns[:0], pProto: -1, mProto: -1}
	return sp
}

type warn struct {
	col int
	msg string
}

func (sp *spec) vendor(k, v string) {
	if sp.extras.Vendor == nil {
		sp.extras.Vendor = make(map[string]string)
	}
	if old, ok := sp.extras.Vendor[k]; ok && old != "" {
		v = old + " " + v
	}
	sp.extras.Vendor[k] = v
}

func intersect(dst **policy.Ranges, r policy.Ranges) {
	if *dst == nil {
		*dst = &r
		return
	}
	if slices.Equal(**dst, r) {
		return
	}
	x := (*dst).Intersect(r)
	*dst = &x
}

// coreOption reports whether t is an option of iptables itself (not of a
// match module): it ends the arguments of an unknown module or target.
func coreOption(t string) bool {
	switch t {
	case "-s", "--source", "--src", "-d", "--destination", "--dst", "-p", "--protocol",
		"-i", "--in-interface", "-o", "--out-interface", "-f", "--fragment",
		"-m", "--match", "-j", "--jump", "-g", "--goto", "-c", "--set-counters", "-4", "-6",
		"--ipv4", "--ipv6":
		return true
	}
	return false
}

// parseSpec parses the options of one rule (after "-A CHAIN").
func (s *state) parseSpec(line int, toks []tok) (*spec, error) {
	sp := s.newSpec()
	loaded := sp.loaded
	var unknownMod string // options now belong to this unknown module
	targetName := ""
	i := 0
	arg := func(opt tok) (tok, error) {
		if i >= len(toks) {
			return tok{}, s.errf(line, opt.col+len(opt.s), "option %s needs an argument", opt.s)
		}
		a := toks[i]
		i++
		return a, nil
	}
	for i < len(toks) {
		t := toks[i]
		i++
		neg := false
		if t.s == "!" {
			if i >= len(toks) {
				return nil, s.errf(line, t.col, "\"!\" at the end of the rule")
			}
			neg = true
			t = toks[i]
			i++
		}
		if len(t.s) == 0 || t.s[0] != '-' {
			return nil, s.errf(line, t.col, "unexpected %q (expected an option)", t.s)
		}
		if unknownMod != "" || (targetName != "" && sp.targetKind == targetExtension) {
			if !coreOption(t.s) {
				// an option of an unknown module or extension target: keep
				// it verbatim with its arguments
				key := "m:" + unknownMod
				if unknownMod == "" {
					key = "target-options"
				}
				v := t.s
				if neg {
					v = "! " + v
				}
				for i < len(toks) && !(len(toks[i].s) > 1 && toks[i].s[0] == '-' && !isNumber(toks[i].s)) && toks[i].s != "!" {
					v += " " + quoteIfNeeded(toks[i].s)
					i++
				}
				sp.vendor(key, v)
				continue
			}
			unknownMod = ""
		}
		switch t.s {
		case "-s", "--source", "--src", "-d", "--destination", "--dst":
			a, err := arg(t)
			if err != nil {
				return nil, err
			}
			set, err := s.addrList(line, a)
			if err != nil {
				return nil, err
			}
			c := addrCond{set: set, neg: neg, col: a.col}
			if t.s[1] == 's' || t.s == "--source" || t.s == "--src" {
				sp.src = append(sp.src, c)
			} else {
				sp.dst = append(sp.dst, c)
			}
		case "-p", "--protocol":
			a, err := arg(t)
			if err != nil {
				return nil, err
			}
			p, any, ok := protocol(a.s)
			if !ok {
				return nil, s.errf(line, a.col, "unknown protocol %q", a.s)
			}
			if p == policy.ProtoICMPv6 {
				if err := s.setFam(famV6, line, a.col); err != nil {
					return nil, err
				}
			}
			var r policy.Ranges
			switch {
			case any && neg:
				r = policy.Ranges{}
			case any:
				r = policy.NewRanges(policy.Range{Lo: 0, Hi: policy.MaxProto})
			case neg:
				r = policy.Single(uint16(p)).Complement(policy.MaxProto)
			default:
				r = policy.Single(uint16(p))
				sp.pProto = int(p)
				switch {
				case policy.HasPorts(p) || p == 136:
					sp.portProto = true
					sp.load("tcp-udp")
				case p == policy.ProtoICMP:
					sp.icmpProto = true
					sp.load("icmp")
				case p == policy.ProtoICMPv6:
					sp.icmpProto = true
					sp.load("icmp6")
				}
			}
			if !any || neg {
				intersect(&sp.protos, r)
			}
		case "-i", "--in-interface", "-o", "--out-interface":
			a, err := arg(t)
			if err != nil {
				return nil, err
			}
			if a.s == "" || len(a.s) > 15 {
				return nil, s.errf(line, a.col, "bad interface name %q", a.s)
			}
			if t.s == "-i" || t.s == "--in-interface" {
				sp.m.InIface, sp.m.NegInIface = a.s, neg
			} else {
				sp.m.OutIface, sp.m.NegOutIface = a.s, neg
			}
		case "-f", "--fragment":
			if neg {
				sp.m.Fragment = "! -f"
			} else {
				// second and further fragments: never the first packet
				sp.m.Fragment = "-f"
				sp.m.NotInitial = true
			}
		case "-c", "--set-counters":
			if i+1 >= len(toks) {
				return nil, s.errf(line, t.col, "%s needs packets and bytes", t.s)
			}
			i += 2
		case "-4", "--ipv4":
			if err := s.setFam(famV4, line, t.col); err != nil {
				return nil, err
			}
		case "-6", "--ipv6":
			if err := s.setFam(famV6, line, t.col); err != nil {
				return nil, err
			}
		case "-m", "--match":
			a, err := arg(t)
			if err != nil {
				return nil, err
			}
			if neg {
				return nil, s.errf(line, t.col, "\"!\" before -m")
			}
			switch a.s {
			case "tcp", "udp", "sctp", "dccp", "udplite":
				p, _, _ := protocol(a.s)
				sp.mProto, sp.mProtoTok = int(p), a
				intersect(&sp.protos, policy.Single(uint16(p)))
				sp.portProto = true
				sp.load("tcp-udp")
				if a.s == "tcp" {
					sp.load("tcp")
				}
			case "icmp":
				sp.mProto, sp.mProtoTok = policy.ProtoICMP, a
				intersect(&sp.protos, policy.Single(policy.ProtoICMP))
				sp.icmpProto = true
				sp.load("icmp")
			case "icmp6", "icmpv6":
				if err := s.setFam(famV6, line, a.col); err != nil {
					return nil, err
				}
				sp.mProto, sp.mProtoTok = policy.ProtoICMPv6, a
				intersect(&sp.protos, policy.Single(policy.ProtoICMPv6))
				sp.icmpProto = true
				sp.load("icmp6")
			case "multiport", "conntrack", "state", "iprange", "set", "comment", "limit":
				sp.load(a.s)
			default:
				if a.s == "" || a.s[0] == '-' {
					return nil, s.errf(line, a.col, "-m needs a match module name")
				}
				unknownMod = a.s
				sp.vendor("m:"+a.s, "")
				sp.warns = append(sp.warns, warn{a.col, "match module " + a.s + " is not evaluated: treated as matching every packet"})
			}
		case "-j", "--jump", "-g", "--goto":
			a, err := arg(t)
			if err != nil {
				return nil, err
			}
			if neg {
				return nil, s.errf(line, t.col, "\"!\" before %s", t.s)
			}
			if targetName != "" {
				return nil, s.errf(line, t.col, "more than one target")
			}
			targetName = a.s
			sp.target, sp.targetCol = a.s, a.col
			sp.gotoJump = t.s == "-g" || t.s == "--goto"
			switch {
			case sp.gotoJump:
				sp.targetKind, sp.action = targetChain, policy.Goto
			case a.s == "ACCEPT":
				sp.targetKind, sp.action = targetVerdict, policy.Permit
			case a.s == "DROP":
				sp.targetKind, sp.action = targetVerdict, policy.Deny
			case a.s == "REJECT":
				sp.targetKind, sp.action = targetVerdict, policy.Reject
				sp.load("REJECT")
				sp.extras.RejectWith = "icmp-port-unreachable"
				if s.fam == famV6 {
					sp.extras.RejectWith = "icmp6-port-unreachable"
				}
			case a.s == "RETURN":
				sp.targetKind, sp.action = targetVerdict, policy.Return
			case a.s == "LOG", a.s == "NFLOG":
				sp.targetKind, sp.action = targetVerdict, policy.Next
				sp.extras.Log = true
				sp.load(a.s)
			case extensionTargets[a.s]:
				sp.targetKind, sp.action = targetExtension, policy.Next
				sp.vendor("target", a.s)
				if s.table != nil && s.table.name == "filter" {
					sp.warns = append(sp.warns, warn{a.col, "target " + a.s + " is not evaluated: the rule is treated as non-terminating"})
				}
			case a.s == "":
				return nil, s.errf(line, a.col, "empty target")
			default:
				sp.targetKind, sp.action = targetChain, policy.Jump
			}
			if sp.gotoJump && (a.s == "ACCEPT" || a.s == "DROP" || a.s == "REJECT" || a.s == "RETURN") {
				return nil, s.errf(line, a.col, "-g needs a user-defined chain, not %s", a.s)
			}
		default:
			if err := s.moduleOption(line, sp, t, neg, loaded, &i, toks); err != nil {
				return nil, err
			}
		}
	}
	if sp.mProto >= 0 && sp.mProto != sp.pProto {
		// iptables: "TCP match requires '-p tcp'"
		return nil, s.errf(line, sp.mProtoTok.col, "-m %s requires -p %s", sp.mProtoTok.s, sp.mProtoTok.s)
	}
	if sp.targetKind == targetNone {
		sp.action = policy.Next // a rule without target only counts
	}
	return sp, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return strconv.Quote(s)
	}
	return s
}

// moduleOption parses an option of a loaded match module or target.
func (s *state) moduleOption(line int, sp *spec, t tok, neg bool, loaded func(string) bool, ip *int, toks []tok) error {
	arg := func() (tok, error) {
		if *ip >= len(toks) {
			return tok{}, s.errf(line, t.col+len(t.s), "option %s needs an argument", t.s)
		}
		a := toks[*ip]
		*ip++
		return a, nil
	}
	unknown := func() error {
		return s.errf(line, t.col, "unknown option %q", t.s)
	}
	noNeg := func() error {
		if neg {
			return s.errf(line, t.col, "%s cannot be negated", t.s)
		}
		return nil
	}
	switch t.s {
	case "--sport", "--source-port", "--dport", "--destination-port":
		if !loaded("tcp-udp") {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		r, err := s.portSpec(line, a, ':', false)
		if err != nil {
			return err
		}
		if neg {
			r = r.Complement(policy.MaxPort)
		}
		if t.s == "--sport" || t.s == "--source-port" {
			intersect(&sp.sports, r)
		} else {
			intersect(&sp.dports, r)
		}
	case "--sports", "--source-ports", "--dports", "--destination-ports", "--ports":
		if !loaded("multiport") {
			return unknown()
		}
		if !sp.portProto {
			return s.errf(line, t.col, "multiport needs -p tcp, udp, udplite, dccp or sctp")
		}
		a, err := arg()
		if err != nil {
			return err
		}
		r, err := s.portSpec(line, a, ':', true)
		if err != nil {
			return err
		}
		switch {
		case t.s == "--ports" && neg:
			// neither port in the list
			c := r.Complement(policy.MaxPort)
			intersect(&sp.sports, c)
			intersect(&sp.dports, c)
		case t.s == "--ports":
			sp.bothPorts = append(sp.bothPorts, r)
		case t.s == "--sports" || t.s == "--source-ports":
			if neg {
				r = r.Complement(policy.MaxPort)
			}
			intersect(&sp.sports, r)
		default:
			if neg {
				r = r.Complement(policy.MaxPort)
			}
			intersect(&sp.dports, r)
		}
	case "--icmp-type", "--icmpv6-type":
		v6 := t.s == "--icmpv6-type"
		if (!v6 && !loaded("icmp")) || (v6 && !loaded("icmp6")) {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		n, ok := parseICMP(a.s, v6)
		if !ok {
			return s.errf(line, a.col, "unknown ICMP type %q", a.s)
		}
		sp.icmp = append(sp.icmp, icmpAlts(n, neg))
	case "--syn", "--tcp-flags":
		if !loaded("tcp") && !(loaded("tcp-udp") && sp.protos != nil && sp.protos.Contains(policy.ProtoTCP)) {
			return unknown()
		}
		mask, comp := uint8(0x17), uint8(0x02) // --syn = SYN,RST,ACK,FIN SYN
		text := "--syn"
		if t.s == "--tcp-flags" {
			a, err := arg()
			if err != nil {
				return err
			}
			b, err := arg()
			if err != nil {
				return err
			}
			if mask, err = s.tcpFlags(line, a); err != nil {
				return err
			}
			if comp, err = s.tcpFlags(line, b); err != nil {
				return err
			}
			text = "--tcp-flags " + a.s + " " + b.s
		}
		if neg {
			text = "! " + text
		}
		if sp.m.TCPFlags != "" {
			sp.m.TCPFlags += " "
		}
		sp.m.TCPFlags += text
		// The first packet of a new connection is a bare SYN.
		if (0x02&mask == comp) == neg {
			sp.m.NotInitial = true
		}
	case "--tcp-option":
		if !loaded("tcp") {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		v := "--tcp-option " + a.s
		if neg {
			v = "! " + v
		}
		sp.vendor("tcp", v)
		sp.warns = append(sp.warns, warn{t.col, "--tcp-option is not evaluated: treated as matching"})
	case "--ctstate", "--state":
		if (t.s == "--ctstate" && !loaded("conntrack")) || (t.s == "--state" && !loaded("state")) {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		hasNew := false
		for _, st := range strings.Split(a.s, ",") {
			if !ctStates[st] {
				return s.errf(line, a.col, "unknown conntrack state %q", st)
			}
			if st == "NEW" {
				hasNew = true
			}
			if neg {
				st = "!" + st
			}
			sp.m.CtStates = append(sp.m.CtStates, st)
		}
		// A new connection's first packet is in state NEW (and only NEW).
		if hasNew == neg {
			sp.m.NotInitial = true
		}
	case "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc", "--ctrepldst", "--ctorigsrcport",
		"--ctorigdstport", "--ctreplsrcport", "--ctrepldstport", "--ctstatus", "--ctexpire", "--ctdir":
		if !loaded("conntrack") {
			return unknown()
		}
		v := t.s
		if t.s != "--ctdir" || *ip < len(toks) {
			a, err := arg()
			if err != nil {
				return err
			}
			v += " " + a.s
		}
		if neg {
			v = "! " + v
		}
		sp.vendor("conntrack", v)
		sp.warns = append(sp.warns, warn{t.col, "conntrack " + t.s + " is not evaluated: treated as matching"})
	case "--src-range", "--dst-range":
		if !loaded("iprange") {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		set, err := s.ipRange(line, a)
		if err != nil {
			return err
		}
		c := addrCond{set: set, neg: neg, col: a.col}
		if t.s == "--src-range" {
			sp.src = append(sp.src, c)
		} else {
			sp.dst = append(sp.dst, c)
		}
	case "--match-set", "--set":
		if !loaded("set") {
			return unknown()
		}
		name, err := arg()
		if err != nil {
			return err
		}
		flags, err := arg()
		if err != nil {
			return err
		}
		dirs := strings.Split(flags.s, ",")
		if len(dirs) > 6 {
			return s.errf(line, flags.col, "too many set flags %q", flags.s)
		}
		for _, d := range dirs {
			if d != "src" && d != "dst" {
				return s.errf(line, flags.col, "bad set flags %q (src/dst list)", flags.s)
			}
		}
		c := addrCond{neg: neg, setName: name.s, col: name.col}
		// The first flag selects the address the set's first dimension is
		// looked up with; further dimensions (ports, interfaces) are not
		// evaluated.
		if dirs[0] == "src" {
			sp.src = append(sp.src, c)
		} else {
			sp.dst = append(sp.dst, c)
		}
		sp.hasSets = true
		v := "--match-set " + name.s + " " + flags.s
		if neg {
			v = "! " + v
		}
		sp.vendor("set", v)
	case "--return-nomatch", "--update-counters", "--update-subcounters", "--no-update-counters",
		"--no-update-subcounters":
		if !loaded("set") {
			return unknown()
		}
		sp.vendor("set", t.s)
	case "--packets-gt", "--packets-lt", "--packets-eq", "--bytes-gt", "--bytes-lt", "--bytes-eq":
		if !loaded("set") {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		sp.vendor("set", t.s+" "+a.s)
	case "--comment":
		if !loaded("comment") {
			return unknown()
		}
		if err := noNeg(); err != nil {
			return err
		}
		a, err := arg()
		if err != nil {
			return err
		}
		if sp.extras.Comment != "" {
			sp.extras.Comment += "; "
		}
		sp.extras.Comment += a.s
	case "--limit", "--limit-burst":
		if !loaded("limit") {
			return unknown()
		}
		if err := noNeg(); err != nil {
			return err
		}
		a, err := arg()
		if err != nil {
			return err
		}
		if t.s == "--limit" {
			if err := checkRate(a.s); err != nil {
				return s.errf(line, a.col, "%s", err)
			}
		} else if n, err := strconv.Atoi(a.s); err != nil || n < 0 {
			return s.errf(line, a.col, "bad --limit-burst %q", a.s)
		}
		// Rate limits are kept, not evaluated: a single flow is within any rate.
		sp.vendor("limit", t.s+" "+a.s)
	case "--reject-with":
		if !loaded("REJECT") {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		if s.fam == famV6 && !rejectTypes6[a.s] || s.fam != famV6 && !rejectTypes4[a.s] && !rejectTypes6[a.s] {
			return s.errf(line, a.col, "unknown --reject-with type %q", a.s)
		}
		if strings.HasPrefix(a.s, "icmp6-") || (!rejectTypes4[a.s] && rejectTypes6[a.s]) {
			if err := s.setFam(famV6, line, a.col); err != nil {
				return err
			}
		}
		sp.extras.RejectWith = a.s
	case "--log-prefix", "--log-level", "--nflog-group", "--nflog-prefix", "--nflog-range",
		"--nflog-size", "--nflog-threshold":
		if (strings.HasPrefix(t.s, "--log") && !loaded("LOG")) || (strings.HasPrefix(t.s, "--nflog") && !loaded("NFLOG")) {
			return unknown()
		}
		a, err := arg()
		if err != nil {
			return err
		}
		sp.vendor("log", t.s+" "+quoteIfNeeded(a.s))
	case "--log-tcp-sequence", "--log-tcp-options", "--log-ip-options", "--log-uid", "--log-macdecode":
		if !loaded("LOG") {
			return unknown()
		}
		sp.vendor("log", t.s)
	default:
		return unknown()
	}
	return nil
}

// icmpAlts turns one --icmp-type condition into a disjunction of type/code
// pairs; a negated type/code needs two alternatives.
func icmpAlts(n icmpName, neg bool) []icmpAlt {
	all := policy.NewRanges(policy.Range{Lo: 0, Hi: policy.MaxICMP})
	switch {
	case n.typ < 0 && !neg: // any
		return []icmpAlt{{types: &all}}
	case n.typ < 0:
		empty := policy.Ranges{}
		return []icmpAlt{{types: &empty}}
	case n.code < 0 && !neg:
		t := policy.Single(uint16(n.typ))
		return []icmpAlt{{types: &t}}
	case n.code < 0:
		t := policy.Single(uint16(n.typ)).Complement(policy.MaxICMP)
		return []icmpAlt{{types: &t}}
	case !neg:
		t, c := policy.Single(uint16(n.typ)), policy.Single(uint16(n.code))
		return []icmpAlt{{types: &t, codes: &c}}
	}
	// not (type T and code C) = type != T, or type T with code != C
	ot := policy.Single(uint16(n.typ)).Complement(policy.MaxICMP)
	t := policy.Single(uint16(n.typ))
	c := policy.Single(uint16(n.code)).Complement(policy.MaxICMP)
	return []icmpAlt{{types: &ot}, {types: &t, codes: &c}}
}

func checkRate(s string) error {
	n, unit, ok := cut(s, '/')
	v, err := strconv.Atoi(n)
	if err != nil || v < 0 {
		return errorString("bad rate " + strconv.Quote(s))
	}
	if ok {
		switch unit {
		case "s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day":
		default:
			return errorString("bad rate unit in " + strconv.Quote(s))
		}
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func (s *state) tcpFlags(line int, a tok) (uint8, error) {
	var v uint8
	for _, f := range strings.Split(a.s, ",") {
		b, ok := tcpFlagBits[f]
		if !ok {
			return 0, s.errf(line, a.col, "unknown TCP flag %q", f)
		}
		v |= b
	}
	return v, nil
}

// portSpec parses "P", "LO:HI", "LO:", ":HI" (or a comma list of them when
// list is set, as multiport takes).
func (s *state) portSpec(line int, a tok, sep byte, list bool) (policy.Ranges, error) {
	// fast path: one decimal port
	if n := len(a.s); n > 0 && n <= 5 {
		v := 0
		for i := 0; i < n; i++ {
			c := a.s[i]
			if c < '0' || c > '9' {
				v = -1
				break
			}
			v = v*10 + int(c-'0')
		}
		if v >= 0 && v <= policy.MaxPort {
			return policy.Single(uint16(v)), nil
		}
	}
	return s.parsePorts(line, a, sep, list)
}

// parsePorts parses a port specification.
func (s *state) parsePorts(line int, a tok, sep byte, list bool) (policy.Ranges, error) {
	items := []string{a.s}
	if list {
		items = strings.Split(a.s, ",")
		if len(items) > 15 {
			return nil, s.errf(line, a.col, "too many ports in %q (multiport takes at most 15)", a.s)
		}
	}
	rs := make([]policy.Range, 0, len(items))
	for _, it := range items {
		lo, hi, isRange := cut(it, sep)
		var r policy.Range
		var ok bool
		if lo == "" && isRange {
			r.Lo, ok = 0, true
		} else {
			r.Lo, ok = port(lo)
		}
		if !ok {
			return nil, s.errf(line, a.col, "bad port %q", it)
		}
		r.Hi = r.Lo
		if isRange {
			if hi == "" {
				r.Hi = policy.MaxPort
			} else if r.Hi, ok = port(hi); !ok {
				return nil, s.errf(line, a.col, "bad port %q", it)
			}
			if r.Lo > r.Hi {
				// iptables swaps a reversed range (with a warning)
				r.Lo, r.Hi = r.Hi, r.Lo
			}
		}
		rs = append(rs, r)
	}
	return policy.NewRanges(rs...), nil
}

// addrList parses a comma list of addresses/prefixes/netmasks (-s, -d).
func (s *state) addrList(line int, a tok) (*policy.AddrSet, error) {
	if set, ok := s.addrCache[a.s]; ok {
		return set, nil
	}
	var b policy.AddrSetBuilder
	rest := a.s
	for {
		item, more, hasMore := cut(rest, ',')
		p, err := s.prefix(line, a.col, item)
		if err != nil {
			return nil, err
		}
		b.AddPrefix(p)
		if !hasMore {
			break
		}
		rest = more
	}
	set := b.Set()
	s.addrCache[a.s] = set
	return set, nil
}

// prefix parses ADDR, ADDR/LEN or ADDR/NETMASK. Host names are refused:
// iptables-save never writes them and resolving them here would be a guess.
func (s *state) prefix(line, col int, item string) (netip.Prefix, error) {
	addrS, maskS, hasMask := cut(item, '/')
	ad, err := netip.ParseAddr(addrS)
	if err != nil || ad.Zone() != "" {
		return netip.Prefix{}, s.errf(line, col, "bad address %q", item)
	}
	ad = ad.Unmap()
	fam := famV4
	if ad.Is6() {
		fam = famV6
	}
	if err := s.setFam(fam, line, col); err != nil {
		return netip.Prefix{}, err
	}
	bitsLen := ad.BitLen()
	if !hasMask {
		return netip.PrefixFrom(ad, bitsLen), nil
	}
	if n, err := strconv.Atoi(maskS); err == nil && maskS[0] != '+' && maskS[0] != '-' {
		if n < 0 || n > bitsLen {
			return netip.Prefix{}, s.errf(line, col, "bad prefix length in %q", item)
		}
		return netip.PrefixFrom(ad, n).Masked(), nil
	}
	m, err := netip.ParseAddr(maskS)
	if err != nil || m.BitLen() != bitsLen {
		return netip.Prefix{}, s.errf(line, col, "bad netmask in %q", item)
	}
	ones, ok := maskOnes(m)
	if !ok {
		return netip.Prefix{}, s.errf(line, col, "non-contiguous netmask in %q", item)
	}
	return netip.PrefixFrom(ad, ones).Masked(), nil
}

func maskOnes(m netip.Addr) (int, bool) {
	b := m.AsSlice()
	n := 0
	zero := false
	for _, x := range b {
		for k := 7; k >= 0; k-- {
			if x>>uint(k)&1 == 1 {
				if zero {
					return 0, false
				}
				n++
			} else {
				zero = true
			}
		}
	}
	return n, true
}

// ipRange parses an iprange "A-B" (a single address is accepted too).
func (s *state) ipRange(line int, a tok) (*policy.AddrSet, error) {
	if set, ok := s.addrCache["range:"+a.s]; ok {
		return set, nil
	}
	lo, hi, ok := cut(a.s, '-')
	if !ok {
		hi = lo
	}
	l, err1 := netip.ParseAddr(lo)
	h, err2 := netip.ParseAddr(hi)
	if err1 != nil || err2 != nil || l.Is4() != h.Is4() || l.Zone() != "" || h.Zone() != "" {
		return nil, s.errf(line, a.col, "bad address range %q", a.s)
	}
	fam := famV4
	if l.Is6() {
		fam = famV6
	}
	if err := s.setFam(fam, line, a.col); err != nil {
		return nil, err
	}
	if h.Less(l) {
		return nil, s.errf(line, a.col, "address range %q ends before it starts", a.s)
	}
	var b policy.AddrSetBuilder
	b.AddRange(netipx.IPRangeFrom(l, h))
	set := b.Set()
	s.addrCache["range:"+a.s] = set
	return set, nil
}
