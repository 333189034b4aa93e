package junos

import (
	"fmt"
	"math/bits"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors/render"
)

// SRX security policies are written from the "srx-policy" filters of a
// Junos config:
//   - A zone pair filter ("A>B") is its own policies followed by the global
//     policies that apply to it (rules carrying Extras.Vendor "scope" =
//     "global", or the rules of the "global" filter). The own policies go
//     under "security policies from-zone A to-zone B", the global ones once
//     under "security policies global" (in source order, with their match
//     from-zone / to-zone), so parsing the output gives every pair filter
//     and the global filter the same rules in the same order.
//   - One policy per run of rules sharing name, position, addresses and
//     action (the parser writes one rule per application shape); names,
//     order, inactive, description, count, log (as "log session-init"),
//     scheduler-name (and the scheduler) and comments are kept. A repeated
//     name in one context gets a "-2" suffix.
//   - Addresses: the address book entries and address-sets the policies
//     name are written to the global address book (zone and named books
//     included; an entry whose name is taken there by different addresses
//     becomes NAME-BOOK). any, any-ipv4 and any-ipv6 stay keywords. When
//     the named entries do not give exactly the policy's addresses, the
//     policy names exact per-prefix addresses "fwpol_ADDR_LEN" (reported).
//   - Applications: kept by name when the names give exactly the policy's
//     match (junos-* predefined ones, application-sets of them, and custom
//     applications whose definition a policy naming only it reveals);
//     otherwise one application per protocol/port/ICMP shape: a predefined
//     junos-* name when it equals one exactly, else a custom
//     "applications application fwpol-..." (reported).
//   - Zones with the interfaces known, and "default-policy permit-all" when
//     the filters default to permit.
//   - Only Junos SRX configs have srx-policy filters: another vendor's ACL
//     is written as a firewall filter, never as SRX policies.

type srxPolicy struct {
	name     string
	rules    []*policy.Rule
	global   bool
	from, to []string // zones a global policy's match names
	// zones whose address books the policy's source and destination see
	// ("" for global policies: the global book only)
	srcZone, dstZone string
}

type srxPair struct {
	from, to string
	pols     []*srxPolicy
}

type srxRender struct {
	jr    *jrender
	zones map[string]bool // zone names of the config

	addrObjs map[string][]*policy.Object          // address / address-set objects by name
	byScope  map[string]map[string]*policy.Object // scope -> name -> address object
	appObjs  map[string]*policy.Object            // application / application-set objects
	scheds   map[string]*policy.Object

	book, apps, schedN *node

	// address book output: written name -> content key and kind
	written     map[string]string
	writtenKind map[string]string
	alias       map[*policy.Object]string
	reserved    map[string]bool // address names policies keep undefined
	appReserved map[string]bool // application names not free for fwpol-*

	learned     map[string][]app // custom application -> definition (nil: conflicting)
	learnedKey  map[string]string
	appWritten  map[string]bool
	customByKey map[string]string
	predefIdx   map[string]string
	schedDone   map[string]bool
}

func (jr *jrender) newSRX(cfg *policy.Config) *srxRender {
	sr := &srxRender{jr: jr, zones: map[string]bool{}, addrObjs: map[string][]*policy.Object{},
		byScope: map[string]map[string]*policy.Object{}, appObjs: map[string]*policy.Object{}, scheds: map[string]*policy.Object{},
		book: &node{key: "address-book"}, apps: &node{key: "applications"}, schedN: &node{key: "schedulers"},
		written: map[string]string{}, writtenKind: map[string]string{}, alias: map[*policy.Object]string{}, reserved: map[string]bool{}, appReserved: map[string]bool{},
		learned: map[string][]app{}, learnedKey: map[string]string{}, appWritten: map[string]bool{}, customByKey: map[string]string{},
		predefIdx: map[string]string{}, schedDone: map[string]bool{}}
	for _, f := range cfg.Filters {
		if f.Kind == "srx-policy" {
			for _, k := range []string{"from-zone", "to-zone"} {
				if z := f.Meta[k]; z != "" {
					sr.zones[z] = true
				}
			}
		}
	}
	for _, o := range cfg.Objects {
		switch o.Kind {
		case "address", "address-set":
			sr.addrObjs[o.Name] = append(sr.addrObjs[o.Name], o)
			m := sr.byScope[o.Scope]
			if m == nil {
				m = map[string]*policy.Object{}
				sr.byScope[o.Scope] = m
			}
			if m[o.Name] == nil {
				m[o.Name] = o
			}
		case "application", "application-set":
			if sr.appObjs[o.Name] == nil {
				sr.appObjs[o.Name] = o
			}
		case policy.KindScheduler:
			sr.scheds[o.Name] = o
		}
	}
	names := make([]string, 0, len(predefined))
	for n := range predefined {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if sr.appObjs[n] != nil {
			continue // a custom application of that name hides the predefined one
		}
		if gs := groupApps(predefined[n]); len(gs) == 1 {
			if k := appKey(gs[0]); sr.predefIdx[k] == "" {
				sr.predefIdx[k] = n
			}
		}
	}
	return sr
}

