// Package render holds what the network vendors' renderers share: lowering
// a policy.Filter of any vendor into per-family rules whose fields a device
// syntax can write directly (exact address sets of one family, no negation,
// no jumps), with every construct a target cannot express either expanded
// exactly or reported.
package render

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// Caps says what a target syntax expresses natively.
type Caps struct {
	// Vendor is the target vendor name (for messages and same-vendor
	// decisions).
	Vendor string
	// SplitFamilies: a filter holds one address family (Junos, IOS, NX-OS,
	// EOS); FamilyAny filters become one filter per family.
	SplitFamilies bool
	// Reject: the target has a reject action; otherwise reject is written
	// as deny and reported.
	Reject bool
	// Next: non-terminating rules (Junos "next term") are kept.
	Next bool
	// Inactive: inactive rules can be written (Junos "inactive:", ASA
	// "inactive"); otherwise they are left out (they never match).
	Inactive bool
	// Wildcards: non-contiguous address/wildcard patterns can be written.
	Wildcards bool
	// Objects says whether the target writes object o as an object of its
	// own (nil: references are always expanded inline).
	Objects func(o *policy.Object) bool
}

// Addr is one address condition of a lowered rule.
type Addr struct {
	Any bool
	// Set holds the exact addresses (of the rule's family only).
	Set *policy.AddrSet
	// Refs names the objects whose union is exactly Set (resolved objects)
	// or, for an unresolved object kept as such, the object itself.
	Refs []string
}

// Rule is one lowered rule: every field is a plain positive condition.
type Rule struct {
	Orig   *policy.Rule
	Name   string
	Action policy.Action
	Src    Addr
	Dst    Addr
	// Protocols nil means any.
	Protocols          *policy.Ranges
	SrcPorts, DstPorts *policy.Ranges
	ICMPTypes          *policy.Ranges
	ICMPCodes          *policy.Ranges
	// Match carries the stateful and fragment conditions of the original
	// (TCPEstablished, TCPFlags, Fragment, CtStates, NotInitial).
	Match    policy.Match
	Inactive bool
	Extras   policy.Extras
	// Synthetic marks rules the lowering added (default catch-alls,
	// flattened regions).
	Synthetic bool
}

// Filter is one filter to write.
type Filter struct {
	// Name is the filter's name on the device (without model qualifiers
	// such as "inet6:" or "ipv6:").
	Name   string
	Family policy.Family
	Orig   *policy.Filter
	Rules  []Rule
	// Default is the verdict of packets no rule decides; targets with an
	// implicit deny get an explicit final rule from Lower when it is not
	// Deny.
	Default policy.Action
	// Flattened says the rules were computed from the filter's decision
	// map (jumps, gotos or returns inlined exactly).
	Flattened bool
}

// Result is what Lower produced, with what it had to report.
type Result struct {
	Filters  []Filter
	Warnings []string
	// Objects are the model objects referenced by kept Refs, in config order.
	Objects []*policy.Object
}

// Lowerer lowers the filters of one config for one target.
type Lowerer struct {
	Cfg  *policy.Config
	Caps Caps
	res  Result
	objs map[string]bool
	seen map[string]bool
}

// BaseName strips the model's family qualifiers ("inet6:", "ipv6:",
// "inet:", "any:") from a filter name.
func BaseName(name string) string {
	for _, p := range []string{"inet6:", "ipv6:", "inet:", "any:"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return rest
		}
	}
	return name
}

