package iptables

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/render"
	"go4.org/netipx"
)

// Rendered is an iptables ruleset as text: the iptables-restore (or
// ip6tables-restore) payload and, when rules use sets, the `ipset restore`
// payload that must be loaded first.
type Rendered struct {
	Rules  []byte
	IPSets []byte
	// V6 says the rules are for ip6tables-restore.
	V6 bool
	// Chains lists "table/CHAIN" for every chain written, in order.
	Chains []string
	// Sets lists the ipset names written, in order.
	Sets []string
}

// renderFormat is RenderOptions.Format, a comma-separated list of words:
//
//	ipset            Render returns the `ipset restore` payload instead of the rules
//	chain=NAME       a non-iptables config: its (single) selected entry filter
//	                 becomes built-in chain NAME (INPUT, FORWARD, OUTPUT) of the
//	                 filter table; without it every entry filter becomes a user
//	                 chain of that name ending in its default verdict
//	family=ipv4|ipv6 the ruleset's family when the filters apply to both (default ipv4)
type renderFormat struct {
	ipset  bool
	chain  string
	family string
}

func parseRenderFormat(s string) (renderFormat, error) {
	var f renderFormat
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		k, v, _ := strings.Cut(w, "=")
		switch {
		case w == "", w == "iptables-restore", w == "iptables-save", w == "ip6tables-restore", w == "ip6tables-save":
			if strings.HasPrefix(w, "ip6") {
				f.family = "ipv6"
			}
		case w == "ipset":
			f.ipset = true
		case k == "chain":
			if !isBuiltin("filter", v) {
				return f, fmt.Errorf("iptables render: chain=%q: want INPUT, FORWARD or OUTPUT", v)
			}
			f.chain = v
		case k == "hook":
			c := strings.ToUpper(v)
			if !isBuiltin("filter", c) {
				return f, fmt.Errorf("iptables render: hook=%q: want input, forward or output", v)
			}
			f.chain = c
		case k == "family":
			switch v {
			case "ipv4", "inet", "ip", "4":
				f.family = "ipv4"
			case "ipv6", "inet6", "ip6", "6":
				f.family = "ipv6"
			default:
				return f, fmt.Errorf("iptables render: family=%q: want ipv4 or ipv6", v)
			}
		default:
			return f, fmt.Errorf("iptables render: unknown format option %q (want ipset, chain=NAME, family=ipv4|ipv6)", w)
		}
	}
	return f, nil
}

// Render writes cfg's filters (all, or opt.Filters and the chains they jump
// to) as an iptables-restore payload; with Format "ipset" it returns the
// `ipset restore` payload of the sets those rules use. See RenderRuleset.
func Render(cfg *policy.Config, opt vendors.RenderOptions) ([]byte, error) {
	f, err := parseRenderFormat(opt.Format)
	if err != nil {
		return nil, err
	}
	r, err := RenderRuleset(cfg, opt)
	if err != nil {
		return nil, err
	}
	if f.ipset {
		return r.IPSets, nil
	}
	return r.Rules, nil
}

// maxAlternatives bounds how many iptables rules one model rule may expand
// into (port lists longer than multiport takes, ICMP type sets, ...).
const maxAlternatives = 4096

// maxSetEntries bounds a generated ipset (expanded wildcards).
const maxSetEntries = 1 << 20

// RenderRuleset renders cfg as iptables-restore text plus the ipsets it
// uses. An iptables config keeps its tables, chains and policies. Any other
// vendor's filters are converted: see renderFormat. Conditions iptables
// cannot express directly are expanded exactly (several disjoint rules,
// negations, generated hash:net ipsets for large or non-contiguous address
// sets); what cannot be expressed exactly is an error, never widened.
func RenderRuleset(cfg *policy.Config, opt vendors.RenderOptions) (*Rendered, error) {
	rf, err := parseRenderFormat(opt.Format)
	if err != nil {
		return nil, err
	}
	filters, err := render.SelectReachable(cfg, opt.Filters)
	if err != nil {
		return nil, err
	}
	r := &renderer{cfg: cfg, native: cfg.Vendor == "iptables", sets: map[string]*setOut{}}
	if err := r.chooseFamily(filters, rf); err != nil {
		return nil, err
	}
	if err := r.layout(filters, rf); err != nil {
		return nil, err
	}
	if err := r.write(); err != nil {
		return nil, err
	}
	out := &Rendered{Rules: r.out.Bytes(), V6: r.v6}
	for _, t := range r.tables {
		for _, c := range t.chains {
			out.Chains = append(out.Chains, t.name+"/"+c.name)
		}
	}
	if len(r.setOrder) > 0 {
		var b bytes.Buffer
		for _, s := range r.setOrder {
			out.Sets = append(out.Sets, s.name)
			writeIPSet(&b, s, r.v6)
		}
		out.IPSets = b.Bytes()
	}
	return out, nil
}

type renderer struct {
	cfg      *policy.Config
	native   bool
	v6       bool
	tables   []*tableOut
	byFilter map[string]*chainOut
	sets     map[string]*setOut
	setOrder []*setOut
	out      bytes.Buffer
	used     map[string]bool // chain names taken, per rendering
	helpers  []*chainOut     // helper chains of the table being written
}

type tableOut struct {
	name   string
	chains []*chainOut
}

type chainOut struct {
	name    string
	builtin bool
	policy  string // ACCEPT/DROP for built-in chains
	filter  *policy.Filter
	// final is the verdict appended after the rules ("" none): a
	// converted ACL's implicit default, or REJECT for a reject default.
	final string
	// helper chains are generated (exceptProtos); lines are their rules
	helper bool
	lines  []string
}