// srx writes the security policies of the srx-policy filters fs.
func (jr *jrender) srx(root *node, cfg *policy.Config, fs []*policy.Filter) {
	sr := jr.newSRX(cfg)
	globalKeys := map[string]bool{}
	for _, f := range cfg.Filters {
		if f.Kind == "srx-policy" && f.Meta["scope"] == "global" {
			for _, r := range f.Rules {
				globalKeys[ruleKey(r)] = true
			}
		}
	}
	isGlobal := func(p *srxPolicy) bool {
		r := p.rules[0]
		return r.Extras.Vendor["scope"] == "global" || globalKeys[ruleKey(r)]
	}
	var pairs []*srxPair
	var globals []*srxPolicy
	seenGlobal := map[string]bool{}
	addGlobal := func(p *srxPolicy) {
		k := ruleKey(p.rules[0])
		if seenGlobal[k] {
			return
		}
		seenGlobal[k] = true
		p.global = true
		v := p.rules[0].Extras.Vendor
		if s := v["from-zones"]; s != "" {
			p.from = strings.Split(s, ",")
		}
		if s := v["to-zones"]; s != "" {
			p.to = strings.Split(s, ",")
		}
		globals = append(globals, p)
	}
	permitAll := false
	for _, f := range fs {
		if f.Default == policy.Permit {
			permitAll = true
		}
		pols := splitPolicies(f.Rules)
		if f.Meta["scope"] == "global" {
			for _, p := range pols {
				addGlobal(p)
			}
			continue
		}
		from, to := f.Meta["from-zone"], f.Meta["to-zone"]
		if from == "" || to == "" {
			jr.warn("filter %s: SRX policy list without from-zone/to-zone; not written", f.Name)
			continue
		}
		// the pair's own policies end at its last non-global one
		k := len(pols)
		for k > 0 && isGlobal(pols[k-1]) {
			k--
		}
		for _, p := range pols[:k] {
			if isGlobal(p) {
				jr.warn("filter %s: global policy %s precedes the zone pair's own policies; written as a policy of the pair", f.Name, p.name)
			}
		}
		for _, p := range pols[:k] {
			p.srcZone, p.dstZone = from, to
		}
		pairs = append(pairs, &srxPair{from: from, to: to, pols: pols[:k]})
		for _, p := range pols[k:] {
			addGlobal(p)
		}
	}
	// global policies in source order (each pair holds those applying to it)
	sort.SliceStable(globals, func(i, j int) bool {
		a, b := globals[i].rules[0].Pos, globals[j].rules[0].Pos
		if a.File != b.File || a.Line == 0 || b.Line == 0 {
			return false
		}
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})

	all := make([]*srxPolicy, 0, len(globals))
	for _, pr := range pairs {
		all = append(all, pr.pols...)
	}
	all = append(all, globals...)
	sr.prepare(all)

	zones := &node{key: "zones"}
	ifaces := map[string][]string{}
	for _, f := range cfg.Filters {
		if f.Kind != "srx-policy" {
			continue
		}
		for _, side := range []string{"from", "to"} {
			if z, l := f.Meta[side+"-zone"], f.Meta[side+"-interfaces"]; z != "" && l != "" && ifaces[z] == nil {
				ifaces[z] = strings.Split(l, ",")
			}
		}
	}
	addZone := func(z string) {
		zn := zones.add("security-zone " + quote(z))
		for _, i := range ifaces[z] {
			zn.add("interfaces", quote(i))
		}
	}
	for _, pr := range pairs {
		addZone(pr.from)
		addZone(pr.to)
	}
	for _, p := range globals {
		for _, z := range append(append([]string(nil), p.from...), p.to...) {
			addZone(z)
		}
	}

	pols := &node{key: "policies"}
	for _, pr := range pairs {
		ctx := pols.add("from-zone " + quote(pr.from) + " to-zone " + quote(pr.to))
		used := map[string]bool{}
		for _, p := range pr.pols {
			sr.policy(ctx, p, used)
		}
	}
	if len(globals) > 0 {
		ctx := pols.add("global")
		used := map[string]bool{}
		for _, p := range globals {
			sr.policy(ctx, p, used)
		}
	}
	switch {
	case permitAll:
		pols.add("default-policy", "permit-all")
	case len(pols.kids) == 0:
		// nothing else would make the (global) policy list exist
		pols.add("default-policy", "deny-all")
	}
	sec := root.add("security")
	for _, n := range []*node{sr.book, zones, pols} {
		sec.attach(n)
	}
	root.attach(sr.apps)
	root.attach(sr.schedN)
}