// Select returns the filters to render: every filter (opt empty) or the
// named ones, in config order; an unknown name is an error.
func Select(cfg *policy.Config, names []string) ([]*policy.Filter, error) {
	if len(names) == 0 {
		return cfg.Filters, nil
	}
	var out []*policy.Filter
	for _, n := range names {
		found := false
		for _, f := range cfg.Filters {
			if f.Name == n || (BaseName(f.Name) == n && f.Name != n) {
				out = append(out, f)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no filter named %q in %s", n, cfg.File)
		}
	}
	// keep config order, no duplicates
	seen := map[*policy.Filter]bool{}
	var ordered []*policy.Filter
	for _, f := range cfg.Filters {
		for _, g := range out {
			if f == g && !seen[f] {
				seen[f] = true
				ordered = append(ordered, f)
			}
		}
	}
	return ordered, nil
}

// SelectReachable returns the named filters (all when names is empty) plus
// every filter reachable from them by jumps, in cfg order.
func SelectReachable(cfg *policy.Config, names []string) ([]*policy.Filter, error) {
	if len(names) == 0 {
		return cfg.Filters, nil
	}
	want := map[*policy.Filter]bool{}
	var visit func(f *policy.Filter)
	visit = func(f *policy.Filter) {
		if want[f] {
			return
		}
		want[f] = true
		for _, r := range f.Rules {
			if r.Target != "" {
				if t := cfg.Filter(r.Target); t != nil {
					visit(t)
				}
			}
		}
	}
	for _, n := range names {
		f := cfg.Filter(n)
		if f == nil {
			return nil, fmt.Errorf("%s: no filter %q", cfg.File, n)
		}
		visit(f)
	}
	var out []*policy.Filter
	for _, f := range cfg.Filters {
		if want[f] {
			out = append(out, f)
		}
	}
	return out, nil
}

// PortOp writes one port range as Cisco and ASA ACL entries do: eq, lt, gt
// or range.
func PortOp(x policy.Range) string {
	switch {
	case x.Lo == x.Hi:
		return "eq " + strconv.Itoa(int(x.Lo))
	case x.Lo == 0:
		return "lt " + strconv.Itoa(int(x.Hi)+1)
	case x.Hi == policy.MaxPort:
		return "gt " + strconv.Itoa(int(x.Lo)-1)
	}
	return fmt.Sprintf("range %d %d", x.Lo, x.Hi)
}

// Lower lowers every filter of fs.
func Lower(cfg *policy.Config, fs []*policy.Filter, caps Caps) (Result, error) {
	l := &Lowerer{Cfg: cfg, Caps: caps, objs: map[string]bool{}}
	for _, f := range fs {
		if err := l.filter(f); err != nil {
			return l.res, err
		}
	}
	for _, o := range cfg.Objects {
		if l.objs[o.Name] {
			l.res.Objects = append(l.res.Objects, o)
			delete(l.objs, o.Name)
		}
	}
	return l.res, nil
}

func (l *Lowerer) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	if !l.seen[msg] { // once, not once per family
		l.seen[msg] = true
		l.res.Warnings = append(l.res.Warnings, msg)
	}
}

func (l *Lowerer) filter(f *policy.Filter) error {
	fams := []policy.Family{f.Family}
	if f.Family == policy.FamilyAny && l.Caps.SplitFamilies {
		fams = []policy.Family{policy.FamilyIPv4, policy.FamilyIPv6}
	}
	flatten := false
	for _, r := range f.Rules {
		if !r.Inactive && (r.Action == policy.Jump || r.Action == policy.Goto || r.Action == policy.Return) {
			flatten = true
		}
	}
	if flatten {
		l.warnf("filter %s: jumps/gotos/returns cannot be written in %s; rendered from its exact decision map (rule names not kept)", f.Name, l.Caps.Vendor)
	}
	for _, fam := range fams {
		out := Filter{Name: BaseName(f.Name), Family: fam, Orig: f, Default: f.Default, Flattened: flatten}
		if f.Meta["name"] != "" {
			out.Name = f.Meta["name"]
		}
		var err error
		if flatten {
			out.Rules, err = l.flatten(f, fam)
		} else {
			out.Rules, err = l.rules(f, fam)
		}
		if err != nil {
			return err
		}
		if f.Default != policy.Deny {
			act := f.Default
			if act == policy.Reject && !l.Caps.Reject {
				l.warnf("filter %s: default reject written as deny (%s has no reject action)", f.Name, l.Caps.Vendor)
				act = policy.Deny
			}
			if act != policy.Deny {
				out.Rules = append(out.Rules, Rule{Name: "default", Action: act, Src: Addr{Any: true}, Dst: Addr{Any: true}, Synthetic: true})
			}
			out.Default = policy.Deny
		}
		l.res.Filters = append(l.res.Filters, out)
	}
	return nil
}

