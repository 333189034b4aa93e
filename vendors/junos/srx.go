package junos

import (
	"net/netip"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"go4.org/netipx"
)

// srxBuild collects SRX security policies and the objects they use.
type srxBuild struct {
	zones      map[string]*zone
	zoneOrder  []*zone
	books      map[string]*book
	bookOrder  []*book
	apps       map[string]*appDef
	appOrder   []*appDef
	appSets    map[string]*appSet
	setOrder   []*appSet
	pairs      map[[2]string]*pairBuild
	pairOrder  []*pairBuild
	global     *pairBuild
	appCache   map[string][]app // resolved applications; nil value = resolving
	seen       bool             // any security policies statement
	defAction  policy.Action
	defPos     word
	scheds     map[string]*scheduler
	schedOrder []*scheduler
}

type zone struct {
	name   string
	ifaces []string
	books  []*book // named books attached to the zone, then its own
}

type book struct {
	name    string // "global", a named book, or the zone for zone books
	zone    string // set for zone-embedded (legacy) books
	pos     word
	entries map[string]*abEntry
	order   []*abEntry
}

type abEntry struct {
	kind, name string
	pos        word
	prefixes   []netip.Prefix
	ranges     []netipx.IPRange
	wild       []policy.Wildcard
	unresolved string
	members    []word
	resolved   *policy.AddrSet
	unres      []string
	state      uint8 // 0 new, 1 resolving, 2 done
}

type appDef struct {
	name  string
	pos   word
	base  appSpec
	terms []*appSpec
	tidx  map[string]*appSpec
}

type appSpec struct {
	name                              string
	proto, sport, dport, itype, icode []word
}

type appSet struct {
	name    string
	pos     word
	members []word
}

type pairBuild struct {
	from, to string
	pos      word
	pols     []*polBuild
	pidx     map[string]*polBuild
}

type polBuild struct {
	name             string
	pos              word
	inactive         bool
	src, dst, apps   []word
	srcExcl, dstExcl bool
	fromZones        []string
	toZones          []string
	action           string
	actionW          word
	count, log       bool
	desc             string
	comment          string
	scheduler        *word
}

func newSRX() *srxBuild {
	return &srxBuild{zones: map[string]*zone{}, books: map[string]*book{}, apps: map[string]*appDef{},
		appSets: map[string]*appSet{}, pairs: map[[2]string]*pairBuild{}}
}

func (s *srxBuild) zone(name string) *zone {
	z := s.zones[name]
	if z == nil {
		z = &zone{name: name}
		s.zones[name] = z
		s.zoneOrder = append(s.zoneOrder, z)
	}
	return z
}

func (s *srxBuild) book(key, name, zoneName string, pos word) *book {
	bk := s.books[key]
	if bk == nil {
		bk = &book{name: name, zone: zoneName, pos: pos, entries: map[string]*abEntry{}}
		s.books[key] = bk
		s.bookOrder = append(s.bookOrder, bk)
		if zoneName != "" {
			z := s.zone(zoneName)
			z.books = append(z.books, bk)
		}
	}
	return bk
}

func (b *builder) security(st *stmt) error {
	w := st.w
	if len(w) < 3 {
		return nil
	}
	s := b.srx
	switch w[1].s {
	case "zones":
		if len(w) < 5 || w[2].s != "security-zone" || st.inact > 0 && st.inact <= 4 {
			return nil
		}
		z := s.zone(w[3].s)
		switch w[4].s {
		case "interfaces":
			if len(w) > 5 && st.inact == 0 {
				z.ifaces = append(z.ifaces, w[5].s)
			}
		case "address-book":
			bk := s.book("zone:"+z.name, z.name, z.name, w[4])
			return b.bookStmt(bk, st, w[5:])
		}
	case "address-book":
		name := w[2].s
		bk := s.book(name, name, "", w[2])
		if len(w) > 5 && w[3].s == "attach" && w[4].s == "zone" {
			if st.inact == 0 {
				z := s.zone(w[5].s)
				z.books = append(z.books, bk)
			}
			return nil
		}
		return b.bookStmt(bk, st, w[3:])
	case "policies":
		return b.policyStmt(st)
	}
	return nil
}

