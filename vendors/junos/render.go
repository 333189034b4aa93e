package junos

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/render"
)

// Render semantics:
//   - Firewall filters are written under "firewall family inet|inet6 filter
//     NAME" (opt.Format "set" or "hierarchical", default hierarchical); a
//     filter of both families (ASA, nftables inet) becomes an inet and an
//     inet6 filter of the same name. Prefix lists used by the filters are
//     written under policy-options, apply-path included.
//   - One term per rule, in order, named after the rule (Cisco sequence
//     numbers and ASA lines become "seq-N"/"line-N" style names; a repeated
//     name gets a "-2" suffix: Junos' "address"/"port" terms, which match
//     source OR destination, are two rules in the model and two terms here).
//   - Address sets are written as exact prefix lists in one term; references
//     whose objects hold exactly the term's addresses stay prefix-lists.
//   - Inactive terms stay "inactive:" ("deactivate" in set format); count,
//     log/syslog, policer, reject types and "next term" are kept.
//   - SRX security policies ("srx-policy" filters of a Junos config) are
//     written as zones, global address book, applications and zone-pair /
//     global policies (render_srx.go). The synthesized input-list filters
//     are not written (their members are); jumps of other vendors are
//     inlined exactly from the decision map (package render).

var junosCaps = render.Caps{Vendor: "junos", SplitFamilies: true, Reject: true, Next: true, Inactive: true,
	Objects: func(o *policy.Object) bool {
		return o.Unresolved == "" || strings.HasPrefix(o.Unresolved, "apply-path ")
	}}

// Render writes cfg's firewall filters as Junos configuration.
func Render(cfg *policy.Config, opt vendors.RenderOptions) ([]byte, error) {
	format := opt.Format
	switch format {
	case "", "hierarchical", "text":
		format = "hierarchical"
	case "set":
	default:
		return nil, fmt.Errorf("junos: unknown format %q (want set or hierarchical; another vendor's ACLs are written as firewall filters, SRX security policies only from Junos SRX configs)", opt.Format)
	}
	fs, err := render.Select(cfg, opt.Filters)
	if err != nil {
		return nil, err
	}
	var warns []string
	warn := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if opt.Warn != nil {
			opt.Warn(msg)
		} else {
			warns = append(warns, msg)
		}
	}
	var keep, srx []*policy.Filter
	for _, f := range fs {
		switch {
		case f.Kind == "srx-policy" && cfg.Vendor == "junos":
			srx = append(srx, f)
		case f.Kind == "srx-policy":
			warn("filter %s: SRX security policies are written from Junos configs only (a %s config's policies are not converted); not written", f.Name, cfg.Vendor)
		case f.Kind == "junos-filter-list":
			if len(opt.Filters) == 0 {
				continue // bindings (input-list) are not rendered; the members are
			}
			keep = append(keep, f)
		case !f.Entry && len(opt.Filters) == 0:
			// jump-only chains are inlined where they are used
		default:
			keep = append(keep, f)
		}
	}
	res, err := render.Lower(cfg, keep, junosCaps)
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		warn("%s", w)
	}
	jr := &jrender{cfg: cfg, same: cfg.Vendor == "junos", warn: warn}
	root := &node{}
	for _, o := range res.Objects {
		pl := root.add("policy-options", "prefix-list "+quote(o.Name))
		if rest, ok := strings.CutPrefix(o.Unresolved, "apply-path "); ok {
			pl.add("apply-path " + quoteAlways(strings.Trim(rest, "\"")))
		}
		for _, p := range render.Prefixes(o.Addrs) {
			pl.add(p.String())
		}
	}
	for i := range res.Filters {
		jr.filter(root, &res.Filters[i])
	}
	if len(srx) > 0 {
		jr.srx(root, cfg, srx)
	}
	var out bytes.Buffer
	for _, w := range warns {
		out.WriteString("/* fwpol warning: " + strings.ReplaceAll(w, "*/", "* /") + " */\n")
	}
	if format == "set" {
		var deact []string
		root.printSet(&out, nil, &deact)
		for _, d := range deact {
			out.WriteString("deactivate " + d + "\n")
		}
	} else {
		for _, k := range root.kids {
			k.printHier(&out, 0)
		}
	}
	return out.Bytes(), nil
}