// attach adds kid (with its key) under n when it has content.
func (n *node) attach(kid *node) {
	if len(kid.kids) == 0 {
		return
	}
	if n.idx == nil {
		n.idx = map[string]*node{}
	}
	if old := n.idx[kid.key]; old != nil {
		old.kids = append(old.kids, kid.kids...)
		for k, v := range kid.idx {
			old.idx[k] = v
		}
		return
	}
	n.idx[kid.key] = kid
	n.kids = append(n.kids, kid)
}

func ruleKey(r *policy.Rule) string { return r.Name + "\x00" + r.Pos.String() }

// splitPolicies groups a filter's rules into policies: the parser writes a
// policy as consecutive rules of one name and position that differ only in
// protocol, port and ICMP conditions.
func splitPolicies(rules []*policy.Rule) []*srxPolicy {
	var out []*srxPolicy
	for _, r := range rules {
		if n := len(out); n > 0 && samePolicy(out[n-1].rules[0], r) {
			out[n-1].rules = append(out[n-1].rules, r)
			continue
		}
		out = append(out, &srxPolicy{name: r.Name, rules: []*policy.Rule{r}})
	}
	return out
}

func samePolicy(a, b *policy.Rule) bool {
	return a.Name == b.Name && a.Pos == b.Pos && a.Action == b.Action && a.Inactive == b.Inactive &&
		sameAddrMatch(a.Match.Src, b.Match.Src) && sameAddrMatch(a.Match.Dst, b.Match.Dst) &&
		strings.Join(a.Match.ServiceRefs, ",") == strings.Join(b.Match.ServiceRefs, ",") &&
		strings.Join(a.Match.Unresolved, ",") == strings.Join(b.Match.Unresolved, ",") &&
		a.Extras.Count == b.Extras.Count && a.Extras.Log == b.Extras.Log && a.Extras.TimeRange == b.Extras.TimeRange &&
		a.Extras.Vendor["scope"] == b.Extras.Vendor["scope"]
}

func sameAddrMatch(a, b policy.AddrMatch) bool {
	return a.Any == b.Any && a.Negate == b.Negate && render.SameSet(a.Set, b.Set) && strings.Join(a.Refs, ",") == strings.Join(b.Refs, ",")
}

// groups are the application shapes a policy's rules match (rules that
// match no protocol, the parser's mark for "no application", left out).
func (p *srxPolicy) groups() []app {
	var out []app
	for _, r := range p.rules {
		m := &r.Match
		if m.Protocols != nil && len(*m.Protocols) == 0 {
			continue
		}
		out = append(out, app{protos: m.Protocols, sports: m.SrcPorts, dports: m.DstPorts, itypes: m.ICMPTypes, icodes: m.ICMPCodes})
	}
	return groupApps(out)
}

func appKey(a app) string {
	return rangesKey(a.protos) + "|" + rangesKey(a.sports) + "|" + rangesKey(a.dports) + "|" + rangesKey(a.itypes) + "|" + rangesKey(a.icodes)
}

// appsKey is a canonical key of the flows a list of application terms
// matches, as the parser groups them.
func appsKey(as []app) string {
	gs := groupApps(as)
	ks := make([]string, len(gs))
	for i, g := range gs {
		ks[i] = appKey(g)
	}
	sort.Strings(ks)
	return strings.Join(ks, ";")
}