// bookStmt handles "address NAME ..." / "address-set NAME ..." in a book.
func (b *builder) bookStmt(bk *book, st *stmt, w []word) error {
	if len(w) < 2 || (w[0].s != "address" && w[0].s != "address-set") {
		return nil
	}
	if st.inact > 0 && st.inact <= len(st.w)-len(w)+2 {
		return nil
	}
	e := bk.entries[w[1].s]
	if e == nil {
		e = &abEntry{kind: w[0].s, name: w[1].s, pos: w[0]}
		bk.entries[w[1].s] = e
		bk.order = append(bk.order, e)
	}
	if st.inact > 0 || len(w) < 3 {
		return nil
	}
	v := w[2]
	if e.kind == "address-set" {
		switch v.s {
		case "address", "address-set":
			if len(w) < 4 {
				if st.container {
					return nil
				}
				return b.errf(v, "%s: missing name", v.s)
			}
			e.members = append(e.members, w[3])
		}
		return nil
	}
	switch v.s {
	case "description":
	case "dns-name":
		if len(w) < 4 {
			if st.container {
				return nil
			}
			return b.errf(v, "dns-name: missing name")
		}
		e.unresolved = "dns-name " + w[3].s
		b.warnf(v, "address %q is the DNS name %q: its addresses are unknown", e.name, w[3].s)
	case "range-address":
		if len(w) < 6 || w[4].s != "to" {
			if st.container && len(w) <= 4 {
				return nil
			}
			return b.errf(v, "range-address: expected \"range-address LOW to HIGH\"")
		}
		lo, err1 := netip.ParseAddr(w[3].s)
		hi, err2 := netip.ParseAddr(w[5].s)
		if err1 != nil {
			return b.errf(w[3], "range-address: %v", errBadPrefix(w[3].s))
		}
		if err2 != nil || lo.Is4() != hi.Is4() || hi.Less(lo) {
			return b.errf(w[5], "range-address: %v", errBadPrefix(w[5].s))
		}
		e.ranges = append(e.ranges, netipx.IPRangeFrom(lo, hi))
	case "wildcard-address":
		if len(w) < 4 {
			if st.container {
				return nil
			}
			return b.errf(v, "wildcard-address: missing value")
		}
		a, m, ok := strings.Cut(w[3].s, "/")
		addr, err1 := netip.ParseAddr(a)
		mask, err2 := netip.ParseAddr(m)
		if !ok || err1 != nil || err2 != nil || addr.Is4() != mask.Is4() {
			return b.errf(w[3], "wildcard-address: %v", errBadPrefix(w[3].s))
		}
		// Junos gives the mask of bits that must match; the model's
		// wildcard marks the don't-care bits.
		ms := mask.AsSlice()
		for i := range ms {
			ms[i] = ^ms[i]
		}
		inv, _ := netip.AddrFromSlice(ms)
		e.wild = append(e.wild, policy.Wildcard{Addr: addr, Mask: inv})
	default:
		p, err := parsePrefix(v.s)
		if err != nil {
			return b.errf(v, "address %q: %v", e.name, err)
		}
		e.prefixes = append(e.prefixes, p)
	}
	return nil
}