type jrender struct {
	cfg  *policy.Config
	same bool
	warn func(string, ...any)
}

func famWord(f policy.Family) string {
	if f == policy.FamilyIPv6 {
		return "inet6"
	}
	return "inet"
}

func (jr *jrender) filter(root *node, f *render.Filter) {
	fam := famWord(f.Family)
	fn := root.add("firewall", "family "+fam, "filter "+quote(f.Name))
	if c := f.Orig.Meta["comment"]; c != "" && jr.same {
		fn.comment = c
	}
	used := map[string]int{}
	for i := range f.Rules {
		ru := &f.Rules[i]
		name := termName(ru, f.Orig)
		used[name]++
		if n := used[name]; n > 1 {
			name = fmt.Sprintf("%s-%d", name, n)
			for used[name] > 0 {
				name += "x"
			}
			used[name]++
		}
		jr.term(fn, f, ru, "term "+quote(name))
	}
	if len(f.Rules) == 0 {
		// a filter needs a term; this one only states the implicit discard
		fn.add("term default-discard", "then", "discard")
	}
}

func termName(ru *render.Rule, f *policy.Filter) string {
	n := ru.Name
	if n == "" {
		return "rule"
	}
	if _, err := strconv.Atoi(n); err == nil {
		return "seq-" + n
	}
	return n
}

func (jr *jrender) term(fn *node, f *render.Filter, ru *render.Rule, key string) {
	where := fmt.Sprintf("filter %s rule %s", f.Orig.Name, ru.Name)
	m := &ru.Match
	t := fn.add(key)
	t.inactive = ru.Inactive
	if ru.Extras.Comment != "" {
		t.comment = ru.Extras.Comment
	}
	from := func(parts ...string) { t.add("from", strings.Join(parts, " ")) }
	addr := func(kind string, a render.Addr) {
		if a.Any {
			return
		}
		if len(a.Refs) > 0 {
			for _, r := range a.Refs {
				t.add("from", kind+"-prefix-list", quote(r))
			}
			return
		}
		for _, p := range render.Prefixes(a.Set) {
			t.add("from", kind+"-address", p.String())
		}
	}
	addr("source", ru.Src)
	addr("destination", ru.Dst)
	if ru.Protocols != nil {
		kw := "protocol"
		if f.Family == policy.FamilyIPv6 {
			kw = "next-header"
		}
		if len(*ru.Protocols) == 0 {
			// matches nothing: an empty protocol set cannot be written
			jr.warn("%s: matches no protocol; written as protocol-except 0-255", where)
			from(kw+"-except", "0-255")
		}
		for _, r := range *ru.Protocols {
			from(kw, protoWord(r, f.Family))
		}
	}
	ports := func(kw string, rs *policy.Ranges) {
		if rs == nil {
			return
		}
		if len(*rs) == 0 {
			from(kw+"-except", "0-65535")
		}
		for _, r := range *rs {
			from(kw, r.String())
		}
	}
	ports("source-port", ru.SrcPorts)
	ports("destination-port", ru.DstPorts)
	icmp := func(kw string, rs *policy.Ranges) {
		if rs == nil {
			return
		}
		if len(*rs) == 0 {
			from(kw+"-except", "0-255")
		}
		for _, r := range *rs {
			from(kw, r.String())
		}
	}
	icmp("icmp-type", ru.ICMPTypes)
	icmp("icmp-code", ru.ICMPCodes)
	if m.TCPEstablished {
		from("tcp-established")
	}
	if m.TCPFlags != "" {
		if expr, ok := jr.tcpFlags(m.TCPFlags); ok {
			for _, e := range expr {
				if e == "tcp-initial" {
					from("tcp-initial")
				} else {
					from("tcp-flags", quoteAlways(e))
				}
			}
		} else if m.NotInitial {
			jr.warn("%s: TCP flags %q cannot be written in junos; term matches no first packet and is written with tcp-established instead", where, m.TCPFlags)
			if !m.TCPEstablished {
				from("tcp-established")
			}
		} else {
			jr.warn("%s: TCP flags %q cannot be written in junos; written without them (wider on non-initial packets)", where, m.TCPFlags)
		}
	}
	if m.Fragment != "" {
		for _, fr := range strings.Split(m.Fragment, "; ") {
			switch {
			case jr.same:
				from(strings.Fields(fr)...)
			default:
				from("is-fragment")
			}
		}
	}
	if len(m.CtStates) > 0 {
		switch {
		case m.NotInitial && !m.TCPEstablished && m.TCPFlags == "" && m.Fragment == "":
			jr.warn("%s: connection state %v cannot be written in a junos filter; written as is-fragment (the term matches no first packet)", where, m.CtStates)
			from("is-fragment")
		case !m.NotInitial:
			jr.warn("%s: connection state %v cannot be written in a junos filter; written without it", where, m.CtStates)
		}
	}
	// then
	then := func(parts ...string) { t.add("then", strings.Join(parts, " ")) }
	x := ru.Extras
	if x.Count != "" {
		then("count", quote(x.Count))
	}
	if x.Policer != "" {
		if jr.same {
			then(append([]string{"policer"}, strings.Fields(x.Policer)...)...)
		} else {
			jr.warn("%s: policer %s not written (no definition)", where, x.Policer)
		}
	}
	if x.Log {
		if x.Vendor["syslog"] == "true" {
			then("syslog")
		} else {
			then("log")
		}
	}
	switch ru.Action {
	case policy.Permit:
		fwd := false
		if jr.same {
			for _, k := range []string{"routing-instance", "next-ip", "next-ip6", "next-interface", "decapsulate", "topology", "next-hop-group"} {
				if v, ok := x.Vendor[k]; ok {
					then(append([]string{k}, strings.Fields(v)...)...)
					fwd = true
				}
			}
		}
		if !fwd {
			then("accept")
		}
	case policy.Deny:
		then("discard")
	case policy.Reject:
		rw := x.RejectWith
		switch {
		case rw == "":
			then("reject")
		case jr.same || rejectTypes[rw]:
			then("reject", rw)
		case rw == "tcp-reset" || rw == "tcp reset":
			then("reject", "tcp-reset")
		default:
			if r, ok := rejectMap[rw]; ok {
				then("reject", r)
			} else {
				jr.warn("%s: reject type %q has no junos equivalent; written as plain reject", where, rw)
				then("reject")
			}
		}
	case policy.Next:
		then("next", "term")
	}
}

