package nftables

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/render"
	"go4.org/netipx"
)

// RenderedTable names one table a rendering wrote.
type RenderedTable struct {
	Family, Name string
}

// Rendered is an nft -f ruleset and the tables it declares.
type Rendered struct {
	Text   []byte
	Tables []RenderedTable
}

// renderFormat is RenderOptions.Format, a comma-separated list of words:
//
//	hook=HOOK         a non-nftables config: its selected entry filters become
//	                  base chains of type filter on HOOK (input, forward,
//	                  output); without it they become regular chains ending in
//	                  their default verdict
//	chain=INPUT|...   the same, named the iptables way
//	family=ip|ip6|inet the converted table's family (default: the filters')
//	table=NAME        the converted table's name (default "fwpol")
//	priority=N        the base chains' priority (default filter)
//	skip-unmodelled   write rules the model cannot hold (unknown matches) as
//	                  comments instead of refusing
type renderFormat struct {
	hook, family, table, priority string
	skipUnmodelled                bool
}

func parseRenderFormat(s string) (renderFormat, error) {
	f := renderFormat{table: "fwpol", priority: "filter"}
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		k, v, _ := strings.Cut(w, "=")
		switch {
		case w == "", w == "nft", w == "ruleset":
		case w == "skip-unmodelled":
			f.skipUnmodelled = true
		case k == "hook" || k == "chain":
			v = strings.ToLower(v)
			switch v {
			case "input", "forward", "output":
				f.hook = v
			default:
				return f, fmt.Errorf("nftables render: %s=%q: want input, forward or output", k, v)
			}
		case k == "family":
			switch v {
			case "ip", "ipv4", "inet4", "4":
				f.family = "ip"
			case "ip6", "ipv6", "inet6", "6":
				f.family = "ip6"
			case "inet", "any":
				f.family = "inet"
			default:
				return f, fmt.Errorf("nftables render: family=%q: want ip, ip6 or inet", v)
			}
		case k == "table":
			if !validIdent(v) {
				return f, fmt.Errorf("nftables render: table=%q is not a valid name", v)
			}
			f.table = v
		case k == "priority":
			if _, err := strconv.Atoi(v); err != nil && v != "filter" && v != "raw" && v != "mangle" && v != "security" {
				return f, fmt.Errorf("nftables render: priority=%q: want a number or filter, raw, mangle, security", v)
			}
			f.priority = v
		default:
			return f, fmt.Errorf("nftables render: unknown format option %q (want hook=, family=, table=, priority=, skip-unmodelled)", w)
		}
	}
	return f, nil
}

// Render writes cfg's filters (all, or opt.Filters and the chains they jump
// to) in nft -f syntax. See RenderRuleset.
func Render(cfg *policy.Config, opt vendors.RenderOptions) ([]byte, error) {
	r, err := RenderRuleset(cfg, opt)
	if err != nil {
		return nil, err
	}
	return r.Text, nil
}

const maxAlternatives = 4096

// RenderRuleset renders cfg as an nft -f file. An nftables config keeps its
// tables (family, name, dormant flag), chains (type, hook, priority, device,
// policy) and the named address sets its rules use (flags interval);
// other sets and verdict maps are written as anonymous sets and expanded
// rules. Another vendor's filters are converted into one table (see
// renderFormat). Address conditions that need both IP families in an inet
// table, and non-contiguous wildcards (a bitmask match, e.g.
// "ip saddr & 255.255.0.1 == 10.0.0.1"), become disjoint rules; what nft
// cannot express exactly is an error, never widened.
func RenderRuleset(cfg *policy.Config, opt vendors.RenderOptions) (*Rendered, error) {
	rf, err := parseRenderFormat(opt.Format)
	if err != nil {
		return nil, err
	}
	filters, err := render.SelectReachable(cfg, opt.Filters)
	if err != nil {
		return nil, err
	}
	r := &renderer{cfg: cfg, native: cfg.Vendor == "nftables", rf: rf}
	if err := r.layout(filters); err != nil {
		return nil, err
	}
	if err := r.write(); err != nil {
		return nil, err
	}
	out := &Rendered{Text: r.out.Bytes()}
	for _, t := range r.tables {
		out.Tables = append(out.Tables, RenderedTable{t.family, t.name})
	}
	return out, nil
}

type renderer struct {
	cfg      *policy.Config
	native   bool
	rf       renderFormat
	tables   []*tableOut
	byFilter map[string]*chainOut
	out      bytes.Buffer
}