func (l *Lowerer) rules(f *policy.Filter, fam policy.Family) ([]Rule, error) {
	var out []Rule
	for _, r := range f.Rules {
		lr, ok, err := l.rule(f, r, fam)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, lr)
		}
	}
	return out, nil
}

func (l *Lowerer) rule(f *policy.Filter, r *policy.Rule, fam policy.Family) (Rule, bool, error) {
	m := &r.Match
	lr := Rule{Orig: r, Name: r.Name, Action: r.Action, Protocols: m.Protocols, SrcPorts: m.SrcPorts, DstPorts: m.DstPorts,
		ICMPTypes: m.ICMPTypes, ICMPCodes: m.ICMPCodes, Match: *m, Inactive: r.Inactive, Extras: r.Extras}
	where := fmt.Sprintf("filter %s rule %s (line %d)", f.Name, r.Name, r.Pos.Line)
	if r.Inactive && !l.Caps.Inactive {
		l.warnf("%s: inactive rule left out (%s has no inactive entries; it never matches)", where, l.Caps.Vendor)
		return lr, false, nil
	}
	if m.InIface != "" || m.OutIface != "" {
		l.warnf("%s: interface condition cannot be written in %s filters; rule left out", where, l.Caps.Vendor)
		return lr, false, nil
	}
	if len(m.Unresolved) > 0 {
		l.warnf("%s: matches nothing (unresolved %s); rule left out", where, strings.Join(m.Unresolved, ", "))
		return lr, false, nil
	}
	for _, rs := range []*policy.Ranges{m.Protocols, m.SrcPorts, m.DstPorts, m.ICMPTypes, m.ICMPCodes} {
		if rs != nil && len(*rs) == 0 {
			l.warnf("%s: matches nothing (an empty protocol, port or ICMP set); rule left out", where)
			return lr, false, nil
		}
	}
	switch r.Action {
	case policy.Next:
		if !l.Caps.Next {
			if r.Extras.Count != "" || r.Extras.Log {
				l.warnf("%s: non-terminating count/log rule has no %s equivalent; left out (no verdict changes)", where, l.Caps.Vendor)
			}
			return lr, false, nil
		}
	case policy.Reject:
		if !l.Caps.Reject {
			l.warnf("%s: %s has no reject action; written as deny (the sender gets no ICMP/RST)", where, l.Caps.Vendor)
			lr.Action = policy.Deny
		}
	}
	var ok bool
	var err error
	if lr.Src, ok, err = l.addr(where, "source", m.Src, fam); err != nil || !ok {
		return lr, ok, err
	}
	if lr.Dst, ok, err = l.addr(where, "destination", m.Dst, fam); err != nil || !ok {
		return lr, ok, err
	}
	return lr, true, nil
}

// addr lowers one address condition to family fam; ok is false when the
// rule matches nothing in that family (and is left out).
func (l *Lowerer) addr(where, what string, am policy.AddrMatch, fam policy.Family) (Addr, bool, error) {
	if am.Any && !am.Negate {
		return Addr{Any: true}, true, nil
	}
	if am.Any && am.Negate {
		return Addr{}, false, nil
	}
	set := FamilySet(am.Set, fam)
	if am.Negate {
		if len(set.Wildcards()) > 0 {
			return Addr{}, false, fmt.Errorf("%s: negated %s address with a non-contiguous wildcard cannot be written in %s", where, what, l.Caps.Vendor)
		}
		set = Complement(set, fam)
		if set.IsEmpty() {
			return Addr{}, false, nil
		}
		if full(set, fam) {
			return Addr{Any: true}, true, nil
		}
		return Addr{Set: set}, true, nil
	}
	if len(set.Wildcards()) > 0 && !l.Caps.Wildcards {
		exp, n, err := ExpandWildcards(set)
		if err != nil {
			return Addr{}, false, fmt.Errorf("%s: %s address: %v", where, what, err)
		}
		l.warnf("%s: %s non-contiguous wildcard %s written as its %d prefixes (%s has no wildcard masks)", where, what, set.Wildcards()[0], n, l.Caps.Vendor)
		set = exp
	}
	a := Addr{Set: set}
	if refs := l.keepRefs(am, set, fam); refs != nil {
		a.Refs = refs
		if set.IsEmpty() {
			// an unresolved object kept as such (apply-path, fqdn): both
			// sides match nothing
			return a, true, nil
		}
	}
	if set.IsEmpty() {
		if len(am.Unresolved) > 0 {
			l.warnf("%s: %s matches nothing (unresolved %s); rule left out", where, what, strings.Join(am.Unresolved, ", "))
		}
		return Addr{}, false, nil
	}
	if full(set, fam) && fam != policy.FamilyAny {
		return Addr{Any: true, Refs: a.Refs}, true, nil
	}
	return a, true, nil
}