var rejectTypes = map[string]bool{
	"tcp-reset": true, "port-unreachable": true, "host-unreachable": true, "network-unreachable": true,
	"administratively-prohibited": true, "protocol-unreachable": true, "host-prohibited": true, "network-prohibited": true,
	"address-unreachable": true, "no-route": true,
}

// rejectMap maps iptables/nftables reject types.
var rejectMap = map[string]string{
	"icmp-port-unreachable": "port-unreachable", "icmp6-port-unreachable": "port-unreachable",
	"icmp-host-unreachable": "host-unreachable", "icmp-net-unreachable": "network-unreachable",
	"icmp-proto-unreachable": "protocol-unreachable", "icmp-admin-prohibited": "administratively-prohibited",
	"icmp-host-prohibited": "host-prohibited", "icmp-net-prohibited": "network-prohibited",
	"icmp6-adm-prohibited": "administratively-prohibited", "icmp6-addr-unreachable": "address-unreachable",
	"icmp6-no-route": "no-route", "port-unreachable": "port-unreachable", "admin-prohibited": "administratively-prohibited",
}

// tcpFlags converts a TCP flag condition to Junos expressions.
func (jr *jrender) tcpFlags(s string) ([]string, bool) {
	if jr.same {
		// the parser joined tcp-initial and tcp-flags conditions with " & "
		var out, rest []string
		for _, e := range strings.Split(s, " & ") {
			if e == "tcp-initial" {
				out = append(out, e)
			} else {
				rest = append(rest, e)
			}
		}
		if len(rest) > 0 {
			out = append(out, strings.Trim(strings.Join(rest, " & "), "\""))
		}
		return out, true
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil, false
	}
	name := func(x string) string {
		switch x {
		case "psh":
			return "push"
		case "urg":
			return "urgent"
		}
		return x
	}
	switch f[0] {
	case "match-all", "match-any":
		op := " & "
		if f[0] == "match-any" {
			op = " | "
		}
		var items []string
		for _, it := range f[1:] {
			if len(it) < 2 {
				return nil, false
			}
			v := name(it[1:])
			if it[0] == '-' {
				v = "!" + v
			}
			items = append(items, v)
		}
		return []string{strings.Join(items, op)}, true
	}
	for _, it := range f {
		switch it {
		case "ack", "fin", "psh", "rst", "syn", "urg":
		default:
			return nil, false
		}
	}
	var items []string
	for _, it := range f {
		items = append(items, name(it))
	}
	return []string{strings.Join(items, " | ")}, true
}