func (b *builder) policyStmt(st *stmt) error {
	w := st.w
	s := b.srx
	var pb *pairBuild
	var i int
	switch w[2].s {
	case "default-policy":
		s.seen = true
		if len(w) > 3 && st.inact == 0 {
			switch w[3].s {
			case "permit-all":
				s.defAction = policy.Permit
			case "deny-all":
				s.defAction = policy.Deny
			}
			s.defPos = w[3]
		}
		return nil
	case "from-zone":
		if len(w) < 6 || w[4].s != "to-zone" {
			if st.container {
				return nil
			}
			return b.errf(w[2], "from-zone: expected \"from-zone A to-zone B\"")
		}
		s.seen = true
		k := [2]string{w[3].s, w[5].s}
		pb = s.pairs[k]
		if pb == nil {
			pb = &pairBuild{from: k[0], to: k[1], pos: w[2], pidx: map[string]*polBuild{}}
			s.pairs[k] = pb
			s.pairOrder = append(s.pairOrder, pb)
		}
		if st.inact > 0 && st.inact <= 6 {
			b.warnOnce("pair:"+k[0]+">"+k[1], w[2], "inactive policies from-zone %s to-zone %s ignored", k[0], k[1])
			return nil
		}
		i = 6
	case "global":
		s.seen = true
		if s.global == nil {
			s.global = &pairBuild{pos: w[2], pidx: map[string]*polBuild{}}
		}
		pb = s.global
		if st.inact > 0 && st.inact <= 3 {
			b.warnOnce("global-pols", w[2], "inactive global policies ignored")
			return nil
		}
		i = 3
	default:
		return nil
	}
	if len(w) <= i || w[i].s != "policy" {
		return nil
	}
	if len(w) < i+2 {
		return b.errf(w[i], "policy: missing name")
	}
	name := w[i+1].s
	p := pb.pidx[name]
	if p == nil {
		p = &polBuild{name: name, pos: w[i]}
		pb.pidx[name] = p
		pb.pols = append(pb.pols, p)
		if c, ok := b.f.comments[pathKey(w[:i+2])]; ok {
			p.comment = c
		}
	}
	if st.inact > 0 && st.inact <= i+2 {
		p.inactive = true // kept with its content, never matches
	} else if st.inact > 0 {
		return nil
	}
	if len(w) < i+3 {
		return nil
	}
	rest := w[i+2:]
	switch rest[0].s {
	case "match":
		if len(rest) < 2 {
			if st.container {
				return nil
			}
			return b.errf(rest[0], "match: missing condition")
		}
		kw := rest[1].s
		var arg *word
		if len(rest) > 2 {
			arg = &rest[2]
		}
		switch kw {
		case "source-address-excluded":
			p.srcExcl = true
		case "destination-address-excluded":
			p.dstExcl = true
		case "source-address", "destination-address", "application", "from-zone", "to-zone":
			if arg == nil {
				if st.container {
					return nil
				}
				return b.errf(rest[1], "%s: missing value", kw)
			}
			switch kw {
			case "source-address":
				p.src = append(p.src, *arg)
			case "destination-address":
				p.dst = append(p.dst, *arg)
			case "application":
				p.apps = append(p.apps, *arg)
			case "from-zone":
				p.fromZones = append(p.fromZones, arg.s)
			case "to-zone":
				p.toZones = append(p.toZones, arg.s)
			}
		default:
			b.warnOnce("match:"+kw, rest[1], "policy match condition %q is not evaluated", kw)
		}
	case "then":
		if len(rest) < 2 {
			if st.container {
				return nil
			}
			return b.errf(rest[0], "then: missing action")
		}
		switch rest[1].s {
		case "permit", "deny", "reject":
			p.action, p.actionW = rest[1].s, rest[1]
		case "count":
			p.count = true
		case "log":
			p.log = true
		}
	case "description":
		if len(rest) > 1 {
			p.desc = rest[1].s
		}
	case "scheduler-name":
		if len(rest) > 1 {
			sw := rest[1]
			p.scheduler = &sw
		}
	}
	return nil
}