type tableOut struct {
	family, name string
	dormant      bool
	chains       []*chainOut
	sets         []*setOut
	setByName    map[string]*setOut
}

type chainOut struct {
	name   string
	table  *tableOut
	filter *policy.Filter
	// base chain header ("" for a regular chain)
	header string
	final  string // verdict appended after the rules
}

type setOut struct {
	name string
	v6   bool
	rr   []netipx.IPRange
}

func validIdent(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.' || c == '/'):
		default:
			return false
		}
	}
	switch s {
	case "accept", "drop", "reject", "jump", "goto", "return", "continue", "counter", "log",
		"ip", "ip6", "inet", "tcp", "udp", "meta", "ct", "chain", "table", "set", "map", "type",
		"hook", "policy", "priority", "filter", "input", "output", "forward", "flags", "elements":
		return false
	}
	return true
}

func identFor(name string, used map[string]bool) string {
	n := name
	if !validIdent(n) {
		var b strings.Builder
		for i := 0; i < len(n); i++ {
			c := n[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				c = '_'
			}
			b.WriteByte(c)
		}
		n = b.String()
		if !validIdent(n) {
			n = "f_" + n
		}
	}
	return render.UniqueName(n, 0, used)
}

func famOfTable(f string) policy.Family {
	switch f {
	case "ip":
		return policy.FamilyIPv4
	case "ip6":
		return policy.FamilyIPv6
	}
	return policy.FamilyAny
}

func (r *renderer) layout(filters []*policy.Filter) error {
	r.byFilter = map[string]*chainOut{}
	if r.native {
		if r.rf.hook != "" || r.rf.family != "" {
			return fmt.Errorf("%s: hook= and family= apply to converted configs; an nftables config keeps its tables and chains", r.cfg.File)
		}
		tables := map[string]*tableOut{}
		for _, f := range filters {
			fam, tn := f.Meta["family"], f.Meta["table"]
			if fam == "" || tn == "" {
				return fmt.Errorf("%s: filter %s has no table", f.Pos, f.Name)
			}
			t := tables[fam+" "+tn]
			if t == nil {
				t = &tableOut{family: fam, name: tn, dormant: f.Meta["dormant"] == "true", setByName: map[string]*setOut{}}
				tables[fam+" "+tn] = t
				r.tables = append(r.tables, t)
			}
			c := &chainOut{name: f.Meta["chain"], table: t, filter: f}
			if c.name == "" {
				c.name = f.Name
			}
			if h := f.Meta["hook"]; h != "" {
				prio := f.Meta["priority_text"]
				if prio == "" {
					prio = f.Meta["priority"]
				}
				hdr := "type " + f.Meta["type"] + " hook " + h
				if d := f.Meta["device"]; d != "" {
					hdr += " device " + strconv.Quote(d)
				}
				hdr += " priority " + prio + ";"
				switch f.Default {
				case policy.Permit:
					hdr += " policy accept;"
				case policy.Deny:
					hdr += " policy drop;"
				case policy.Reject:
					hdr += " policy drop;"
					c.final = "reject"
				}
				c.header = hdr
			}
			t.chains = append(t.chains, c)
			r.byFilter[f.Name] = c
		}
		return r.checkTargets(filters)
	}
	fam := r.rf.family
	if fam == "" {
		has := map[policy.Family]bool{}
		for _, f := range filters {
			has[f.Family] = true
		}
		switch {
		case has[policy.FamilyAny] || (has[policy.FamilyIPv4] && has[policy.FamilyIPv6]):
			fam = "inet"
		case has[policy.FamilyIPv6]:
			fam = "ip6"
		default:
			fam = "ip"
		}
	}
	tf := famOfTable(fam)
	for _, f := range filters {
		if tf != policy.FamilyAny && f.Family != policy.FamilyAny && f.Family != tf {
			return fmt.Errorf("%s: filter %s is %s but the table family is %s", f.Pos, f.Name, f.Family, fam)
		}
	}
	t := &tableOut{family: fam, name: r.rf.table, setByName: map[string]*setOut{}}
	r.tables = append(r.tables, t)
	used := map[string]bool{}
	for _, f := range filters {
		c := &chainOut{name: identFor(f.Name, used), table: t, filter: f}
		if f.Entry && r.rf.hook != "" {
			hdr := "type filter hook " + r.rf.hook + " priority " + r.rf.priority + ";"
			switch f.Default {
			case policy.Permit:
				hdr += " policy accept;"
			case policy.Deny:
				hdr += " policy drop;"
			case policy.Reject:
				hdr += " policy drop;"
				c.final = "reject"
			default:
				return fmt.Errorf("%s: filter %s has default %s: a base chain needs accept, drop or reject", f.Pos, f.Name, f.Default)
			}
			c.header = hdr
		} else if f.Default != policy.Return {
			switch f.Default {
			case policy.Permit:
				c.final = "accept"
			case policy.Deny:
				c.final = "drop"
			case policy.Reject:
				c.final = "reject"
			default:
				return fmt.Errorf("%s: filter %s has default %s", f.Pos, f.Name, f.Default)
			}
		}
		t.chains = append(t.chains, c)
		r.byFilter[f.Name] = c
	}
	return r.checkTargets(filters)
}