// keepRefs returns the references of am when the target writes those
// objects and their union (restricted to fam) is exactly set.
func (l *Lowerer) keepRefs(am policy.AddrMatch, set *policy.AddrSet, fam policy.Family) []string {
	if len(am.Refs) == 0 || l.Caps.Objects == nil {
		return nil
	}
	var b policy.AddrSetBuilder
	unresolved := false
	for _, name := range am.Refs {
		o := l.Cfg.Object(name)
		if o == nil || (o.Addrs == nil && o.Unresolved == "") || !l.Caps.Objects(o) {
			return nil
		}
		if o.Unresolved != "" {
			unresolved = true
		}
		b.AddSet(o.Addrs)
	}
	got := FamilySet(b.Set(), fam)
	if unresolved {
		// the object's addresses are unknown: keep it only when the
		// condition is exactly "that object" (no other entries)
		if !set.IsEmpty() && !SameSet(got, set) {
			return nil
		}
	} else if got.IsEmpty() || !SameSet(got, set) {
		return nil
	}
	for _, name := range am.Refs {
		l.objs[name] = true
	}
	return am.Refs
}

// flatten writes filter f (family fam) from its decision map: one rule per
// region of each verdict other than the default, then the default.
func (l *Lowerer) flatten(f *policy.Filter, fam policy.Family) ([]Rule, error) {
	m := policy.NewManager(0)
	dm := m.Decisions(l.Cfg, f)
	verdicts := dm.Verdicts()
	var out []Rule
	acts := []policy.Action{policy.Permit, policy.Reject, policy.Deny}
	n := 0
	def := f.Default
	if def == policy.Reject && !l.Caps.Reject {
		def = policy.Deny
	}
	for _, act := range acts {
		s, ok := verdicts[act]
		if !ok || act == f.Default {
			continue
		}
		if act == policy.Reject && !l.Caps.Reject {
			l.warnf("filter %s: %s has no reject action; rejected packets written as deny", f.Name, l.Caps.Vendor)
			if def == policy.Deny {
				continue // the implicit deny decides them
			}
		}
		s = s.Intersect(m.Universe(fam))
		regions, _ := s.Regions(0)
		for _, rg := range regions {
			rs, err := l.regionRules(f, rg, act)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				n++
				r.Name = fmt.Sprintf("flat-%d", n)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (l *Lowerer) regionRules(f *policy.Filter, rg policy.Region, act policy.Action) ([]Rule, error) {
	if act == policy.Reject && !l.Caps.Reject {
		act = policy.Deny
	}
	src, err := regionAddr(rg.Src, rg.SrcExcept, rg.Family)
	if err != nil {
		return nil, err
	}
	dst, err := regionAddr(rg.Dst, rg.DstExcept, rg.Family)
	if err != nil {
		return nil, err
	}
	for _, a := range []*Addr{&src, &dst} {
		if a.Set != nil && len(a.Set.Wildcards()) > 0 && !l.Caps.Wildcards {
			exp, _, err := ExpandWildcards(a.Set)
			if err != nil {
				return nil, fmt.Errorf("filter %s: region %s: %v", f.Name, rg, err)
			}
			a.Set = exp
		}
	}
	base := Rule{Action: act, Src: src, Dst: dst, Synthetic: true}
	if rg.Protocols != nil {
		p := rg.Protocols
		base.Protocols = &p
	}
	if rg.SrcPorts != nil {
		p := rg.SrcPorts
		base.SrcPorts = &p
	}
	if rg.DstPorts != nil {
		p := rg.DstPorts
		base.DstPorts = &p
	}
	if rg.ICMP == nil {
		return []Rule{base}, nil
	}
	var out []Rule
	for _, ir := range rg.ICMP {
		r := base
		t := policy.Ranges{ir.Types}
		r.ICMPTypes = &t
		if ir.Codes != (policy.Range{Lo: 0, Hi: 255}) {
			c := policy.Ranges{ir.Codes}
			r.ICMPCodes = &c
		}
		out = append(out, r)
	}
	return out, nil
}

func regionAddr(vals []string, except bool, fam policy.Family) (Addr, error) {
	if vals == nil && !except {
		return Addr{Any: true}, nil
	}
	var b policy.AddrSetBuilder
	for _, v := range vals {
		if a, w, ok := strings.Cut(v, " "); ok {
			wa, err1 := netip.ParseAddr(a)
			wm, err2 := netip.ParseAddr(w)
			if err1 != nil || err2 != nil {
				return Addr{}, fmt.Errorf("bad region address %q", v)
			}
			b.AddWildcard(policy.Wildcard{Addr: wa, Mask: wm})
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return Addr{}, fmt.Errorf("bad region address %q", v)
		}
		b.AddPrefix(p)
	}
	s := b.Set()
	if except {
		if len(s.Wildcards()) > 0 {
			return Addr{}, fmt.Errorf("region address except %v cannot be written", vals)
		}
		s = Complement(s, fam)
	}
	if full(s, fam) {
		return Addr{Any: true}, nil
	}
	return Addr{Set: s}, nil
}

var (
	all4 = netip.MustParsePrefix("0.0.0.0/0")
	all6 = netip.MustParsePrefix("::/0")
)

// FamilySet returns the addresses of s in family fam (all of s for Any).
func FamilySet(s *policy.AddrSet, fam policy.Family) *policy.AddrSet {
	if s == nil {
		return &policy.AddrSet{}
	}
	if fam == policy.FamilyAny {
		return s
	}
	v6 := fam == policy.FamilyIPv6
	var rr []netipx.IPRange
	for _, r := range s.Ranges() {
		if r.From().Is6() == v6 {
			rr = append(rr, r)
		}
	}
	var ws []policy.Wildcard
	for _, w := range s.Wildcards() {
		if w.Addr.Is6() == v6 {
			ws = append(ws, w)
		}
	}
	return policy.NewAddrSetFromRanges(rr, ws)
}

// Complement returns every address of fam (both families for Any) not in s
// (contiguous part only).
func Complement(s *policy.AddrSet, fam policy.Family) *policy.AddrSet {
	var b policy.AddrSetBuilder
	if fam != policy.FamilyIPv6 {
		b.AddPrefix(all4)
	}
	if fam != policy.FamilyIPv4 {
		b.AddPrefix(all6)
	}
	b.RemoveSet(s)
	return b.Set()
}

func full(s *policy.AddrSet, fam policy.Family) bool {
	return Complement(s, fam).IsEmpty()
}

// SameSet reports whether a and b hold the same addresses and patterns.
func SameSet(a, b *policy.AddrSet) bool {
	ra, rb := a.Ranges(), b.Ranges()
	if len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		if ra[i] != rb[i] {
			return false
		}
	}
	wa, wb := a.Wildcards(), b.Wildcards()
	if len(wa) != len(wb) {
		return false
	}
	for i := range wa {
		if wa[i] != wb[i] {
			return false
		}
	}
	return true
}

// IsV6 reports whether the set holds only IPv6 addresses (false for empty).
func IsV6(s *policy.AddrSet) bool {
	has4, has6 := false, false
	for _, r := range s.Ranges() {
		if r.From().Is4() {
			has4 = true
		} else {
			has6 = true
		}
	}
	return has6 && !has4
}

// Prefixes lists the set's contiguous part as minimal prefixes, IPv4 first.
func Prefixes(s *policy.AddrSet) []netip.Prefix {
	ps := s.Prefixes()
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Addr().Is4() && !ps[j].Addr().Is4() })
	return ps
}