type setOut struct {
	name     string
	prefixes []netip.Prefix
}

func (r *renderer) chooseFamily(filters []*policy.Filter, rf renderFormat) error {
	has := map[policy.Family]bool{}
	for _, f := range filters {
		has[f.Family] = true
	}
	switch {
	case has[policy.FamilyIPv4] && has[policy.FamilyIPv6]:
		return fmt.Errorf("%s: the selected filters mix IPv4 and IPv6: render each family separately (RenderOptions.Filters)", r.cfg.File)
	case has[policy.FamilyIPv6]:
		if rf.family == "ipv4" {
			return fmt.Errorf("%s: family=ipv4 but the filters are IPv6", r.cfg.File)
		}
		r.v6 = true
	case has[policy.FamilyIPv4]:
		if rf.family == "ipv6" {
			return fmt.Errorf("%s: family=ipv6 but the filters are IPv4", r.cfg.File)
		}
	default:
		r.v6 = rf.family == "ipv6"
	}
	return nil
}

// validChainName: what iptables accepts as a user chain name.
func validChainName(s string) bool {
	if s == "" || len(s) > 28 || s[0] == '-' || s[0] == '!' || isNumber(s) {
		return false
	}
	switch s {
	case "ACCEPT", "DROP", "REJECT", "RETURN", "QUEUE", "LOG", "NFLOG":
		return false
	}
	if extensionTargets[s] {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

// chainNameFor turns a foreign filter name into a user chain name.
func chainNameFor(name string, used map[string]bool) string {
	n := name
	if !validChainName(n) {
		var b strings.Builder
		for i := 0; i < len(n); i++ {
			c := n[i]
			if c <= ' ' || c > '~' || c == '"' || c == '\'' || c == '!' {
				c = '_'
			}
			b.WriteByte(c)
		}
		n = b.String()
		if n == "" || n[0] == '-' || isNumber(n) || !validChainName(n) {
			n = "F_" + n
		}
		if len(n) > 28 {
			n = n[:28]
		}
	}
	return render.UniqueName(n, 28, used)
}

func verdictName(a policy.Action) (string, bool) {
	switch a {
	case policy.Permit:
		return "ACCEPT", true
	case policy.Deny:
		return "DROP", true
	case policy.Reject:
		return "REJECT", true
	}
	return "", false
}

// layout maps filters to tables and chains.
func (r *renderer) layout(filters []*policy.Filter, rf renderFormat) error {
	r.byFilter = map[string]*chainOut{}
	tables := map[string]*tableOut{}
	table := func(name string) *tableOut {
		t := tables[name]
		if t == nil {
			t = &tableOut{name: name}
			tables[name] = t
			r.tables = append(r.tables, t)
		}
		return t
	}
	if r.native {
		if rf.chain != "" {
			return fmt.Errorf("%s: chain= applies to converted configs; an iptables config keeps its chains", r.cfg.File)
		}
		for _, f := range filters {
			tn := f.Meta["table"]
			if tn == "" {
				tn = "filter"
			}
			cn := f.Meta["chain"]
			if cn == "" {
				cn = f.Name
			}
			c := &chainOut{name: cn, filter: f, builtin: isBuiltin(tn, cn)}
			if c.builtin {
				switch f.Default {
				case policy.Permit:
					c.policy = "ACCEPT"
				case policy.Deny:
					c.policy = "DROP"
				case policy.Reject:
					c.policy, c.final = "DROP", "REJECT"
				default:
					return fmt.Errorf("%s: built-in chain %s has default %s", f.Pos, f.Name, f.Default)
				}
			}
			t := table(tn)
			t.chains = append(t.chains, c)
			r.byFilter[f.Name] = c
		}
		return r.checkTargets(filters)
	}
	used := map[string]bool{}
	for _, n := range builtinChains["filter"] {
		used[n] = true
	}
	var entries []*policy.Filter
	for _, f := range filters {
		if f.Entry {
			entries = append(entries, f)
		}
	}
	if rf.chain != "" && len(entries) != 1 {
		return fmt.Errorf("%s: chain=%s needs exactly one entry filter, %d selected (name one in RenderOptions.Filters)", r.cfg.File, rf.chain, len(entries))
	}
	t := table("filter")
	for _, f := range filters {
		c := &chainOut{filter: f}
		if f.Entry && rf.chain != "" {
			c.name, c.builtin = rf.chain, true
			switch f.Default {
			case policy.Permit:
				c.policy = "ACCEPT"
			case policy.Deny:
				c.policy = "DROP"
			case policy.Reject:
				c.policy, c.final = "DROP", "REJECT"
			default:
				return fmt.Errorf("%s: filter %s has default %s: a built-in chain needs accept, drop or reject", f.Pos, f.Name, f.Default)
			}
		} else {
			c.name = chainNameFor(f.Name, used)
			if f.Default != policy.Return {
				v, ok := verdictName(f.Default)
				if !ok {
					return fmt.Errorf("%s: filter %s has default %s", f.Pos, f.Name, f.Default)
				}
				c.final = v
			}
		}
		t.chains = append(t.chains, c)
		r.byFilter[f.Name] = c
	}
	// built-in chains first, as iptables-save writes them
	sort.SliceStable(t.chains, func(i, j int) bool { return t.chains[i].builtin && !t.chains[j].builtin })
	return r.checkTargets(filters)
}

func (r *renderer) checkTargets(filters []*policy.Filter) error {
	for _, f := range filters {
		for _, ru := range f.Rules {
			if ru.Action != policy.Jump && ru.Action != policy.Goto {
				continue
			}
			c := r.byFilter[ru.Target]
			if c == nil {
				return fmt.Errorf("%s: rule %s of %s jumps to %q, which is not rendered", ru.Pos, ru.Name, f.Name, ru.Target)
			}
			if c.builtin {
				return fmt.Errorf("%s: rule %s of %s jumps to %s, which is rendered as a built-in chain: iptables cannot jump to it", ru.Pos, ru.Name, f.Name, c.name)
			}
		}
	}
	return nil
}

func (r *renderer) write() error {
	b := &r.out
	r.used = map[string]bool{}
	for _, t := range r.tables {
		for _, c := range t.chains {
			r.used[c.name] = true
		}
	}
	tool := "iptables-restore"
	if r.v6 {
		tool = "ip6tables-restore"
	}
	src := r.cfg.File
	if src == "" {
		src = r.cfg.Device
	}
	fmt.Fprintf(b, "# Generated by fwpol (%s format) from %s\n", tool, oneLine(src))
	head := r.out
	for _, t := range r.tables {
		// rules first: they may need helper chains, declared with the others
		r.out, r.helpers = bytes.Buffer{}, nil
		for _, c := range t.chains {
			if err := r.writeChain(c); err != nil {
				return err
			}
		}
		body := r.out
		fmt.Fprintf(&head, "*%s\n", t.name)
		for _, c := range append(append([]*chainOut(nil), t.chains...), r.helpers...) {
			p := "-"
			if c.builtin {
				p = c.policy
			}
			fmt.Fprintf(&head, ":%s %s [0:0]\n", c.name, p)
		}
		head.Write(body.Bytes())
		for _, h := range r.helpers {
			for _, l := range h.lines {
				head.WriteString(l + "\n")
			}
		}
		head.WriteString("COMMIT\n")
	}
	r.out = head
	return nil
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

func (r *renderer) writeChain(c *chainOut) error {
	f := c.filter
	rules := f.Rules
	for i := 0; i < len(rules); i++ {
		ru := rules[i]
		// native rules with an unresolved ipset: write the source line again
		// (the set is on the device; the model does not know its content)
		if r.native && hasUnresolved(ru) {
			text, ok := ru.Extras.Vendor[vendorRuleKey]
			if !ok {
				return fmt.Errorf("%s: rule %s of %s has unresolved references %v and no source text", ru.Pos, ru.Name, f.Name, unresolvedOf(ru))
			}
			for i+1 < len(rules) && rules[i+1].Pos.Line == ru.Pos.Line && rules[i+1].Extras.Vendor[vendorRuleKey] == text {
				i++
			}
			line, err := retarget(text, c.name)
			if err != nil {
				return fmt.Errorf("%s: %v", ru.Pos, err)
			}
			r.out.WriteString(line + "\n")
			continue
		}
		lines, err := r.ruleLines(c, ru)
		if err != nil {
			return fmt.Errorf("%s: rule %s of %s: %w", ru.Pos, ru.Name, f.Name, err)
		}
		if len(lines) == 1 && strings.HasPrefix(lines[0], "# fwpol: rule ") && hasSibling(rules, i) {
			// one empty alternative of a split source rule: nothing to say
			continue
		}
		for _, l := range lines {
			r.out.WriteString(l)
			r.out.WriteByte('\n')
		}
	}
	if c.final != "" {
		fmt.Fprintf(&r.out, "-A %s -j %s\n", c.name, c.final)
	}
	return nil
}

// hasSibling: another rule of the same source rule (same name and position).
func hasSibling(rules []*policy.Rule, i int) bool {
	r := rules[i]
	return (i > 0 && rules[i-1].Name == r.Name && rules[i-1].Pos == r.Pos) ||
		(i+1 < len(rules) && rules[i+1].Name == r.Name && rules[i+1].Pos == r.Pos)
}

func hasUnresolved(ru *policy.Rule) bool {
	return len(ru.Match.Src.Unresolved) > 0 || len(ru.Match.Dst.Unresolved) > 0 || len(ru.Match.Unresolved) > 0
}

func unresolvedOf(ru *policy.Rule) []string {
	out := append([]string(nil), ru.Match.Src.Unresolved...)
	out = append(out, ru.Match.Dst.Unresolved...)
	return append(out, ru.Match.Unresolved...)
}

// retarget rewrites a stored source rule line ("[c] -A|-I CHAIN [n] ...")
// as "-A CHAIN ...".
func retarget(text, chain string) (string, error) {
	toks, err := tokenize("", 0, []byte(text), nil)
	if err != nil || len(toks) < 2 {
		return "", fmt.Errorf("cannot re-read source rule %q", text)
	}
	rest := text
	if t := toks[0].s; t[0] == '[' {
		toks = toks[1:]
	}
	if len(toks) < 2 {
		return "", fmt.Errorf("cannot re-read source rule %q", text)
	}
	skip := toks[1].col - 1 + len(toks[1].s)
	if (toks[0].s == "-I" || toks[0].s == "--insert") && len(toks) > 2 && isNumber(toks[2].s) {
		skip = toks[2].col - 1 + len(toks[2].s)
	}
	rest = strings.TrimSpace(text[skip:])
	return "-A " + chain + " " + rest, nil
}

// alt is one conjunction of iptables options; a rule expands into the
// product of its dimensions' alternatives, which are pairwise disjoint.
type alt []string

func product(a, b []alt) ([]alt, error) {
	if len(a)*len(b) > maxAlternatives {
		return nil, fmt.Errorf("expands into more than %d iptables rules", maxAlternatives)
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

var one = []alt{nil}

// ruleLines renders one model rule as iptables rules (none when it can
// never match in this family).
func (r *renderer) ruleLines(c *chainOut, ru *policy.Rule) ([]string, error) {
	if ru.Inactive {
		return []string{"# fwpol: inactive rule " + oneLine(ru.Name) + " not rendered"}, nil
	}
	never := func(why string) ([]string, error) {
		return []string{"# fwpol: rule " + oneLine(ru.Name) + " never matches (" + why + "): not rendered"}, nil
	}
	m := &ru.Match
	if len(m.Unresolved) > 0 {
		return nil, fmt.Errorf("unresolved references %v: the rule's content is unknown", m.Unresolved)
	}
	dims := [][]alt{}
	for _, side := range []struct {
		am  *policy.AddrMatch
		src bool
	}{{&m.Src, true}, {&m.Dst, false}} {
		as, empty, err := r.addrAlts(side.am, side.src)
		if err != nil {
			return nil, err
		}
		if empty {
			return never("address condition holds no address of this family")
		}
		dims = append(dims, as)
	}
	ifs, err := ifaceAlt(c, m)
	if err != nil {
		return nil, err
	}
	dims = append(dims, ifs)
	ps, empty, err := r.protoAlts(m)
	var except *exceptProtos
	if ep, ok := err.(*exceptProtos); ok {
		switch ru.Action {
		case policy.Goto, policy.Return:
			// a helper chain would change where the goto/return leads
			return nil, fmt.Errorf("%v, and a %s rule cannot use a helper chain", err, ru.Action)
		}
		except, ps, err = ep, one, nil
	}
	if err != nil {
		return nil, err
	}
	if empty {
		return never("no protocol satisfies its conditions")
	}
	dims = append(dims, ps)
	st, err := r.stateAlt(m)
	if err != nil {
		return nil, err
	}
	dims = append(dims, st)
	if r.native {
		dims = append(dims, []alt{vendorMatches(ru.Extras.Vendor)})
	}
	if ru.Extras.Comment != "" {
		dims = append(dims, []alt{{"-m", "comment", "--comment", quote(truncate(ru.Extras.Comment, 255))}})
	}
	alts := one
	for _, d := range dims {
		if alts, err = product(alts, d); err != nil {
			return nil, err
		}
	}
	targets, err := r.targets(c, ru)
	if err != nil {
		return nil, err
	}
	if except != nil {
		// -j HELPER; HELPER returns for the excluded protocols, then
		// applies the rule's target (a jump from it returns into the
		// helper and falls off back to this chain, as the jump would)
		h := &chainOut{name: chainNameFor(truncate(c.name, 18)+"-NP"+ru.Name, r.used), helper: true}
		for _, p := range except.except {
			h.lines = append(h.lines, "-A "+h.name+" -p "+render.LinuxProtoWord(p)+" -j RETURN")
		}
		for _, t := range targets {
			if len(t) == 4 && t[3] == "tcp-reset" {
				t = append(append([]string(nil), t[:3]...), r.rejectWith(""))
			}
			h.lines = append(h.lines, strings.Join(append([]string{"-A", h.name}, t...), " "))
		}
		r.helpers = append(r.helpers, h)
		targets = [][]string{{"-j", h.name}}
	}
	var lines []string
	for _, a := range alts {
		for _, t := range targets {
			if len(t) == 4 && t[3] == "tcp-reset" && !isTCPOnly(a) {
				// a TCP reset needs -p tcp; other protocols get the
				// family's port-unreachable (the verdict is Reject either way)
				t = append(append([]string(nil), t[:3]...), r.rejectWith(""))
			}
			parts := append([]string{"-A", c.name}, a...)
			parts = append(parts, t...)
			lines = append(lines, strings.Join(parts, " "))
		}
	}
	return lines, nil
}

// targets lists the target options of a rule: a LOG rule before a verdict
// when a terminating rule also logs.
func (r *renderer) targets(c *chainOut, ru *policy.Rule) ([][]string, error) {
	var logT []string
	if ru.Extras.Log {
		logT = []string{"-j", "LOG"}
		if r.native {
			if v := ru.Extras.Vendor["log"]; v != "" {
				if strings.Contains(v, "--nflog") {
					logT = []string{"-j", "NFLOG"}
				}
				logT = append(logT, v)
			}
		}
	}
	switch ru.Action {
	case policy.Permit, policy.Deny:
		v, _ := verdictName(ru.Action)
		return withLog(logT, []string{"-j", v}), nil
	case policy.Reject:
		return withLog(logT, []string{"-j", "REJECT", "--reject-with", r.rejectWith(ru.Extras.RejectWith)}), nil
	case policy.Return:
		return withLog(logT, []string{"-j", "RETURN"}), nil
	case policy.Jump, policy.Goto:
		t := r.byFilter[ru.Target]
		opt := "-j"
		if ru.Action == policy.Goto {
			opt = "-g"
		}
		return withLog(logT, []string{opt, t.name}), nil
	case policy.Next:
		if logT != nil {
			return [][]string{logT}, nil
		}
		if r.native {
			if t := ru.Extras.Vendor["target"]; t != "" {
				x := []string{"-j", t}
				if o := ru.Extras.Vendor["target-options"]; o != "" {
					x = append(x, o)
				}
				return [][]string{x}, nil
			}
		}
		return [][]string{nil}, nil // counts only
	}
	return nil, fmt.Errorf("action %s has no iptables target", ru.Action)
}

func isTCPOnly(a alt) bool {
	for i := 0; i+1 < len(a); i++ {
		if a[i] == "-p" && a[i+1] == "tcp" && (i == 0 || a[i-1] != "!") {
			return true
		}
	}
	return false
}

func withLog(logT, t []string) [][]string {
	if logT == nil {
		return [][]string{t}
	}
	return [][]string{logT, t}
}

// rejectWith maps a reject type of any vendor to the table family's
// --reject-with value (the model's verdict is Reject whatever the type).
func (r *renderer) rejectWith(s string) string {
	if s == "tcp-reset" || s == "tcp-rst" {
		return "tcp-reset"
	}
	if r.v6 {
		if rejectTypes6[s] {
			return s
		}
		switch s {
		case "administratively-prohibited", "admin-prohibited", "icmp-admin-prohibited", "prohibited":
			return "icmp6-adm-prohibited"
		case "host-unreachable", "icmp-host-unreachable", "address-unreachable":
			return "icmp6-addr-unreachable"
		case "network-unreachable", "icmp-net-unreachable", "no-route":
			return "icmp6-no-route"
		}
		return "icmp6-port-unreachable"
	}
	if rejectTypes4[s] {
		return s
	}
	switch s {
	case "administratively-prohibited", "admin-prohibited", "prohibited", "icmp6-adm-prohibited":
		return "icmp-admin-prohibited"
	case "host-unreachable", "icmp6-addr-unreachable":
		return "icmp-host-unreachable"
	case "network-unreachable", "icmp6-no-route", "no-route":
		return "icmp-net-unreachable"
	case "protocol-unreachable":
		return "icmp-proto-unreachable"
	case "host-prohibited":
		return "icmp-host-prohibited"
	case "network-prohibited":
		return "icmp-net-prohibited"
	}
	return "icmp-port-unreachable"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// quote writes a word the way iptables-save does: bare when it has no
// blank or quote, else in double quotes with \" and \\ escaped.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"\\'") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		if c == '\n' || c == '\r' {
			c = ' '
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// vendorMatches re-emits the match modules an iptables config kept
// verbatim (unknown modules, limit, unevaluated conntrack/tcp options).
func vendorMatches(v map[string]string) alt {
	if len(v) == 0 {
		return nil
	}
	var out alt
	var mods []string
	for k := range v {
		if strings.HasPrefix(k, "m:") {
			mods = append(mods, k)
		}
	}
	sort.Strings(mods)
	for _, k := range mods {
		out = append(out, "-m", k[2:])
		if s := v[k]; s != "" {
			out = append(out, s)
		}
	}
	if s := v["limit"]; s != "" {
		out = append(out, "-m", "limit", s)
	}
	if s := v["conntrack"]; s != "" {
		out = append(out, "-m", "conntrack", s)
	}
	if s := v["tcp"]; s != "" {
		out = append(out, "-m", "tcp", s)
	}
	return out
}

func ifaceAlt(c *chainOut, m *policy.Match) ([]alt, error) {
	var a alt
	if m.InIface != "" {
		if c.builtin && (c.name == "OUTPUT" || c.name == "POSTROUTING") {
			return nil, fmt.Errorf("input interface %s cannot be matched in chain %s", m.InIface, c.name)
		}
		if len(m.InIface) > 15 {
			return nil, fmt.Errorf("interface name %q is longer than 15 characters", m.InIface)
		}
		if m.NegInIface {
			a = append(a, "!")
		}
		a = append(a, "-i", quote(m.InIface))
	}
	if m.OutIface != "" {
		if c.builtin && (c.name == "INPUT" || c.name == "PREROUTING") {
			return nil, fmt.Errorf("output interface %s cannot be matched in chain %s", m.OutIface, c.name)
		}
		if len(m.OutIface) > 15 {
			return nil, fmt.Errorf("interface name %q is longer than 15 characters", m.OutIface)
		}
		if m.NegOutIface {
			a = append(a, "!")
		}
		a = append(a, "-o", quote(m.OutIface))
	}
	return []alt{a}, nil
}

// familyPart restricts a set to the renderer's family: the ranges and
// the wildcard patterns of that family.
func (r *renderer) familyPart(s *policy.AddrSet) ([]netipx.IPRange, []policy.Wildcard) {
	var rr []netipx.IPRange
	for _, x := range s.Ranges() {
		if x.From().Is6() == r.v6 {
			rr = append(rr, x)
		}
	}
	var ws []policy.Wildcard
	for _, w := range s.Wildcards() {
		if w.Addr.Is6() == r.v6 {
			ws = append(ws, w)
		}
	}
	return rr, ws
}

func rangeText(x netipx.IPRange) string { return x.From().String() + "-" + x.To().String() }

// addrAlts renders one address condition. empty reports a condition no
// address of the family satisfies (the rule never matches).
func (r *renderer) addrAlts(am *policy.AddrMatch, src bool) ([]alt, bool, error) {
	opt, rng, dir := "-d", "--dst-range", "dst"
	if src {
		opt, rng, dir = "-s", "--src-range", "src"
	}
	if am.Any {
		if am.Negate {
			return nil, true, nil
		}
		return one, false, nil
	}
	if am.Set == nil {
		if am.Negate {
			return one, false, nil
		}
		return nil, true, nil
	}
	rr, ws := r.familyPart(am.Set)
	if len(rr) == 0 && len(ws) == 0 {
		if am.Negate {
			return one, false, nil
		}
		return nil, true, nil
	}
	neg := alt(nil)
	if am.Negate {
		neg = alt{"!"}
	}
	// a named ipset of the config with exactly this content
	if len(am.Refs) == 1 {
		if o := r.cfg.Object(am.Refs[0]); o != nil && o.Kind == "ipset" && sameSet(o.Addrs, am.Set) && len(ws) == 0 {
			if err := r.addSet(o.Name, prefixesOf(rr)); err != nil {
				return nil, false, err
			}
			return []alt{append(append(alt{"-m", "set"}, neg...), "--match-set", o.Name, dir)}, false, nil
		}
	}
	if len(ws) == 0 {
		ps := prefixesOf(rr)
		switch {
		case len(rr) == 1 && len(ps) == 1:
			return []alt{append(neg, opt, ps[0].String())}, false, nil
		case len(rr) == 1:
			return []alt{append(append(alt{"-m", "iprange"}, neg...), rng, rangeText(rr[0]))}, false, nil
		case am.Negate && len(rr) <= 8:
			var a alt
			for _, x := range rr {
				a = append(a, "-m", "iprange", "!", rng, rangeText(x))
			}
			return []alt{a}, false, nil
		case !am.Negate && len(ps) <= 16:
			s := make([]string, len(ps))
			for i, p := range ps {
				s[i] = p.String()
			}
			return []alt{{opt, strings.Join(s, ",")}}, false, nil
		case !am.Negate && len(rr) <= 16:
			var out []alt
			for _, x := range rr {
				if p, ok := x.Prefix(); ok {
					out = append(out, alt{opt, p.String()})
				} else {
					out = append(out, alt{"-m", "iprange", rng, rangeText(x)})
				}
			}
			return out, false, nil
		}
	}
	// a generated hash:net set: exact for any content, wildcards expanded
	ps, err := expand(rr, ws)
	if err != nil {
		return nil, false, err
	}
	name := generatedSetName(ps, r.v6)
	if err := r.addSet(name, ps); err != nil {
		return nil, false, err
	}
	return []alt{append(append(alt{"-m", "set"}, neg...), "--match-set", name, dir)}, false, nil
}

func sameSet(a, b *policy.AddrSet) bool {
	ra, rb := a.Ranges(), b.Ranges()
	if len(ra) != len(rb) || len(a.Wildcards()) != len(b.Wildcards()) {
		return false
	}
	for i := range ra {
		if ra[i] != rb[i] {
			return false
		}
	}
	wa, wb := a.Wildcards(), b.Wildcards()
	for i := range wa {
		if wa[i] != wb[i] {
			return false
		}
	}
	return true
}

func prefixesOf(rr []netipx.IPRange) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range rr {
		out = append(out, x.Prefixes()...)
	}
	return out
}

// expand turns ranges and wildcard patterns into the minimal prefixes of
// their union; a pattern with too many don't-care bits is an error.
func expand(rr []netipx.IPRange, ws []policy.Wildcard) ([]netip.Prefix, error) {
	if len(ws) == 0 {
		return prefixesOf(rr), nil
	}
	var b netipx.IPSetBuilder
	for _, x := range rr {
		b.AddRange(x)
	}
	total := 0
	for _, w := range ws {
		ps, err := wildcardPrefixes(w)
		if err != nil {
			return nil, err
		}
		total += len(ps)
		if total > maxSetEntries {
			return nil, fmt.Errorf("wildcard patterns expand into more than %d prefixes: iptables cannot match them exactly", maxSetEntries)
		}
		for _, p := range ps {
			b.AddPrefix(p)
		}
	}
	s, err := b.IPSet()
	if err != nil {
		return nil, err
	}
	return s.Prefixes(), nil
}

// wildcardPrefixes enumerates a non-contiguous wildcard's prefixes.
func wildcardPrefixes(w policy.Wildcard) ([]netip.Prefix, error) {
	m, base := w.Mask.AsSlice(), w.Addr.AsSlice()
	nbits := len(m) * 8
	bit := func(i int) bool { return m[i/8]>>(7-uint(i%8))&1 == 1 }
	trailing := 0
	for i := nbits - 1; i >= 0 && bit(i); i-- {
		trailing++
	}
	var free []int
	for i := 0; i < nbits-trailing; i++ {
		if bit(i) {
			free = append(free, i)
		}
	}
	if len(free) > 20 {
		return nil, fmt.Errorf("wildcard %s has %d non-contiguous don't-care bits (%d prefixes): iptables cannot match it exactly", w, len(free), 1<<len(free))
	}
	for i := range base {
		base[i] &^= m[i]
	}
	out := make([]netip.Prefix, 0, 1<<len(free))
	for combo := 0; combo < 1<<len(free); combo++ {
		b := append([]byte(nil), base...)
		for k, pos := range free {
			if combo>>k&1 == 1 {
				b[pos/8] |= 1 << (7 - uint(pos%8))
			}
		}
		a, _ := netip.AddrFromSlice(b)
		out = append(out, netip.PrefixFrom(a, nbits-trailing))
	}
	return out, nil
}

func generatedSetName(ps []netip.Prefix, v6 bool) string {
	h := fnv.New64a()
	for _, p := range ps {
		b, _ := p.MarshalBinary()
		h.Write(b)
	}
	if v6 {
		h.Write([]byte{6})
	}
	return fmt.Sprintf("fwpol-%012x", h.Sum64()&0xffffffffffff)
}

func (r *renderer) addSet(name string, ps []netip.Prefix) error {
	if old, ok := r.sets[name]; ok {
		if len(old.prefixes) != len(ps) {
			return fmt.Errorf("ipset %s is used with two different contents", name)
		}
		return nil
	}
	if len(name) > 31 {
		return fmt.Errorf("ipset name %q is longer than 31 characters", name)
	}
	s := &setOut{name: name, prefixes: ps}
	r.sets[name] = s
	r.setOrder = append(r.setOrder, s)
	return nil
}

// writeIPSet writes one set as `ipset restore` input: a hash:net set
// (which holds any address content exactly; /0 is split in two halves, as
// hash:net takes prefixes of length 1 and more).
func writeIPSet(b *bytes.Buffer, s *setOut, v6 bool) {
	fam := "inet"
	if v6 {
		fam = "inet6"
	}
	var ps []netip.Prefix
	for _, p := range s.prefixes {
		if p.Bits() == 0 {
			lo := netip.PrefixFrom(p.Addr(), 1)
			hi := netipx.RangeOfPrefix(p).To()
			ps = append(ps, lo, netip.PrefixFrom(hi, 1).Masked())
			continue
		}
		ps = append(ps, p)
	}
	maxelem := 65536
	for maxelem < len(ps) {
		maxelem *= 2
	}
	fmt.Fprintf(b, "create %s hash:net family %s hashsize 1024 maxelem %d\n", s.name, fam, maxelem)
	for _, p := range ps {
		if p.IsSingleIP() {
			fmt.Fprintf(b, "add %s %s\n", s.name, p.Addr())
		} else {
			fmt.Fprintf(b, "add %s %s\n", s.name, p)
		}
	}
}

// protoAlts renders the protocol with its port, ICMP and TCP-flag
// conditions. empty: no protocol satisfies them (the rule never matches).
func (r *renderer) protoAlts(m *policy.Match) ([]alt, bool, error) {
	protos := policy.NewRanges(policy.Range{Lo: 0, Hi: policy.MaxProto})
	if m.Protocols != nil {
		protos = *m.Protocols
	}
	ports := m.SrcPorts != nil || m.DstPorts != nil
	icmp := m.ICMPTypes != nil || m.ICMPCodes != nil
	tcpOnly := m.TCPEstablished || m.TCPFlags != ""
	var flagAlts []alt
	if tcpOnly {
		var err error
		if flagAlts, err = r.tcpFlagAlts(m); err != nil {
			return nil, false, err
		}
	}
	switch {
	case ports && icmp:
		return nil, true, nil
	case ports || tcpOnly:
		var out []alt
		for _, p := range render.Values(render.PortProtos) {
			if !protos.Contains(p) || (tcpOnly && p != policy.ProtoTCP) {
				continue
			}
			w := render.LinuxProtoWord(p)
			base := alt{"-p", w}
			sp, err := portAlts(m.SrcPorts, "--sport", "--sports")
			if err != nil {
				return nil, false, err
			}
			dp, err := portAlts(m.DstPorts, "--dport", "--dports")
			if err != nil {
				return nil, false, err
			}
			pa, err := product(sp, dp)
			if err != nil {
				return nil, false, err
			}
			if p == policy.ProtoTCP && tcpOnly {
				if pa, err = product(pa, flagAlts); err != nil {
					return nil, false, err
				}
			}
			for _, a := range pa {
				x := append(alt(nil), base...)
				if len(a) > 0 {
					x = append(append(x, "-m", w), a...)
				}
				out = append(out, x)
			}
		}
		if len(out) == 0 {
			return nil, true, nil
		}
		return out, false, nil
	case icmp:
		own, other := uint16(policy.ProtoICMP), uint16(policy.ProtoICMPv6)
		if r.v6 {
			own, other = other, own
		}
		if protos.Contains(other) {
			return nil, false, fmt.Errorf("ICMP type/code conditions on protocol %d cannot be matched by %s (restrict the protocol to %d)", other, map[bool]string{false: "iptables", true: "ip6tables"}[r.v6], own)
		}
		if !protos.Contains(own) {
			return nil, true, nil
		}
		return r.icmpAlts(m)
	}
	if m.Protocols == nil || protos.IsFull(policy.MaxProto) {
		return one, false, nil
	}
	if len(protos) == 0 {
		return nil, true, nil
	}
	comp := protos.Complement(policy.MaxProto)
	if render.Count(comp) == 1 && !comp.Contains(0) {
		return []alt{{"!", "-p", render.LinuxProtoWord(comp[0].Lo)}}, false, nil
	}
	if protos.Contains(0) {
		return nil, false, &exceptProtos{protos: protos, except: render.Values(comp)}
	}
	var out []alt
	for _, p := range render.Values(protos) {
		out = append(out, alt{"-p", render.LinuxProtoWord(p)})
	}
	return out, false, nil
}

// exceptProtos: a protocol set holding 0 (which -p cannot name: -p 0 means
// every protocol) is matched as "none of except" by a helper chain.
type exceptProtos struct {
	protos policy.Ranges
	except []uint16
}

func (e *exceptProtos) Error() string {
	return fmt.Sprintf("protocol set %s includes 0, which iptables cannot match (-p 0 means every protocol)", e.protos)
}

// portAlts renders a port condition: --sport/--dport for one interval (or
// its negation), multiport lists (15 slots, a range takes two) otherwise,
// split over several disjoint rules when longer.
func portAlts(rs *policy.Ranges, single, multi string) ([]alt, error) {
	if rs == nil || rs.IsFull(policy.MaxPort) {
		return one, nil
	}
	if len(*rs) == 0 {
		return nil, nil
	}
	slots := func(x policy.Ranges) int {
		n := 0
		for _, r := range x {
			if r.Lo == r.Hi {
				n++
			} else {
				n += 2
			}
		}
		return n
	}
	text := func(r policy.Range) string {
		if r.Lo == r.Hi {
			return strconv.Itoa(int(r.Lo))
		}
		return strconv.Itoa(int(r.Lo)) + ":" + strconv.Itoa(int(r.Hi))
	}
	list := func(x policy.Ranges) string {
		s := make([]string, len(x))
		for i, r := range x {
			s[i] = text(r)
		}
		return strings.Join(s, ",")
	}
	comp := rs.Complement(policy.MaxPort)
	switch {
	case len(*rs) == 1:
		return []alt{{single, text((*rs)[0])}}, nil
	case len(comp) == 1:
		return []alt{{"!", single, text(comp[0])}}, nil
	case slots(*rs) <= 15:
		return []alt{{"-m", "multiport", multi, list(*rs)}}, nil
	case slots(comp) <= 15:
		return []alt{{"-m", "multiport", "!", multi, list(comp)}}, nil
	}
	var out []alt
	var cur policy.Ranges
	n := 0
	for _, r := range *rs {
		s := slots(policy.Ranges{r})
		if n+s > 15 {
			out = append(out, alt{"-m", "multiport", multi, list(cur)})
			cur, n = nil, 0
		}
		cur = append(cur, r)
		n += s
	}
	out = append(out, alt{"-m", "multiport", multi, list(cur)})
	return out, nil
}

// icmpAlts renders ICMP type/code conditions: one rule per type (or one
// rule excluding the other types), codes likewise within each type.
func (r *renderer) icmpAlts(m *policy.Match) ([]alt, bool, error) {
	p, mod, opt := "icmp", "icmp", "--icmp-type"
	if r.v6 {
		p, mod, opt = "ipv6-icmp", "icmp6", "--icmpv6-type"
	}
	all := policy.NewRanges(policy.Range{Lo: 0, Hi: policy.MaxICMP})
	types, codes := all, all
	if m.ICMPTypes != nil {
		types = *m.ICMPTypes
	}
	if m.ICMPCodes != nil {
		codes = *m.ICMPCodes
	}
	if len(types) == 0 || len(codes) == 0 {
		return nil, true, nil
	}
	base := alt{"-p", p}
	if codes.IsFull(policy.MaxICMP) {
		if types.IsFull(policy.MaxICMP) {
			return []alt{base}, false, nil
		}
		comp := types.Complement(policy.MaxICMP)
		if render.Count(comp) < render.Count(types) {
			x := append(alt(nil), base...)
			for _, t := range render.Values(comp) {
				x = append(x, "-m", mod, "!", opt, strconv.Itoa(int(t)))
			}
			return []alt{x}, false, nil
		}
		var out []alt
		for _, t := range render.Values(types) {
			out = append(out, append(append(alt(nil), base...), "-m", mod, opt, strconv.Itoa(int(t))))
		}
		return out, false, nil
	}
	if render.Count(types)*min(render.Count(codes), render.Count(codes.Complement(policy.MaxICMP))+1) > maxAlternatives {
		return nil, false, fmt.Errorf("ICMP types %s with codes %s expand into too many iptables rules", types, codes)
	}
	var out []alt
	comp := codes.Complement(policy.MaxICMP)
	for _, t := range render.Values(types) {
		ts := strconv.Itoa(int(t))
		if render.Count(comp) < render.Count(codes) {
			x := append(append(alt(nil), base...), "-m", mod, opt, ts)
			for _, c := range render.Values(comp) {
				x = append(x, "-m", mod, "!", opt, ts+"/"+strconv.Itoa(int(c)))
			}
			out = append(out, x)
			continue
		}
		for _, c := range render.Values(codes) {
			out = append(out, append(append(alt(nil), base...), "-m", mod, opt, ts+"/"+strconv.Itoa(int(c))))
		}
	}
	return out, false, nil
}

// tcpFlagAlts renders TCP flag conditions (the rule's protocol is TCP).
func (r *renderer) tcpFlagAlts(m *policy.Match) ([]alt, error) {
	out := one
	if m.TCPFlags != "" {
		var a alt
		switch {
		case r.native:
			a = alt{m.TCPFlags}
		case m.TCPFlags == "tcp-initial":
			a = alt{"--tcp-flags", "SYN,ACK", "SYN"}
		default:
			return nil, fmt.Errorf("tcp flags %q cannot be rendered for iptables", m.TCPFlags)
		}
		out = []alt{a}
	}
	if m.TCPEstablished {
		// ACK or RST set, as two disjoint rules
		est := []alt{{"--tcp-flags", "ACK", "ACK"}, {"--tcp-flags", "ACK,RST", "RST"}}
		var err error
		if out, err = product(out, est); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// stateAlt renders fragment and conntrack conditions.
func (r *renderer) stateAlt(m *policy.Match) ([]alt, error) {
	var a alt
	switch m.Fragment {
	case "":
	case "-f", "fragments", "is-fragment":
		if r.v6 {
			return nil, fmt.Errorf("fragment condition %q: ip6tables has no -f", m.Fragment)
		}
		a = append(a, "-f")
	case "! -f":
		if r.v6 {
			return nil, fmt.Errorf("fragment condition %q: ip6tables has no -f", m.Fragment)
		}
		a = append(a, "!", "-f")
	default:
		return nil, fmt.Errorf("fragment condition %q cannot be rendered for iptables", m.Fragment)
	}
	var pos, neg []string
	for _, s := range m.CtStates {
		n := strings.HasPrefix(s, "!")
		s = strings.ToUpper(strings.TrimPrefix(s, "!"))
		if !ctStates[s] {
			return nil, fmt.Errorf("conntrack state %q cannot be rendered for iptables", s)
		}
		if n {
			neg = append(neg, s)
		} else {
			pos = append(pos, s)
		}
	}
	if len(pos) > 0 {
		a = append(a, "-m", "conntrack", "--ctstate", strings.Join(pos, ","))
	}
	if len(neg) > 0 {
		a = append(a, "-m", "conntrack", "!", "--ctstate", strings.Join(neg, ","))
	}
	return []alt{a}, nil
}