func (b *builder) applications(st *stmt) error {
	w := st.w
	if len(w) < 3 || st.inact > 0 && st.inact <= 3 {
		return nil
	}
	s := b.srx
	switch w[1].s {
	case "application":
		a := s.apps[w[2].s]
		if a == nil {
			a = &appDef{name: w[2].s, pos: w[1], tidx: map[string]*appSpec{}}
			s.apps[w[2].s] = a
			s.appOrder = append(s.appOrder, a)
		}
		if st.inact > 0 || len(w) < 4 {
			return nil
		}
		spec, rest := &a.base, w[3:]
		if rest[0].s == "term" {
			if len(rest) < 2 {
				return b.errf(rest[0], "term: missing name")
			}
			t := a.tidx[rest[1].s]
			if t == nil {
				t = &appSpec{name: rest[1].s}
				a.tidx[rest[1].s] = t
				a.terms = append(a.terms, t)
			}
			spec, rest = t, rest[2:]
			if len(rest) == 0 {
				return nil
			}
		}
		// one statement may set several attributes: "term t1 protocol udp
		// destination-port 5000-5010"
		for ; len(rest) > 0; rest = rest[2:] {
			kw := rest[0].s
			if len(rest) < 2 {
				switch kw {
				case "protocol", "source-port", "destination-port", "icmp-type", "icmp-code", "icmp6-type", "icmp6-code":
					if st.container {
						return nil
					}
					return b.errf(rest[0], "%s: missing value", kw)
				}
				return nil
			}
			v := rest[1]
			switch kw {
			case "protocol":
				spec.proto = append(spec.proto, v)
			case "source-port":
				spec.sport = append(spec.sport, v)
			case "destination-port":
				spec.dport = append(spec.dport, v)
			case "icmp-type", "icmp6-type":
				spec.itype = append(spec.itype, v)
			case "icmp-code", "icmp6-code":
				spec.icode = append(spec.icode, v)
			}
		}
	case "application-set":
		as := s.appSets[w[2].s]
		if as == nil {
			as = &appSet{name: w[2].s, pos: w[1]}
			s.appSets[w[2].s] = as
			s.setOrder = append(s.setOrder, as)
		}
		if st.inact > 0 || len(w) < 5 {
			return nil
		}
		if w[3].s == "application" || w[3].s == "application-set" {
			as.members = append(as.members, w[4])
		}
	}
	return nil
}

// compileSpec validates and converts one application term.
func (b *builder) compileSpec(sp *appSpec) (app, error) {
	var a app
	var pr, s, d, t, c rset
	for _, v := range sp.proto {
		if err := addRanges(b, &pr, cond{kw: word{s: "protocol"}, args: []word{v}}, false, protocols, policy.MaxProto, "protocol"); err != nil {
			return a, err
		}
	}
	for _, v := range sp.sport {
		if err := addRanges(b, &s, cond{kw: word{s: "source-port"}, args: []word{v}}, false, ports, policy.MaxPort, "port"); err != nil {
			return a, err
		}
	}
	for _, v := range sp.dport {
		if err := addRanges(b, &d, cond{kw: word{s: "destination-port"}, args: []word{v}}, false, ports, policy.MaxPort, "port"); err != nil {
			return a, err
		}
	}
	a.protos = pr.result(policy.MaxProto)
	v6 := a.protos != nil && a.protos.Contains(policy.ProtoICMPv6) && !a.protos.Contains(policy.ProtoICMP)
	tt, ct := icmpTypes, icmpCodes
	if v6 {
		tt, ct = icmp6Types, icmp6Codes
	}
	for _, v := range sp.itype {
		if err := addRanges(b, &t, cond{kw: word{s: "icmp-type"}, args: []word{v}}, false, tt, policy.MaxICMP, "ICMP type"); err != nil {
			return a, err
		}
	}
	for _, v := range sp.icode {
		if err := addRanges(b, &c, cond{kw: word{s: "icmp-code"}, args: []word{v}}, false, ct, policy.MaxICMP, "ICMP code"); err != nil {
			return a, err
		}
	}
	a.sports, a.dports = s.result(policy.MaxPort), d.result(policy.MaxPort)
	a.itypes, a.icodes = t.result(policy.MaxICMP), c.result(policy.MaxICMP)
	return a, nil
}

// resolveApp expands an application or application-set name into its terms.
// ok is false when the name is not defined.
func (b *builder) resolveApp(name string, depth int) ([]app, bool, error) {
	s := b.srx
	if name == "any" {
		return []app{{}}, true, nil
	}
	if r, ok := s.appCache[name]; ok {
		if r == nil {
			// a set containing itself: Junos rejects it; contributes nothing
			return nil, true, nil
		}
		return r, true, nil
	}
	if s.appCache == nil {
		s.appCache = map[string][]app{}
	}
	s.appCache[name] = nil // in progress
	out, ok, err := b.resolveAppUncached(name, depth)
	if err != nil || !ok {
		delete(s.appCache, name)
		return out, ok, err
	}
	s.appCache[name] = groupApps(out)
	return s.appCache[name], true, nil
}