// prepare learns what the policies reveal (custom application
// definitions) and reserves the undefined names they keep.
func (sr *srxRender) prepare(all []*srxPolicy) {
	for _, p := range all {
		m := &p.rules[0].Match
		// a name undefined where the policy looks it up stays undefined:
		// no written entry may take it
		for _, n := range m.Src.Refs {
			if sr.lookup(p.srcZone, n) == nil {
				sr.reserved[n] = true
			}
		}
		for _, n := range m.Dst.Refs {
			if sr.lookup(p.dstZone, n) == nil {
				sr.reserved[n] = true
			}
		}
		for _, n := range m.Unresolved {
			sr.appReserved[n] = true
		}
		if len(m.Unresolved) > 0 || len(m.ServiceRefs) != 1 {
			continue
		}
		name := m.ServiceRefs[0]
		if o := sr.appObjs[name]; o == nil || o.Kind != "application" {
			continue
		}
		gs := p.groups()
		k := appsKey(gs)
		if old, ok := sr.learnedKey[name]; ok && old != k {
			sr.learned[name] = nil
			continue
		}
		if _, ok := sr.learnedKey[name]; !ok {
			sr.learned[name], sr.learnedKey[name] = gs, k
		}
	}
	for n := range sr.appObjs {
		sr.appReserved[n] = true
	}
}

// policy writes one policy under ctx (a zone pair or "global").
func (sr *srxRender) policy(ctx *node, p *srxPolicy, used map[string]bool) {
	jr := sr.jr
	r0 := p.rules[0]
	name := p.name
	if name == "" {
		name = "policy"
	}
	if used[name] {
		base := name
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		jr.warn("policy %s: name repeated in %s; written as %s", base, ctxName(ctx.key), name)
	}
	used[name] = true
	where := fmt.Sprintf("policy %s (%s)", p.name, ctxName(ctx.key))
	pn := ctx.add("policy " + quote(name))
	pn.inactive = r0.Inactive
	if jr.same {
		pn.comment = r0.Extras.Comment
	}
	if d := r0.Extras.Vendor["description"]; d != "" {
		pn.add("description " + quoteAlways(d))
	}
	m := &r0.Match
	for _, n := range sr.side(p.srcZone, m.Src, where+" source") {
		pn.add("match", "source-address "+quote(n))
	}
	for _, n := range sr.side(p.dstZone, m.Dst, where+" destination") {
		pn.add("match", "destination-address "+quote(n))
	}
	for _, n := range sr.applications(p, where) {
		pn.add("match", "application "+quote(n))
	}
	if m.Src.Negate {
		pn.add("match", "source-address-excluded")
	}
	if m.Dst.Negate {
		pn.add("match", "destination-address-excluded")
	}
	for _, z := range p.from {
		pn.add("match", "from-zone "+quote(z))
	}
	for _, z := range p.to {
		pn.add("match", "to-zone "+quote(z))
	}
	switch r0.Action {
	case policy.Permit:
		pn.add("then", "permit")
	case policy.Reject:
		pn.add("then", "reject")
	case policy.Deny:
		pn.add("then", "deny")
	default:
		jr.warn("%s: action %s has no SRX policy form; written as deny", where, r0.Action)
		pn.add("then", "deny")
	}
	if r0.Extras.Count != "" {
		pn.add("then", "count")
	}
	if r0.Extras.Log {
		pn.add("then", "log", "session-init")
	}
	if s := r0.Extras.TimeRange; s != "" {
		pn.add("scheduler-name " + quote(s))
		sr.scheduler(s)
	}
}

func ctxName(key string) string {
	if key == "global" {
		return "global policies"
	}
	return key
}