func (r *renderer) checkTargets(filters []*policy.Filter) error {
	for _, f := range filters {
		from := r.byFilter[f.Name]
		for _, ru := range f.Rules {
			if ru.Action != policy.Jump && ru.Action != policy.Goto {
				continue
			}
			c := r.byFilter[ru.Target]
			if c == nil {
				return fmt.Errorf("%s: rule %s of %s jumps to %q, which is not rendered", ru.Pos, ru.Name, f.Name, ru.Target)
			}
			if c.header != "" {
				return fmt.Errorf("%s: rule %s of %s jumps to %s, which is rendered as a base chain: nft cannot jump to it", ru.Pos, ru.Name, f.Name, c.name)
			}
			if c.table != from.table {
				return fmt.Errorf("%s: rule %s of %s jumps to %s in another table", ru.Pos, ru.Name, f.Name, c.name)
			}
		}
	}
	return nil
}

func (r *renderer) write() error {
	// rules first (they register the named sets each table needs)
	bodies := make([][]byte, len(r.tables))
	for i, t := range r.tables {
		var b bytes.Buffer
		for _, c := range t.chains {
			if err := r.writeChain(&b, c); err != nil {
				return err
			}
		}
		bodies[i] = b.Bytes()
	}
	src := r.cfg.File
	if src == "" {
		src = r.cfg.Device
	}
	fmt.Fprintf(&r.out, "#!/usr/sbin/nft -f\n# Generated by fwpol (nft -f format) from %s\n", strings.NewReplacer("\n", " ", "\r", " ").Replace(src))
	for i, t := range r.tables {
		fmt.Fprintf(&r.out, "\ntable %s %s {\n", t.family, t.name)
		if t.dormant {
			r.out.WriteString("\tflags dormant\n")
		}
		for _, s := range t.sets {
			typ := "ipv4_addr"
			if s.v6 {
				typ = "ipv6_addr"
			}
			fmt.Fprintf(&r.out, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n", s.name, typ)
			if len(s.rr) > 0 {
				fmt.Fprintf(&r.out, "\t\telements = { %s }\n", strings.Join(rangeItems(s.rr), ", "))
			}
			r.out.WriteString("\t}\n")
		}
		r.out.Write(bodies[i])
		r.out.WriteString("}\n")
	}
	return nil
}

func (r *renderer) writeChain(b *bytes.Buffer, c *chainOut) error {
	fmt.Fprintf(b, "\tchain %s {\n", c.name)
	if c.header != "" {
		fmt.Fprintf(b, "\t\t%s\n", c.header)
	}
	f := c.filter
	for i, ru := range f.Rules {
		// rules of a verdict map or interface set share name and position:
		// they are disjoint and render one by one
		lines, err := r.ruleLines(c, ru)
		if err != nil {
			return fmt.Errorf("%s: rule %s of %s: %w", ru.Pos, ru.Name, f.Name, err)
		}
		if len(lines) == 1 && strings.HasPrefix(lines[0], "# fwpol: rule ") && hasSibling(f.Rules, i) {
			continue
		}
		for _, l := range lines {
			fmt.Fprintf(b, "\t\t%s\n", l)
		}
	}
	if c.final != "" {
		fmt.Fprintf(b, "\t\t%s\n", c.final)
	}
	b.WriteString("\t}\n")
	return nil
}

func hasSibling(rules []*policy.Rule, i int) bool {
	r := rules[i]
	return (i > 0 && rules[i-1].Name == r.Name && rules[i-1].Pos == r.Pos) ||
		(i+1 < len(rules) && rules[i+1].Name == r.Name && rules[i+1].Pos == r.Pos)
}

type alt []string

var one = []alt{nil}

func product(a, b []alt) ([]alt, error) {
	if len(a)*len(b) > maxAlternatives {
		return nil, fmt.Errorf("expands into more than %d nft rules", maxAlternatives)
	}
	out := make([]alt, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			z := make(alt, 0, len(x)+len(y))
			out = append(out, append(append(z, x...), y...))
		}
	}
	return out, nil
}