func (b *builder) resolveAppUncached(name string, depth int) ([]app, bool, error) {
	s := b.srx
	if a := s.apps[name]; a != nil {
		var out []app
		if len(a.terms) == 0 {
			x, err := b.compileSpec(&a.base)
			if err != nil {
				return nil, false, err
			}
			out = append(out, x)
		}
		for _, t := range a.terms {
			x, err := b.compileSpec(t)
			if err != nil {
				return nil, false, err
			}
			out = append(out, x)
		}
		return out, true, nil
	}
	if as := s.appSets[name]; as != nil {
		var out []app
		for _, m := range as.members {
			xs, ok, err := b.resolveApp(m.s, depth+1)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				b.undefined("application", m.s, m)
				b.warnf(m, "application-set %q: application %q is not defined", name, m.s)
			}
			out = append(out, xs...)
		}
		return out, true, nil
	}
	if xs, ok := predefined[name]; ok {
		return xs, true, nil
	}
	if ms, ok := predefinedSets[name]; ok {
		var out []app
		for _, m := range ms {
			out = append(out, predefined[m]...)
		}
		return out, true, nil
	}
	return nil, false, nil
}

// resolveEntry computes the addresses of a book entry.
func (b *builder) resolveEntry(bk *book, e *abEntry) (*policy.AddrSet, []string) {
	if e.state == 2 {
		return e.resolved, e.unres
	}
	if e.state == 1 {
		b.warnf(e.pos, "address-set %q contains itself", e.name)
		return policy.SetOfPrefixes(), nil
	}
	e.state = 1
	var sb policy.AddrSetBuilder
	var unres []string
	for _, p := range e.prefixes {
		sb.AddPrefix(p)
	}
	for _, r := range e.ranges {
		sb.AddRange(r)
	}
	for _, w := range e.wild {
		sb.AddWildcard(w)
	}
	if e.unresolved != "" {
		unres = append(unres, e.name)
	}
	for _, m := range e.members {
		me := bk.entries[m.s]
		if me == nil {
			unres = append(unres, m.s)
			b.undefined("address", m.s, m)
			b.warnf(m, "address-set %q: address %q is not defined in address book %q", e.name, m.s, bk.name)
			continue
		}
		set, u := b.resolveEntry(bk, me)
		sb.AddSet(set)
		unres = append(unres, u...)
	}
	e.resolved, e.unres, e.state = sb.Set(), unres, 2
	return e.resolved, e.unres
}

// lookupAddr finds name in the books visible from zone (its own and attached
// books first, then global).
func (b *builder) lookupAddr(zoneName, name string) (*book, *abEntry) {
	if z := b.srx.zones[zoneName]; z != nil && zoneName != "" {
		for _, bk := range z.books {
			if e := bk.entries[name]; e != nil {
				return bk, e
			}
		}
	}
	if bk := b.srx.books["global"]; bk != nil {
		if e := bk.entries[name]; e != nil {
			return bk, e
		}
	}
	return nil, nil
}

func (b *builder) policyAddr(zoneName string, names []word, excl bool) policy.AddrMatch {
	if len(names) == 0 {
		return policy.AddrMatch{Any: true, Negate: excl}
	}
	var sb policy.AddrSetBuilder
	var m policy.AddrMatch
	for _, n := range names {
		switch n.s {
		case "any":
			m.Any = true
			continue
		case "any-ipv4":
			sb.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
			continue
		case "any-ipv6":
			sb.AddPrefix(netip.MustParsePrefix("::/0"))
			continue
		}
		m.Refs = append(m.Refs, n.s)
		bk, e := b.lookupAddr(zoneName, n.s)
		if e == nil {
			// Junos refuses to commit a policy naming an unknown address;
			// the name contributes no addresses here.
			m.Unresolved = append(m.Unresolved, n.s)
			b.undefined("address", n.s, n)
			where := "the global address book"
			if zoneName != "" {
				where = "zone " + zoneName + " or the global address book"
			}
			b.warnf(n, "address %q is not defined in %s", n.s, where)
			continue
		}
		set, unres := b.resolveEntry(bk, e)
		sb.AddSet(set)
		m.Unresolved = append(m.Unresolved, unres...)
	}
	if m.Any {
		m.Set = nil
	} else {
		m.Set = sb.Set()
	}
	m.Negate = excl
	return m
}