// side returns the address names of one side of a policy and writes the
// book entries they need.
func (sr *srxRender) side(zone string, am policy.AddrMatch, where string) []string {
	if am.Any {
		return []string{"any"}
	}
	var names []string
	var sets []*policy.AddrSet
	for _, ref := range am.Refs {
		o := sr.lookup(zone, ref)
		if o == nil {
			// undefined in the original too: it contributes no address
			names = append(names, ref)
			continue
		}
		names = append(names, sr.emitAddr(o))
		sets = append(sets, o.Addrs)
	}
	want := am.Set
	for _, x := range anyKeywords {
		if want.ContainsPrefix(x.p) {
			names = append(names, x.kw)
			sets = append(sets, policy.SetOfPrefixes(x.p))
		}
	}
	var got *policy.AddrSet
	if len(sets) == 1 {
		got = sets[0]
	} else {
		var b policy.AddrSetBuilder
		for _, x := range sets {
			b.AddSet(x)
		}
		got = b.Set()
	}
	if render.SameSet(got, want) && len(names) > 0 {
		return names
	}
	if want.IsEmpty() {
		sr.jr.warn("%s: matches no address; written as the empty address-set fwpol-none", where)
		return []string{sr.emitAddr(&policy.Object{Kind: "address-set", Name: "fwpol-none", Scope: "fwpol"})}
	}
	names = names[:0]
	for _, p := range render.Prefixes(want) {
		names = append(names, sr.emitAddr(&policy.Object{Kind: "address", Name: srxAddrName("fwpol", p), Scope: "fwpol", Addrs: policy.SetOfPrefixes(p)}))
	}
	for _, w := range want.Wildcards() {
		var wb policy.AddrSetBuilder
		wb.AddWildcard(w)
		n := "fwpol_" + strings.ReplaceAll(w.Addr.String(), ":", "-") + "_w_" + strings.ReplaceAll(invertMask(w.Mask).String(), ":", "-")
		names = append(names, sr.emitAddr(&policy.Object{Kind: "address", Name: n, Scope: "fwpol", Addrs: wb.Set()}))
	}
	sr.jr.warn("%s: the address book entries %v do not give the policy's addresses; written as exact addresses %v", where, am.Refs, names)
	return names
}

var anyKeywords = []struct {
	kw string
	p  netip.Prefix
}{{"any-ipv4", netip.MustParsePrefix("0.0.0.0/0")}, {"any-ipv6", netip.MustParsePrefix("::/0")}}

// lookup finds the address book entry a policy in zone names, as the
// parser does: the zone's own book, other (attached) books, then global.
func (sr *srxRender) lookup(zone, name string) *policy.Object {
	cands := sr.addrObjs[name]
	pick := func(ok func(scope string) bool) *policy.Object {
		for _, c := range cands {
			if ok(c.Scope) {
				return c
			}
		}
		return nil
	}
	if zone != "" {
		if o := pick(func(s string) bool { return s == zone }); o != nil {
			return o
		}
		if o := pick(func(s string) bool { return s != "global" && !sr.zones[s] }); o != nil {
			return o
		}
	}
	return pick(func(s string) bool { return s == "global" })
}

// emitAddr writes o (and an address-set's members) to the global address
// book and returns the name it has there.
func (sr *srxRender) emitAddr(o *policy.Object) string {
	if n, ok := sr.alias[o]; ok {
		return n
	}
	key := addrKey(o)
	cands := []string{o.Name}
	if o.Scope != "" && o.Scope != "global" && o.Scope != "fwpol" {
		cands = append(cands, o.Name+"-"+o.Scope)
	}
	name := ""
	for i := 0; name == ""; i++ {
		c := fmt.Sprintf("%s-%d", cands[len(cands)-1], i-len(cands)+2)
		if i < len(cands) {
			c = cands[i]
		}
		if k, ok := sr.written[c]; ok {
			if k == key {
				sr.alias[o] = c
				return c
			}
			continue
		}
		// a global book entry keeps its name
		g := sr.byScope["global"][c]
		if !sr.reserved[c] && (g == nil || g == o || addrKey(g) == key) {
			name = c
		}
	}
	if name != o.Name {
		sr.jr.warn("address book %s: %s %s written as %s (the global address book has another %s)", o.Scope, o.Kind, o.Name, name, o.Name)
	}
	sr.written[name], sr.writtenKind[name] = key, o.Kind
	sr.alias[o] = name
	global := sr.book.add("global")
	entry := "address " + quote(name)
	if o.Kind == "address-set" {
		var members []string
		for _, m := range o.Members {
			mo := sr.byScope[o.Scope][m]
			if mo == nil {
				sr.jr.warn("address-set %s: member %s is not defined (contributes no address); left out", o.Name, m)
				continue
			}
			mn := sr.emitAddr(mo)
			members = append(members, sr.writtenKind[mn]+" "+quote(mn))
		}
		sn := global.add("address-set " + quote(name))
		for _, m := range members {
			sn.add(m)
		}
		return name
	}
	if dns, ok := strings.CutPrefix(o.Unresolved, "dns-name "); ok {
		global.add(entry, "dns-name "+quote(dns))
		return name
	}
	if o.Unresolved != "" {
		sr.jr.warn("address %s: %s; written without addresses", o.Name, o.Unresolved)
	}
	switch v, ok := addrValue(o.Addrs); {
	case ok && v == "":
		global.add(entry)
	case ok:
		global.add(entry + " " + v)
	default:
		// an address holds one value: several become an address-set
		sr.writtenKind[name] = "address-set"
		var subs []string
		for i, pc := range addrSplit(o.Addrs) {
			subs = append(subs, sr.emitAddr(&policy.Object{Kind: "address", Name: fmt.Sprintf("%s-%d", o.Name, i+1), Scope: o.Scope, Addrs: pc}))
		}
		sn := global.add("address-set " + quote(name))
		for _, sub := range subs {
			sn.add("address " + quote(sub))
		}
	}
	return name
}