// PortProtos are the protocols whose flows carry ports.
var PortProtos = policy.NewRanges(policy.Range{Lo: policy.ProtoTCP, Hi: policy.ProtoTCP}, policy.Range{Lo: policy.ProtoUDP, Hi: policy.ProtoUDP},
	policy.Range{Lo: policy.ProtoSCTP, Hi: policy.ProtoSCTP}, policy.Range{Lo: policy.ProtoDCCP, Hi: policy.ProtoDCCP})

// ICMPProtos are ICMP and ICMPv6.
var ICMPProtos = policy.NewRanges(policy.Range{Lo: policy.ProtoICMP, Hi: policy.ProtoICMP}, policy.Range{Lo: policy.ProtoICMPv6, Hi: policy.ProtoICMPv6})

// EffectiveProtocols is the protocol set a rule really matches: a port
// condition limits it to port-carrying protocols, an ICMP condition to
// ICMP/ICMPv6. nil means any protocol.
func (r *Rule) EffectiveProtocols() *policy.Ranges {
	p := r.Protocols
	lim := func(x policy.Ranges) {
		if p == nil {
			y := append(policy.Ranges(nil), x...)
			p = &y
		} else {
			y := p.Intersect(x)
			p = &y
		}
	}
	if r.SrcPorts != nil || r.DstPorts != nil {
		lim(PortProtos)
	}
	if r.ICMPTypes != nil || r.ICMPCodes != nil {
		lim(ICMPProtos)
	}
	return p
}