// fams lists the IP families a chain of this table sees.
func (c *chainOut) fams() []bool { // v6?
	switch c.table.family {
	case "ip":
		return []bool{false}
	case "ip6":
		return []bool{true}
	}
	return []bool{false, true}
}

func (r *renderer) ruleLines(c *chainOut, ru *policy.Rule) ([]string, error) {
	if ru.Inactive {
		return []string{"# fwpol: inactive rule " + oneLine(ru.Name) + " not rendered"}, nil
	}
	never := func(why string) ([]string, error) {
		return []string{"# fwpol: rule " + oneLine(ru.Name) + " never matches (" + why + "): not rendered"}, nil
	}
	m := &ru.Match
	if len(m.Unresolved) > 0 || len(m.Src.Unresolved) > 0 || len(m.Dst.Unresolved) > 0 {
		what := append(append(append([]string(nil), m.Unresolved...), m.Src.Unresolved...), m.Dst.Unresolved...)
		if r.rf.skipUnmodelled {
			return []string{"# fwpol: rule " + oneLine(ru.Name) + " not rendered: the model does not hold " + oneLine(strings.Join(what, "; "))}, nil
		}
		return nil, fmt.Errorf("uses %q, which the model does not hold: cannot render it exactly (format skip-unmodelled writes it as a comment)", what)
	}
	// per family: the address, protocol and state conditions
	var famAlts []alt
	var famErr error
	fams := c.fams()
	perFam := make([][]alt, len(fams))
	anyFamSpecific := false
	for i, v6 := range fams {
		as, specific, err := r.familyAlts(c, m, v6)
		if err != nil {
			famErr = err
			continue
		}
		perFam[i] = as
		anyFamSpecific = anyFamSpecific || specific
	}
	if famErr != nil {
		return nil, famErr
	}
	if len(fams) == 2 && !anyFamSpecific && len(perFam[0]) > 0 && sameAlts(perFam[0], perFam[1]) {
		// nothing family-specific: one rule sees both families
		famAlts = perFam[0]
	} else {
		for i, as := range perFam {
			if len(fams) == 2 {
				for _, a := range as {
					if !familyBound(a) {
						a = append(alt{"meta", "nfproto", map[bool]string{false: "ipv4", true: "ipv6"}[fams[i]]}, a...)
					}
					famAlts = append(famAlts, a)
				}
			} else {
				famAlts = append(famAlts, as...)
			}
		}
	}
	if len(famAlts) == 0 {
		return never("no packet of the table's families satisfies it")
	}
	common := alt{}
	if m.InIface != "" {
		common = append(common, ifaceExpr("iifname", m.InIface, m.NegInIface)...)
	}
	if m.OutIface != "" {
		common = append(common, ifaceExpr("oifname", m.OutIface, m.NegOutIface)...)
	}
	ct, err := ctExpr(m.CtStates)
	if err != nil {
		return nil, err
	}
	common = append(common, ct...)
	var stmts []string
	natVerdict := false
	if r.native {
		if s := ru.Extras.Vendor["statements"]; s != "" {
			for _, st := range strings.Split(s, "; ") {
				w := strings.Fields(st)
				if len(w) > 0 && (w[0] == "snat" || w[0] == "dnat" || w[0] == "masquerade" || w[0] == "redirect") {
					natVerdict = true
				}
				stmts = append(stmts, st)
			}
		}
		if ru.Extras.Policer != "" {
			stmts = append([]string{ru.Extras.Policer}, stmts...)
		}
	}
	if ru.Extras.Count != "" {
		stmts = append(stmts, "counter")
	}
	if ru.Extras.Log {
		l := "log"
		if p := ru.Extras.Vendor["log_prefix"]; p != "" && r.native {
			l += " prefix " + nftString(p)
		}
		stmts = append(stmts, l)
	}
	var lines []string
	for _, a := range famAlts {
		parts := append(append(append([]string(nil), common...), a...), stmts...)
		v, err := r.verdict(ru, a, natVerdict)
		if err != nil {
			return nil, err
		}
		if v != "" {
			parts = append(parts, v)
		}
		if ru.Extras.Comment != "" {
			parts = append(parts, "comment", nftString(truncate(ru.Extras.Comment, 128)))
		}
		if len(parts) == 0 {
			parts = []string{"counter"} // a rule must have a statement
		}
		lines = append(lines, strings.Join(parts, " "))
	}
	return lines, nil
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// nftString quotes a string for nft, which has no escape for '"'.
func nftString(s string) string {
	return `"` + strings.NewReplacer(`"`, "'", "\n", " ", "\r", " ", `\`, "/").Replace(s) + `"`
}

func sameAlts(a, b []alt) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], " ") != strings.Join(b[i], " ") {
			return false
		}
	}
	return true
}