func addrKey(o *policy.Object) string { return o.Kind + "|" + o.Addrs.String() + "|" + o.Unresolved }

// addrValue writes a set as one address value (a prefix, range-address
// or wildcard-address; "" for the empty set); ok is false when it takes
// several.
func addrValue(s *policy.AddrSet) (v string, ok bool) {
	rr, ws := s.Ranges(), s.Wildcards()
	switch {
	case len(rr) == 1 && len(ws) == 0:
		if p, ok := rr[0].Prefix(); ok {
			return p.String(), true
		}
		return "range-address " + rr[0].From().String() + " to " + rr[0].To().String(), true
	case len(rr) == 0 && len(ws) == 1:
		return wildcardValue(ws[0]), true
	case len(rr) == 0 && len(ws) == 0:
		return "", true
	}
	if w, ok := asWildcard(s); ok {
		return wildcardValue(w), true
	}
	return "", false
}

// addrSplit splits a set into one-value sets (ranges, then patterns).
func addrSplit(s *policy.AddrSet) []*policy.AddrSet {
	var out []*policy.AddrSet
	for _, r := range s.Ranges() {
		var b policy.AddrSetBuilder
		b.AddRange(r)
		out = append(out, b.Set())
	}
	for _, w := range s.Wildcards() {
		var b policy.AddrSetBuilder
		b.AddWildcard(w)
		out = append(out, b.Set())
	}
	return out
}

func wildcardValue(w policy.Wildcard) string {
	return "wildcard-address " + w.Addr.String() + "/" + invertMask(w.Mask).String()
}