func protoWord(r policy.Range, fam policy.Family) string {
	if r.Lo != r.Hi {
		return r.String()
	}
	switch r.Lo {
	case policy.ProtoTCP:
		return "tcp"
	case policy.ProtoUDP:
		return "udp"
	case policy.ProtoICMP:
		return "icmp"
	case policy.ProtoICMPv6:
		if fam == policy.FamilyIPv6 {
			return "icmp6"
		}
	}
	return strconv.Itoa(int(r.Lo))
}

// quote quotes a name when Junos needs it.
func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t;{}[]\"#'") {
		return quoteAlways(s)
	}
	return s
}

func quoteAlways(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }

// node is one statement of the configuration tree.
type node struct {
	key      string
	kids     []*node
	idx      map[string]*node
	inactive bool
	comment  string
}

// add walks (creating as needed) the path of statements under n.
func (n *node) add(path ...string) *node {
	cur := n
	for _, k := range path {
		if cur.idx == nil {
			cur.idx = map[string]*node{}
		}
		nx := cur.idx[k]
		if nx == nil {
			nx = &node{key: k}
			cur.idx[k] = nx
			cur.kids = append(cur.kids, nx)
		}
		cur = nx
	}
	return cur
}

func (n *node) printHier(b *bytes.Buffer, depth int) {
	ind := strings.Repeat("    ", depth)
	if n.comment != "" {
		for _, l := range strings.Split(n.comment, "\n") {
			b.WriteString(ind + "/* " + strings.ReplaceAll(l, "*/", "* /") + " */\n")
		}
	}
	prefix := ""
	if n.inactive {
		prefix = "inactive: "
	}
	if len(n.kids) == 0 {
		b.WriteString(ind + prefix + n.key + ";\n")
		return
	}
	b.WriteString(ind + prefix + n.key + " {\n")
	for i := 0; i < len(n.kids); i++ {
		k := n.kids[i]
		kw, _, _ := strings.Cut(k.key, " ")
		j := i + 1
		if (listable[kw] || n.key == "match" && matchListable[kw]) && k.leaf() {
			for j < len(n.kids) && n.kids[j].leaf() && strings.HasPrefix(n.kids[j].key, kw+" ") {
				j++
			}
		}
		if j-i > 1 {
			vals := make([]string, 0, j-i)
			for _, x := range n.kids[i:j] {
				vals = append(vals, strings.TrimPrefix(x.key, kw+" "))
			}
			b.WriteString(ind + "    " + kw + " [ " + strings.Join(vals, " ") + " ];\n")
			i = j - 1
			continue
		}
		k.printHier(b, depth+1)
	}
	b.WriteString(ind + "}\n")
}

// listable statements print as "kw [ v1 v2 ];" in the hierarchical format.
var listable = map[string]bool{
	"protocol": true, "next-header": true, "source-port": true, "destination-port": true, "port": true,
	"icmp-type": true, "icmp-code": true, "protocol-except": true, "next-header-except": true,
}

// matchListable statements of an SRX policy's match print as lists too.
var matchListable = map[string]bool{"source-address": true, "destination-address": true, "application": true}

func (n *node) leaf() bool { return len(n.kids) == 0 && !n.inactive && n.comment == "" }

func (n *node) printSet(b *bytes.Buffer, path []string, deact *[]string) {
	for _, k := range n.kids {
		p := append(append([]string(nil), path...), k.key)
		if k.inactive {
			*deact = append(*deact, strings.Join(p, " "))
		}
		if len(k.kids) == 0 {
			b.WriteString("set " + strings.Join(p, " ") + "\n")
			continue
		}
		k.printSet(b, p, deact)
	}
}