// familyBound: the alternative has a selector that implies its family.
func familyBound(a alt) bool {
	for i, w := range a {
		if (w == "ip" || w == "ip6" || w == "icmp" || w == "icmpv6") && i+1 < len(a) {
			switch a[i+1] {
			case "saddr", "daddr", "type", "code", "protocol", "nexthdr":
				return true
			}
		}
		if w == "nfproto" {
			return true
		}
	}
	return false
}

func ifaceExpr(sel, name string, neg bool) alt {
	if p, ok := strings.CutSuffix(name, "+"); ok {
		name = p + "*"
	}
	a := alt{sel}
	if neg {
		a = append(a, "!=")
	}
	return append(a, nftString(name))
}

func ctExpr(states []string) (alt, error) {
	var pos, neg []string
	for _, s := range states {
		n := strings.HasPrefix(s, "!")
		s = strings.ToLower(strings.TrimPrefix(s, "!"))
		switch s {
		case "new", "established", "related", "invalid", "untracked":
		default:
			return nil, fmt.Errorf("conntrack state %q cannot be rendered for nft", s)
		}
		if n {
			neg = append(neg, s)
		} else {
			pos = append(pos, s)
		}
	}
	var a alt
	if len(pos) > 0 {
		a = append(a, "ct", "state", setText(pos))
	}
	if len(neg) > 0 {
		a = append(a, "ct", "state", "!=", setText(neg))
	}
	return a, nil
}

func setText(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return "{ " + strings.Join(items, ", ") + " }"
}

func (r *renderer) verdict(ru *policy.Rule, a alt, nat bool) (string, error) {
	switch ru.Action {
	case policy.Permit:
		if nat {
			return "", nil
		}
		return "accept", nil
	case policy.Deny:
		return "drop", nil
	case policy.Reject:
		w := ru.Extras.RejectWith
		tcpOnly := false
		for i := 0; i+1 < len(a); i++ {
			if (a[i] == "tcp" && (a[i+1] == "dport" || a[i+1] == "sport" || a[i+1] == "flags")) || (a[i] == "l4proto" && a[i+1] == "tcp") {
				tcpOnly = true
			}
		}
		switch {
		case w == "tcp reset" || w == "tcp-reset":
			if tcpOnly {
				return "reject with tcp reset", nil
			}
			return "reject", nil
		case r.native && w != "" && !strings.HasPrefix(w, "tcp"):
			return "reject with " + w, nil
		}
		return "reject", nil
	case policy.Return:
		return "return", nil
	case policy.Jump, policy.Goto:
		t := r.byFilter[ru.Target]
		return map[policy.Action]string{policy.Jump: "jump", policy.Goto: "goto"}[ru.Action] + " " + t.name, nil
	case policy.Next:
		return "", nil
	}
	return "", fmt.Errorf("action %s has no nft verdict", ru.Action)
}

// familyAlts renders the conditions of one IP family: addresses, protocol,
// ports, ICMP, TCP flags, fragments. An empty result: nothing of this
// family matches. specific: the family needs its own rule.
func (r *renderer) familyAlts(c *chainOut, m *policy.Match, v6 bool) ([]alt, bool, error) {
	ip := "ip"
	if v6 {
		ip = "ip6"
	}
	specific := false
	src, sSpec, err := r.addrAlts(c, &m.Src, ip, "saddr", v6)
	if err != nil {
		return nil, false, err
	}
	dst, dSpec, err := r.addrAlts(c, &m.Dst, ip, "daddr", v6)
	if err != nil {
		return nil, false, err
	}
	specific = sSpec || dSpec
	if len(src) == 0 || len(dst) == 0 {
		return nil, true, nil
	}
	proto, pSpec, err := protoAlts(m, v6)
	if err != nil {
		return nil, false, err
	}
	if len(proto) == 0 {
		return nil, true, nil
	}
	specific = specific || pSpec
	st, stSpec, err := stateAlt(m, v6)
	if err != nil {
		return nil, false, err
	}
	specific = specific || stSpec
	out := one
	for _, d := range [][]alt{src, dst, proto, {st}} {
		if out, err = product(out, d); err != nil {
			return nil, false, err
		}
	}
	return out, specific, nil
}