// invertMask turns the model's don't-care bits into Junos' must-match mask
// (and back).
func invertMask(m netip.Addr) netip.Addr {
	b := m.AsSlice()
	for i := range b {
		b[i] = ^b[i]
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// asWildcard finds the wildcard pattern a set of equal-size prefixes was
// expanded from (the parser expands small non-contiguous wildcards).
func asWildcard(s *policy.AddrSet) (policy.Wildcard, bool) {
	rr := s.Ranges()
	if len(s.Wildcards()) > 0 || len(rr) < 2 || len(rr)&(len(rr)-1) != 0 {
		return policy.Wildcard{}, false
	}
	var ps []netip.Prefix
	for _, r := range rr {
		ps = append(ps, r.Prefixes()...)
	}
	if len(ps)&(len(ps)-1) != 0 {
		return policy.Wildcard{}, false
	}
	base := ps[0].Addr().AsSlice()
	l := ps[0].Bits()
	mask := make([]byte, len(base))
	for _, p := range ps {
		if p.Bits() != l || p.Addr().Is4() != ps[0].Addr().Is4() {
			return policy.Wildcard{}, false
		}
		a := p.Addr().AsSlice()
		for i := range a {
			mask[i] |= a[i] ^ base[i]
		}
	}
	free := 0
	for _, x := range mask {
		free += bits.OnesCount8(x)
	}
	if 1<<free != len(ps) {
		return policy.Wildcard{}, false
	}
	for i := l; i < len(base)*8; i++ {
		mask[i/8] |= 1 << (7 - uint(i%8))
	}
	ma, _ := netip.AddrFromSlice(mask)
	ba, _ := netip.AddrFromSlice(base)
	w := policy.Wildcard{Addr: ba, Mask: ma}
	var b policy.AddrSetBuilder
	b.AddWildcard(w)
	if !render.SameSet(b.Set(), s) {
		return policy.Wildcard{}, false
	}
	return w, true
}

// applications returns the application names of a policy and writes the
// definitions they need.
func (sr *srxRender) applications(p *srxPolicy, where string) []string {
	m := &p.rules[0].Match
	gs := p.groups()
	want := appsKey(gs)
	refs := m.ServiceRefs
	if len(m.Unresolved) == 0 {
		if len(refs) == 0 && want == appsKey([]app{{}}) {
			return []string{"any"}
		}
		if len(refs) > 0 {
			var union []app
			ok := true
			for _, r := range refs {
				xs, known := sr.known(r, 0)
				if !known {
					ok = false
					break
				}
				union = append(union, xs...)
			}
			if ok {
				names := append([]string(nil), refs...)
				got := appsKey(union)
				if got != want {
					// "application any" among named ones
					union = append(union, app{})
					names = append(names, "any")
					got = appsKey(union)
				}
				if got == want {
					for _, r := range refs {
						sr.needApp(r, 0)
					}
					return names
				}
			}
		}
	}
	// one application per shape
	var names []string
	have := map[string]bool{}
	add := func(n string) {
		if !have[n] {
			have[n] = true
			names = append(names, n)
		}
	}
	custom := false
	for _, g := range gs {
		if appKey(g) == appKey(app{}) {
			add("any")
			continue
		}
		if n := sr.predefIdx[appKey(g)]; n != "" {
			add(n)
			continue
		}
		rest := g
		if g.dports != nil && len(*g.dports) > 1 {
			var left policy.Ranges
			for _, r := range *g.dports {
				one := g
				one.dports = &policy.Ranges{r}
				if n := sr.predefIdx[appKey(one)]; n != "" {
					add(n)
				} else {
					left = append(left, r)
				}
			}
			if len(left) == 0 {
				continue
			}
			rest.dports = &left
		}
		add(sr.customApp(rest))
		custom = true
	}
	if custom && len(refs) > 0 {
		sr.jr.warn("%s: applications %v written as %v (same protocols and ports)", where, refs, names)
	}
	for _, u := range m.Unresolved {
		sr.jr.warn("%s: application %s is not defined: the policy matches nothing, and still names it", where, u)
		add(u)
	}
	if len(names) == 0 {
		sr.jr.warn("%s: matches no application; written with the undefined application fwpol-no-application", where)
		add("fwpol-no-application")
	}
	return names
}

// known resolves an application name from what the config reveals.
func (sr *srxRender) known(name string, depth int) ([]app, bool) {
	if depth > 16 {
		return nil, false
	}
	if name == "any" {
		return []app{{}}, true
	}
	if o := sr.appObjs[name]; o != nil {
		if o.Kind == "application" {
			gs, ok := sr.learned[name]
			return gs, ok && gs != nil
		}
		var out []app
		for _, mb := range o.Members {
			xs, ok := sr.known(mb, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, xs...)
		}
		return out, true
	}
	if xs, ok := predefined[name]; ok {
		return xs, true
	}
	if ms, ok := predefinedSets[name]; ok {
		var out []app
		for _, mb := range ms {
			out = append(out, predefined[mb]...)
		}
		return out, true
	}
	return nil, false
}

// needApp writes the definition of a custom application or set.
func (sr *srxRender) needApp(name string, depth int) {
	o := sr.appObjs[name]
	if o == nil || sr.appWritten[name] || depth > 16 {
		return
	}
	sr.appWritten[name] = true
	if o.Kind == "application" {
		sr.defineApp(name, sr.learned[name])
		return
	}
	sn := sr.apps.add("application-set " + quote(name))
	for _, mb := range o.Members {
		sr.needApp(mb, depth+1)
		kw := "application"
		if mo := sr.appObjs[mb]; mo != nil && mo.Kind == "application-set" || mo == nil && predefinedSets[mb] != nil {
			kw = "application-set"
		}
		sn.add(kw + " " + quote(mb))
	}
}

// customApp returns the fwpol-* application matching exactly g.
func (sr *srxRender) customApp(g app) string {
	k := appKey(g)
	if n := sr.customByKey[k]; n != "" {
		return n
	}
	parts := []string{"fwpol"}
	word := func(rs *policy.Ranges) string { return strings.ReplaceAll(rs.String(), ",", "_") }
	if g.protos != nil {
		var ps []string
		for _, r := range *g.protos {
			ps = append(ps, protoWord(r, policy.FamilyAny))
		}
		parts = append(parts, strings.Join(ps, "_"))
	}
	if g.sports != nil {
		parts = append(parts, "sport", word(g.sports))
	}
	if g.dports != nil {
		parts = append(parts, word(g.dports))
	}
	if g.itypes != nil {
		parts = append(parts, "type", word(g.itypes))
	}
	if g.icodes != nil {
		parts = append(parts, "code", word(g.icodes))
	}
	base := strings.Join(parts, "-")
	if len(base) > 48 {
		base = "fwpol-app"
	}
	name := base
	for i := 2; sr.appReserved[name] || sr.appWritten[name] || predefined[name] != nil || predefinedSets[name] != nil; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	sr.customByKey[k] = name
	sr.appWritten[name] = true
	sr.defineApp(name, []app{g})
	return name
}

// defineApp writes an application: one term per protocol, port range and
// ICMP type/code combination (Junos terms take single values).
func (sr *srxRender) defineApp(name string, gs []app) {
	an := sr.apps.add("application " + quote(name))
	type term []string
	var terms []term
	ranges := func(rs *policy.Ranges) []*policy.Range {
		if rs == nil {
			return []*policy.Range{nil}
		}
		out := make([]*policy.Range, len(*rs))
		for i := range *rs {
			out[i] = &(*rs)[i]
		}
		return out
	}
	for _, g := range gs {
		protos := []int{-1}
		if g.protos != nil {
			protos = protos[:0]
			for _, v := range render.Values(*g.protos) {
				protos = append(protos, int(v))
			}
		}
		for _, pr := range protos {
			for _, sp := range ranges(g.sports) {
				for _, dp := range ranges(g.dports) {
					for _, it := range ranges(g.itypes) {
						for _, ic := range ranges(g.icodes) {
							var t term
							icmp := "icmp"
							if pr >= 0 {
								t = append(t, "protocol "+protoWord(policy.Range{Lo: uint16(pr), Hi: uint16(pr)}, policy.FamilyIPv6))
								if pr == policy.ProtoICMPv6 {
									icmp = "icmp6"
								}
							}
							if sp != nil {
								t = append(t, "source-port "+sp.String())
							}
							if dp != nil {
								t = append(t, "destination-port "+dp.String())
							}
							if it != nil {
								t = append(t, icmp+"-type "+it.String())
							}
							if ic != nil {
								t = append(t, icmp+"-code "+ic.String())
							}
							terms = append(terms, t)
						}
					}
				}
			}
		}
	}
	if len(terms) == 1 {
		for _, a := range terms[0] {
			an.add(a)
		}
		return
	}
	for i, t := range terms {
		tn := an.add(fmt.Sprintf("term t%d", i+1))
		for _, a := range t {
			tn.add(a)
		}
	}
}

// scheduler writes the definition of a scheduler a policy names.
func (sr *srxRender) scheduler(name string) {
	o := sr.scheds[name]
	if o == nil || sr.schedDone[name] {
		return
	}
	sr.schedDone[name] = true
	sn := sr.schedN.add("scheduler " + quote(name))
	date := func(s string) (string, bool) {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return "", false
		}
		if t.Second() != 0 {
			return t.Format("2006-01-02.15:04:05"), true
		}
		return t.Format("2006-01-02.15:04"), true
	}
	start, ok1 := date(o.Meta[policy.MetaStart])
	stop, ok2 := date(o.Meta[policy.MetaEnd])
	if ok1 && ok2 {
		sn.add("start-date " + start + " stop-date " + stop)
	}
	if per := o.Meta[policy.MetaPeriodic]; per != "" {
		for _, c := range strings.Split(per, "; ") {
			w := strings.Fields(c)
			switch len(w) {
			case 0:
			case 1:
				sn.add(w[0])
			default:
				sn.add(w[0], strings.Join(w[1:], " "))
			}
		}
	}
	if len(sn.kids) == 0 {
		sr.jr.warn("scheduler %s: no dates or periods known; written empty", name)
	}
}