// compilePolicy turns one SRX policy into rules: one rule per distinct
// (protocol, source port, ICMP) shape of its applications, destination ports
// merged, so first match over the rules equals the policy's match.
func (b *builder) compilePolicy(pb *pairBuild, p *polBuild) ([]*policy.Rule, error) {
	src := b.policyAddr(pb.from, p.src, p.srcExcl)
	dst := b.policyAddr(pb.to, p.dst, p.dstExcl)
	var act policy.Action
	switch p.action {
	case "permit":
		act = policy.Permit
	case "reject":
		act = policy.Reject
	case "deny":
		act = policy.Deny
	default:
		b.warnf(p.pos, "policy %q has no permit/deny/reject action: treated as deny", p.name)
		act = policy.Deny
	}
	ex := policy.Extras{Log: p.log, Comment: p.comment}
	if p.count {
		ex.Count = p.name
	}
	if p.desc != "" {
		ex.Vendor = map[string]string{"description": p.desc}
	}
	if sw := p.scheduler; sw != nil {
		ex.TimeRange = sw.s
		if b.srx.scheds[sw.s] == nil {
			b.undefined("scheduler", sw.s, *sw)
			b.warnf(*sw, "policy %q: scheduler %q is not defined; the policy is evaluated as always active", p.name, sw.s)
		} else {
			b.warnOnce("scheduler:"+sw.s, *sw, "scheduler %q is kept but not evaluated: policies using it are treated as always active", sw.s)
		}
	}
	var apps []app
	var refs, unres []string
	if len(p.apps) == 0 {
		apps = []app{{}}
	}
	for _, a := range p.apps {
		if a.s != "any" {
			refs = append(refs, a.s)
		}
		xs, ok, err := b.resolveApp(a.s, 0)
		if err != nil {
			return nil, err
		}
		if !ok {
			// Junos refuses to commit an unknown application; it matches
			// no flow here.
			unres = append(unres, a.s)
			b.undefined("application", a.s, a)
			b.warnf(a, "policy %q: application %q is not defined", p.name, a.s)
			continue
		}
		apps = append(apps, xs...)
	}
	groups := groupApps(apps)
	if len(groups) == 0 {
		groups = []app{{protos: &policy.Ranges{}}}
	}
	var rules []*policy.Rule
	for _, g := range groups {
		m := policy.Match{Src: src, Dst: dst, Protocols: g.protos, SrcPorts: g.sports, DstPorts: g.dports,
			ICMPTypes: g.itypes, ICMPCodes: g.icodes, ServiceRefs: refs, Unresolved: unres}
		rules = append(rules, &policy.Rule{Name: p.name, Pos: b.pos(p.pos), Match: m, Action: act,
			Inactive: p.inactive, Extras: ex})
	}
	return rules, nil
}

func rangesKey(r *policy.Ranges) string {
	if r == nil {
		return "*"
	}
	return r.String()
}

// groupApps merges application terms that differ only in destination ports.
func groupApps(apps []app) []app {
	var out []app
	idx := map[string]int{}
	for _, a := range apps {
		k := rangesKey(a.protos) + "|" + rangesKey(a.sports) + "|" + rangesKey(a.itypes) + "|" + rangesKey(a.icodes)
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, a)
			continue
		}
		g := &out[i]
		if g.dports == nil || a.dports == nil {
			g.dports = nil
		} else {
			u := g.dports.Union(*a.dports)
			g.dports = &u
		}
	}
	return out
}