func rangeItems(rr []netipx.IPRange) []string {
	var out []string
	for _, x := range rr {
		if p, ok := x.Prefix(); ok {
			if p.IsSingleIP() {
				out = append(out, p.Addr().String())
			} else {
				out = append(out, p.String())
			}
		} else {
			out = append(out, x.From().String()+"-"+x.To().String())
		}
	}
	return out
}

func rangesText(rr []netipx.IPRange) string {
	items := rangeItems(rr)
	if len(items) == 1 {
		return items[0]
	}
	return "{ " + strings.Join(items, ", ") + " }"
}

// complementIn is the family's addresses outside rr (sorted, disjoint).
func complementIn(rr []netipx.IPRange, v6 bool) []netipx.IPRange {
	var b netipx.IPSetBuilder
	if v6 {
		b.AddPrefix(netip.PrefixFrom(netip.IPv6Unspecified(), 0))
	} else {
		b.AddPrefix(netip.PrefixFrom(netip.IPv4Unspecified(), 0))
	}
	for _, x := range rr {
		b.RemoveRange(x)
	}
	s, _ := b.IPSet()
	return s.Ranges()
}

func isUniverse(rr []netipx.IPRange, v6 bool) bool {
	if len(rr) != 1 {
		return false
	}
	p, ok := rr[0].Prefix()
	return ok && p.Bits() == 0 && p.Addr().Is6() == v6
}

// addrAlts renders one address condition for one family. No alternative:
// nothing of the family matches. specific: the condition is family-bound.
func (r *renderer) addrAlts(c *chainOut, am *policy.AddrMatch, ip, dir string, v6 bool) ([]alt, bool, error) {
	if am.Any {
		if am.Negate {
			return nil, true, nil
		}
		return one, false, nil
	}
	var rr []netipx.IPRange
	var ws []policy.Wildcard
	if am.Set != nil {
		for _, x := range am.Set.Ranges() {
			if x.From().Is6() == v6 {
				rr = append(rr, x)
			}
		}
		for _, w := range am.Set.Wildcards() {
			if w.Addr.Is6() == v6 {
				ws = append(ws, w)
			}
		}
	}
	if len(ws) == 0 && isUniverse(rr, v6) {
		if am.Negate {
			return nil, true, nil
		}
		return []alt{{"meta", "nfproto", map[bool]string{false: "ipv4", true: "ipv6"}[v6]}}, true, nil
	}
	if len(rr) == 0 && len(ws) == 0 {
		if am.Negate {
			return one, true, nil // every address of the family
		}
		return nil, true, nil
	}
	value := ""
	neg := am.Negate
	if len(rr) > 0 {
		value = rangesText(rr)
		named := false
		if len(am.Refs) == 1 && r.native {
			if name, ok := r.namedSet(c, am.Refs[0], am.Set, rr, v6); ok {
				value, named = "@"+name, true
			}
		}
		if comp := complementIn(rr, v6); !named && len(ws) == 0 && len(comp) > 0 && len(comp) < len(rr) {
			// the smaller complement, negated (within the family)
			value, neg = rangesText(comp), !neg
		}
	}
	wexpr := func(w policy.Wildcard, neg bool) alt {
		care := w.Mask.AsSlice()
		addr := w.Addr.AsSlice()
		for i := range care {
			care[i] = ^care[i]
			addr[i] &= care[i]
		}
		ca, _ := netip.AddrFromSlice(care)
		aa, _ := netip.AddrFromSlice(addr)
		op := "=="
		if neg {
			op = "!="
		}
		return alt{ip, dir, "&", ca.String(), op, aa.String()}
	}
	if neg {
		var a alt
		if value != "" {
			a = append(a, ip, dir, "!=", value)
		}
		for _, w := range ws {
			a = append(a, wexpr(w, true)...)
		}
		return []alt{a}, true, nil
	}
	var out []alt
	var excl alt
	if value != "" {
		out = append(out, alt{ip, dir, value})
		excl = alt{ip, dir, "!=", value}
	}
	for _, w := range ws {
		a := append(append(alt(nil), excl...), wexpr(w, false)...)
		out = append(out, a)
		excl = append(excl, wexpr(w, true)...)
	}
	return out, true, nil
}