// Values lists every value of rs (rs must be small).
func Values(rs policy.Ranges) []uint16 {
	var out []uint16
	for _, r := range rs {
		for v := uint32(r.Lo); v <= uint32(r.Hi); v++ {
			out = append(out, uint16(v))
		}
	}
	return out
}

// Count is the number of values in rs.
func Count(rs policy.Ranges) int {
	n := 0
	for _, r := range rs {
		n += int(r.Hi) - int(r.Lo) + 1
	}
	return n
}

// MaxWildcardPrefixes bounds the expansion of one non-contiguous wildcard
// into prefixes for targets without wildcard masks.
const MaxWildcardPrefixes = 1 << 16

// ExpandWildcards returns s with its symbolic wildcard patterns replaced by
// the exact prefixes they match, and the number of prefixes added.
func ExpandWildcards(s *policy.AddrSet) (*policy.AddrSet, int, error) {
	var b policy.AddrSetBuilder
	for _, r := range s.Ranges() {
		b.AddRange(r)
	}
	total := 0
	for _, w := range s.Wildcards() {
		a, m := w.Addr.AsSlice(), w.Mask.AsSlice()
		nbits := len(m) * 8
		bit := func(x []byte, i int) bool { return x[i/8]>>(7-uint(i%8))&1 == 1 }
		trailing := 0
		for i := nbits - 1; i >= 0 && bit(m, i); i-- {
			trailing++
		}
		var free []int
		for i := 0; i < nbits-trailing; i++ {
			if bit(m, i) {
				free = append(free, i)
			}
		}
		if len(free) > 16 {
			return nil, 0, fmt.Errorf("non-contiguous wildcard %s matches %d separate prefixes; too many to write without wildcard masks", w, 1<<len(free))
		}
		base := append([]byte(nil), a...)
		for i := range base {
			base[i] &^= m[i]
		}
		for combo := 0; combo < 1<<len(free); combo++ {
			x := append([]byte(nil), base...)
			for k, pos := range free {
				if combo>>k&1 == 1 {
					x[pos/8] |= 1 << (7 - uint(pos%8))
				}
			}
			addr, _ := netip.AddrFromSlice(x)
			b.AddPrefix(netip.PrefixFrom(addr, nbits-trailing))
			total++
		}
	}
	return b.Set(), total, nil
}