// finish emits the SRX filters, bindings and objects.
func (b *builder) finishSRX() error {
	s := b.srx
	for _, bk := range s.bookOrder {
		for _, e := range bk.order {
			set, _ := b.resolveEntry(bk, e)
			o := &policy.Object{Kind: e.kind, Name: e.name, Pos: b.pos(e.pos), Addrs: set, Unresolved: e.unresolved, Scope: bk.name}
			for _, m := range e.members {
				o.Members = append(o.Members, m.s)
			}
			b.cfg.Objects = append(b.cfg.Objects, o)
		}
	}
	for _, sc := range s.schedOrder {
		b.cfg.Objects = append(b.cfg.Objects, sc.obj)
	}
	for _, a := range s.appOrder {
		b.cfg.Objects = append(b.cfg.Objects, &policy.Object{Kind: "application", Name: a.name, Pos: b.pos(a.pos)})
	}
	for _, as := range s.setOrder {
		o := &policy.Object{Kind: "application-set", Name: as.name, Pos: b.pos(as.pos)}
		for _, m := range as.members {
			o.Members = append(o.Members, m.s)
		}
		b.cfg.Objects = append(b.cfg.Objects, o)
	}
	if !s.seen {
		return nil
	}
	type grule struct {
		r        *policy.Rule
		from, to []string
	}
	var globals []grule
	if s.global != nil {
		for _, p := range s.global.pols {
			rs, err := b.compilePolicy(s.global, p)
			if err != nil {
				return err
			}
			markGlobal(rs, p)
			for _, r := range rs {
				globals = append(globals, grule{r, p.fromZones, p.toZones})
			}
		}
	}
	// Junos evaluates the zone pair's policies, then global policies, then
	// the default policy (deny-all unless "default-policy permit-all").
	for _, pb := range s.pairOrder {
		name := pb.from + ">" + pb.to
		f := &policy.Filter{Name: name, Kind: "srx-policy", Family: policy.FamilyAny, Entry: true,
			Default: s.defAction, Pos: b.pos(pb.pos), Rules: []*policy.Rule{},
			Meta: map[string]string{"from-zone": pb.from, "to-zone": pb.to}}
		if z := s.zones[pb.from]; z != nil && len(z.ifaces) > 0 {
			f.Meta["from-interfaces"] = strings.Join(z.ifaces, ",")
		}
		if z := s.zones[pb.to]; z != nil && len(z.ifaces) > 0 {
			f.Meta["to-interfaces"] = strings.Join(z.ifaces, ",")
		}
		for _, p := range pb.pols {
			rs, err := b.compilePolicy(pb, p)
			if err != nil {
				return err
			}
			f.Rules = append(f.Rules, rs...)
		}
		for _, g := range globals {
			if (len(g.from) == 0 || contains(g.from, pb.from)) && (len(g.to) == 0 || contains(g.to, pb.to)) {
				r := *g.r
				f.Rules = append(f.Rules, &r)
			}
		}
		b.cfg.AddFilter(f)
		b.cfg.Bindings = append(b.cfg.Bindings, policy.Binding{Filter: name, Kind: "zone-pair", Target: name, Pos: b.pos(pb.pos)})
	}
	// "global" stands for every zone pair without policies of its own.
	gpos := s.defPos
	if s.global != nil {
		gpos = s.global.pos
	}
	gname := "global"
	if b.cfg.Filter(gname) != nil {
		gname = "srx:global" // a firewall filter is named "global"
	}
	g := &policy.Filter{Name: gname, Kind: "srx-policy", Family: policy.FamilyAny, Entry: true,
		Default: s.defAction, Pos: b.pos(gpos), Rules: []*policy.Rule{}, Meta: map[string]string{"scope": "global"}}
	for _, gr := range globals {
		if len(gr.from) == 0 && len(gr.to) == 0 {
			g.Rules = append(g.Rules, gr.r)
		}
	}
	b.cfg.AddFilter(g)
	b.cfg.Bindings = append(b.cfg.Bindings, policy.Binding{Filter: gname, Kind: "global", Target: "global", Pos: b.pos(gpos)})
	return nil
}

// markGlobal records on a global policy's rules (shared by the copies that
// end each zone pair's filter) that they come from "security policies
// global", and the zones its match names, so the policy can be written
// back where it was: Extras.Vendor "scope" = "global", "from-zones" and
// "to-zones" (comma-separated, absent when the policy names none).
func markGlobal(rs []*policy.Rule, p *polBuild) {
	if len(rs) == 0 {
		return
	}
	m := map[string]string{"scope": "global"}
	for k, v := range rs[0].Extras.Vendor {
		m[k] = v
	}
	if len(p.fromZones) > 0 {
		m["from-zones"] = strings.Join(p.fromZones, ",")
	}
	if len(p.toZones) > 0 {
		m["to-zones"] = strings.Join(p.toZones, ",")
	}
	for _, r := range rs {
		r.Extras.Vendor = m
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