// namedSet declares (once per table) the config's named set name when its
// content is exactly rr.
func (r *renderer) namedSet(c *chainOut, name string, set *policy.AddrSet, rr []netipx.IPRange, v6 bool) (string, bool) {
	var obj *policy.Object
	for _, o := range r.cfg.Objects {
		if o.Kind == "nft-set" && o.Name == name && o.Scope == c.table.name && o.Addrs != nil {
			obj = o
			break
		}
	}
	if obj == nil || len(obj.Addrs.Wildcards()) > 0 {
		return "", false
	}
	or := obj.Addrs.Ranges()
	if len(or) != len(rr) {
		return "", false
	}
	for i := range or {
		if or[i] != rr[i] {
			return "", false
		}
	}
	if s, ok := c.table.setByName[name]; ok {
		return name, s.v6 == v6
	}
	if !validIdent(name) {
		return "", false
	}
	s := &setOut{name: name, v6: v6, rr: rr}
	c.table.setByName[name] = s
	c.table.sets = append(c.table.sets, s)
	return name, true
}

// rangeSet writes an integer set condition: "80", "1-5", "{ 1, 3-4 }", or
// the negation of the smaller complement ("!= 22").
func rangeSet(rs policy.Ranges, max uint16, name func(uint16) string) alt {
	item := func(r policy.Range) string {
		if r.Lo == r.Hi {
			return name(r.Lo)
		}
		return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi))
	}
	list := func(x policy.Ranges) string {
		s := make([]string, len(x))
		for i, r := range x {
			s[i] = item(r)
		}
		if len(s) == 1 {
			return s[0]
		}
		return "{ " + strings.Join(s, ", ") + " }"
	}
	comp := rs.Complement(max)
	if len(comp) < len(rs) {
		return alt{"!=", list(comp)}
	}
	return alt{list(rs)}
}

func num(v uint16) string { return strconv.Itoa(int(v)) }

// protoAlts renders protocol, port and ICMP conditions for one family.
func protoAlts(m *policy.Match, v6 bool) ([]alt, bool, error) {
	protos := policy.NewRanges(policy.Range{Lo: 0, Hi: policy.MaxProto})
	if m.Protocols != nil {
		protos = *m.Protocols
	}
	ports := m.SrcPorts != nil || m.DstPorts != nil
	icmp := m.ICMPTypes != nil || m.ICMPCodes != nil
	if m.TCPEstablished || m.TCPFlags != "" {
		protos = protos.Intersect(policy.Single(policy.ProtoTCP))
	}
	switch {
	case ports && icmp:
		return nil, false, nil
	case ports:
		var ps []uint16
		for _, p := range render.Values(render.PortProtos) {
			if protos.Contains(p) {
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			return nil, false, nil
		}
		var a alt
		sel := "th"
		if len(ps) == 1 && ps[0] != policy.ProtoDCCP && ps[0] != policy.ProtoSCTP {
			sel = render.LinuxProtoWord(ps[0])
		} else {
			names := make([]string, len(ps))
			for i, p := range ps {
				names[i] = render.LinuxProtoWord(p)
			}
			a = append(a, "meta", "l4proto", setText(names))
		}
		for _, x := range []struct {
			rs  *policy.Ranges
			dir string
		}{{m.SrcPorts, "sport"}, {m.DstPorts, "dport"}} {
			if x.rs == nil {
				continue
			}
			if len(*x.rs) == 0 {
				return nil, false, nil
			}
			if x.rs.IsFull(policy.MaxPort) {
				continue
			}
			a = append(append(a, sel, x.dir), rangeSet(*x.rs, policy.MaxPort, num)...)
		}
		if len(a) == 0 || (sel != "th" && !strings.Contains(strings.Join(a, " "), sel+" ")) {
			// full port ranges: the port protocols alone
			names := make([]string, len(ps))
			for i, p := range ps {
				names[i] = render.LinuxProtoWord(p)
			}
			a = alt{"meta", "l4proto", setText(names)}
		}
		return []alt{a}, false, nil
	case icmp:
		own, sel := uint16(policy.ProtoICMP), "icmp"
		if v6 {
			own, sel = policy.ProtoICMPv6, "icmpv6"
		}
		other := uint16(policy.ProtoICMPv6 + policy.ProtoICMP - own)
		if protos.Contains(other) {
			return nil, false, fmt.Errorf("ICMP type/code conditions on protocol %d in %s cannot be matched by nft (restrict the protocol, or the table family)", other, map[bool]string{false: "IPv4", true: "IPv6"}[v6])
		}
		if !protos.Contains(own) {
			return nil, false, nil
		}
		var a alt
		if m.ICMPTypes != nil {
			if len(*m.ICMPTypes) == 0 {
				return nil, false, nil
			}
			if !m.ICMPTypes.IsFull(policy.MaxICMP) {
				a = append(append(a, sel, "type"), rangeSet(*m.ICMPTypes, policy.MaxICMP, num)...)
			}
		}
		if m.ICMPCodes != nil {
			if len(*m.ICMPCodes) == 0 {
				return nil, false, nil
			}
			if !m.ICMPCodes.IsFull(policy.MaxICMP) {
				a = append(append(a, sel, "code"), rangeSet(*m.ICMPCodes, policy.MaxICMP, num)...)
			}
		}
		if len(a) == 0 {
			a = alt{"meta", "l4proto", render.LinuxProtoWord(own)}
		}
		return []alt{a}, true, nil
	}
	if m.Protocols == nil && !m.TCPEstablished && m.TCPFlags == "" {
		return one, false, nil
	}
	if len(protos) == 0 {
		return nil, false, nil
	}
	if protos.IsFull(policy.MaxProto) {
		return one, false, nil
	}
	return []alt{append(alt{"meta", "l4proto"}, rangeSet(protos, policy.MaxProto, render.LinuxProtoWord)...)}, false, nil
}

var iptFlagNames = map[string]string{"FIN": "fin", "SYN": "syn", "RST": "rst", "PSH": "psh", "ACK": "ack", "URG": "urg", "ECE": "ecn", "CWR": "cwr"}

// iptFlags converts an iptables flag list ("SYN,ACK", "ALL", "NONE").
func iptFlags(s string) (string, bool) {
	switch s {
	case "NONE":
		return "0x0", true
	case "ALL":
		s = "FIN,SYN,RST,PSH,ACK,URG"
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		n, ok := iptFlagNames[f]
		if !ok {
			return "", false
		}
		out = append(out, n)
	}
	return strings.Join(out, "|"), true
}

// stateAlt renders TCP flags and fragment conditions. specific: they bind
// the family (fragments).
func stateAlt(m *policy.Match, v6 bool) (alt, bool, error) {
	var a alt
	specific := false
	if m.TCPFlags != "" {
		ws := strings.Fields(m.TCPFlags)
		switch {
		case len(ws) > 0 && (ws[0] == "&" || ws[0] == "==" || ws[0] == "!=" || !strings.HasPrefix(ws[0], "-") && ws[0] != "!" && ws[0] != "tcp-initial"):
			// nft's own syntax (the words after "tcp flags")
			a = append(append(a, "tcp", "flags"), ws...)
		default:
			for i := 0; i < len(ws); i++ {
				neg := false
				if ws[i] == "!" {
					neg = true
					i++
					if i >= len(ws) {
						return nil, false, fmt.Errorf("tcp flags %q cannot be rendered for nft", m.TCPFlags)
					}
				}
				mask, comp := "", ""
				switch ws[i] {
				case "--syn":
					mask, comp = "fin|syn|rst|ack", "syn"
				case "tcp-initial":
					mask, comp = "syn|ack", "syn"
				case "--tcp-flags":
					if i+2 >= len(ws) {
						return nil, false, fmt.Errorf("tcp flags %q cannot be rendered for nft", m.TCPFlags)
					}
					var ok1, ok2 bool
					mask, ok1 = iptFlags(ws[i+1])
					comp, ok2 = iptFlags(ws[i+2])
					if !ok1 || !ok2 {
						return nil, false, fmt.Errorf("tcp flags %q cannot be rendered for nft", m.TCPFlags)
					}
					i += 2
				default:
					return nil, false, fmt.Errorf("tcp flags %q cannot be rendered for nft", m.TCPFlags)
				}
				op := "=="
				if neg {
					op = "!="
				}
				a = append(a, "tcp", "flags", "&", "("+mask+")", op, comp)
			}
		}
	}
	if m.TCPEstablished {
		a = append(a, "tcp", "flags", "&", "(ack|rst)", "!=", "0")
	}
	switch m.Fragment {
	case "":
	case "-f", "fragments", "is-fragment":
		specific = true
		if v6 {
			a = append(a, "exthdr", "frag", "frag-off", "!=", "0")
		} else {
			a = append(a, "ip", "frag-off", "&", "0x1fff", "!=", "0")
		}
	case "! -f":
		specific = true
		if v6 {
			return nil, false, fmt.Errorf("fragment condition %q has no IPv6 meaning", m.Fragment)
		}
		a = append(a, "ip", "frag-off", "&", "0x1fff", "==", "0")
	default:
		return nil, false, fmt.Errorf("fragment condition %q cannot be rendered for nft", m.Fragment)
	}
	return a, specific, nil
}
