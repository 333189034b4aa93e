package iptables

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// family of the ruleset being parsed.
const (
	famUnknown = iota
	famV4
	famV6
)

type tableState struct {
	name      string
	pos       policy.Pos
	chains    map[string]*chainState
	order     []*chainState
	jumps     []jumpEdge // jump/goto rules to user chains, in source order
	committed bool
}

type chainState struct {
	name    string
	builtin bool
	pos     policy.Pos
	policy  policy.Action
	groups  [][]*policy.Rule // one group per source rule (>1 rule: disjunction)
}

type jumpEdge struct {
	from, to string
	pos      policy.Pos // the target token
	line     string
}

type state struct {
	file   string
	cfg    *policy.Config
	fam    int
	famPos policy.Pos
	table  *tableState
	tables []*tableState
	toks   []tok
	// addrCache shares parsed address sets between rules: real rulesets
	// repeat the same hosts and networks many times.
	addrCache map[string]*policy.AddrSet
	// sets resolves ipset names; nil while parsing a single file.
	sets func(name string) *policy.Object
}

func (s *state) errf(line, col int, format string, args ...any) error {
	return parser.Errorf(policy.Pos{File: s.file, Line: line, Col: col}, format, args...)
}

func (s *state) pos(line, col int) policy.Pos { return policy.Pos{File: s.file, Line: line, Col: col} }

// parse is the iptables-save / ip6tables-save parser.
func parse(file string, data []byte) (*policy.Config, error) {
	s := &state{
		file:      file,
		cfg:       &policy.Config{File: file, Vendor: "iptables", Format: "iptables-save"},
		addrCache: make(map[string]*policy.AddrSet),
	}
	var err error
	parser.Lines(data, func(l parser.Line) bool {
		err = s.line(l)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if s.table != nil {
		s.cfg.Warnf(s.table.pos, "table %q is not committed (missing COMMIT); iptables-restore would not apply it, parsed anyway", s.table.name)
		if err := s.finishTable(); err != nil {
			return nil, err
		}
	}
	fam := policy.FamilyIPv4
	if s.fam == famV6 {
		fam = policy.FamilyIPv6
		s.cfg.Format = "ip6tables-save"
	}
	hasFilter := false
	for _, f := range s.cfg.Filters {
		f.Family = fam
		if f.Entry {
			hasFilter = true
		}
	}
	if !hasFilter {
		s.cfg.Warnf(policy.Pos{File: file}, "no *filter table: nothing here is evaluated for filtering")
	}
	return s.cfg, nil
}

func (s *state) line(l parser.Line) error {
	text := l.Text
	// skip leading blanks
	i := 0
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	if i == len(text) {
		return nil
	}
	switch text[i] {
	case '#':
		if s.fam == famUnknown && bytes.Contains(text, []byte("ip6tables-save")) {
			s.setFam(famV6, l.Num, i+1)
		}
		return nil
	case '*':
		return s.startTable(l.Num, text, i)
	case ':':
		return s.declareChain(l.Num, text)
	}
	toks, err := tokenize(s.file, l.Num, text, s.toks)
	s.toks = toks
	if err != nil {
		return err
	}
	if toks[0].s == "COMMIT" {
		if len(toks) > 1 {
			return s.errf(l.Num, toks[1].col, "unexpected %q after COMMIT", toks[1].s)
		}
		if s.table == nil {
			return s.errf(l.Num, toks[0].col, "COMMIT outside a table")
		}
		return s.finishTable()
	}
	// "[packets:bytes] -A ..." from iptables-save -c
	if t := toks[0].s; len(t) > 2 && t[0] == '[' && t[len(t)-1] == ']' {
		if _, _, ok := parseCounters(t); !ok {
			return s.errf(l.Num, toks[0].col, "bad counters %q", t)
		}
		toks = toks[1:]
		if len(toks) == 0 {
			return s.errf(l.Num, len(text)+1, "counters without a rule")
		}
	}
	return s.command(l.Num, text, toks)
}

func parseCounters(t string) (uint64, uint64, bool) {
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return 0, 0, false
	}
	a, b, ok := cut(t[1:len(t)-1], ':')
	if !ok {
		return 0, 0, false
	}
	pa, err1 := strconv.ParseUint(a, 10, 64)
	pb, err2 := strconv.ParseUint(b, 10, 64)
	return pa, pb, err1 == nil && err2 == nil
}

func (s *state) setFam(f, line, col int) error {
	if s.fam == famUnknown {
		s.fam = f
		s.famPos = s.pos(line, col)
		return nil
	}
	if s.fam != f {
		want := "IPv4 (iptables-save)"
		if s.fam == famV6 {
			want = "IPv6 (ip6tables-save)"
		}
		return s.errf(line, col, "mixes address families: the ruleset is %s since %s", want, s.famPos)
	}
	return nil
}

func (s *state) startTable(line int, text []byte, i int) error {
	if s.table != nil {
		s.cfg.Warnf(s.table.pos, "table %q is not committed before the next table (missing COMMIT), parsed anyway", s.table.name)
		if err := s.finishTable(); err != nil {
			return err
		}
	}
	name := strings.TrimRight(string(text[i+1:]), " \t")
	if _, ok := builtinChains[name]; !ok {
		return s.errf(line, i+2, "unknown table %q", name)
	}
	t := &tableState{name: name, pos: s.pos(line, i+1), chains: make(map[string]*chainState)}
	for _, old := range s.tables {
		if old.name == name {
			s.cfg.Warnf(t.pos, "table %q appears again: it replaces the earlier one (iptables-restore flushes it)", name)
			s.removeTable(name)
			break
		}
	}
	s.table = t
	return nil
}

func (s *state) removeTable(name string) {
	kept := s.cfg.Filters[:0]
	for _, f := range s.cfg.Filters {
		if f.Meta["table"] != name {
			kept = append(kept, f)
		}
	}
	s.cfg.Filters = kept
	kb := s.cfg.Bindings[:0]
	for _, b := range s.cfg.Bindings {
		if f := s.cfg.Filter(b.Filter); f != nil {
			kb = append(kb, b)
		}
	}
	s.cfg.Bindings = kb
	for i, t := range s.tables {
		if t.name == name {
			s.tables = append(s.tables[:i], s.tables[i+1:]...)
			break
		}
	}
}

// declareChain handles ":NAME POLICY [packets:bytes]".
func (s *state) declareChain(line int, text []byte) error {
	toks, err := tokenize(s.file, line, text, s.toks)
	s.toks = toks
	if err != nil {
		return err
	}
	if s.table == nil {
		return s.errf(line, toks[0].col, "chain declaration before a table (*filter, *nat, ...)")
	}
	name := toks[0].s[1:]
	col := toks[0].col
	if name == "" || len(name) > 28 {
		return s.errf(line, col, "invalid chain name %q", name)
	}
	if len(toks) < 2 {
		return s.errf(line, col+len(toks[0].s), "missing chain policy")
	}
	if len(toks) > 3 {
		return s.errf(line, toks[3].col, "unexpected %q", toks[3].s)
	}
	if len(toks) == 3 {
		if _, _, ok := parseCounters(toks[2].s); !ok {
			return s.errf(line, toks[2].col, "bad counters %q", toks[2].s)
		}
	}
	builtin := isBuiltin(s.table.name, name)
	pol := toks[1]
	c := &chainState{name: name, builtin: builtin, pos: s.pos(line, col), policy: policy.Return}
	switch {
	case builtin && pol.s == "ACCEPT":
		c.policy = policy.Permit
	case builtin && pol.s == "DROP":
		c.policy = policy.Deny
	case builtin:
		return s.errf(line, pol.col, "bad policy %q for built-in chain %s (ACCEPT or DROP)", pol.s, name)
	case pol.s != "-":
		return s.errf(line, pol.col, "user-defined chain %s cannot have a policy (%q): use \"-\"", name, pol.s)
	}
	if old, ok := s.table.chains[name]; ok {
		if !old.builtin || old.pos.Line != 0 {
			return s.errf(line, col, "chain %s already declared at line %d", name, old.pos.Line)
		}
		// a built-in chain used before its declaration
		old.pos, old.policy = c.pos, c.policy
		return nil
	}
	s.table.chains[name] = c
	s.table.order = append(s.table.order, c)
	return nil
}

// chain returns a chain of the current table; built-in chains exist in the
// kernel without a declaration.
func (s *state) chain(name string) *chainState {
	if c, ok := s.table.chains[name]; ok {
		return c
	}
	if isBuiltin(s.table.name, name) {
		c := &chainState{name: name, builtin: true, policy: policy.Permit}
		s.table.chains[name] = c
		s.table.order = append(s.table.order, c)
		return c
	}
	return nil
}

// command handles one rule-manipulating line: -A, -I, -N, -P, -F.
func (s *state) command(line int, text []byte, toks []tok) error {
	if s.table == nil {
		return s.errf(line, toks[0].col, "%q before a table (*filter, *nat, ...)", toks[0].s)
	}
	cmd := toks[0]
	if len(toks) < 2 {
		switch cmd.s {
		case "-A", "--append", "-I", "--insert", "-N", "--new-chain", "-P", "--policy", "-F", "--flush":
			return s.errf(line, cmd.col+len(cmd.s), "%s: missing chain name", cmd.s)
		}
		return s.errf(line, cmd.col, "unknown command %q", cmd.s)
	}
	chainTok := toks[1]
	switch cmd.s {
	case "-A", "--append", "-I", "--insert":
	case "-N", "--new-chain":
		if len(toks) > 2 {
			return s.errf(line, toks[2].col, "unexpected %q", toks[2].s)
		}
		if _, ok := s.table.chains[chainTok.s]; ok {
			return s.errf(line, chainTok.col, "chain %s already exists", chainTok.s)
		}
		c := &chainState{name: chainTok.s, pos: s.pos(line, chainTok.col), policy: policy.Return}
		s.table.chains[c.name] = c
		s.table.order = append(s.table.order, c)
		return nil
	case "-P", "--policy":
		c := s.table.chains[chainTok.s]
		if !isBuiltin(s.table.name, chainTok.s) {
			return s.errf(line, chainTok.col, "-P: %s is not a built-in chain", chainTok.s)
		}
		if len(toks) != 3 || (toks[2].s != "ACCEPT" && toks[2].s != "DROP") {
			return s.errf(line, chainTok.col+len(chainTok.s)+1, "-P %s needs ACCEPT or DROP", chainTok.s)
		}
		c = s.chain(chainTok.s)
		c.policy = policy.Permit
		if toks[2].s == "DROP" {
			c.policy = policy.Deny
		}
		return nil
	case "-F", "--flush":
		c := s.chain(chainTok.s)
		if c == nil {
			return s.errf(line, chainTok.col, "chain %s does not exist", chainTok.s)
		}
		c.groups = nil
		return nil
	default:
		return s.errf(line, cmd.col, "unsupported command %q in a restore file (want -A, -I, -N, -P, -F)", cmd.s)
	}
	c := s.chain(chainTok.s)
	if c == nil {
		return s.errf(line, chainTok.col, "chain %s does not exist in table %s (declare it with \":%s - [0:0]\")", chainTok.s, s.table.name, chainTok.s)
	}
	rest := toks[2:]
	insertAt := -1
	if cmd.s == "-I" || cmd.s == "--insert" {
		insertAt = 0
		if len(rest) > 0 && rest[0].s != "" && rest[0].s[0] >= '0' && rest[0].s[0] <= '9' {
			n, err := strconv.Atoi(rest[0].s)
			if err != nil || n < 1 {
				return s.errf(line, rest[0].col, "bad rule number %q", rest[0].s)
			}
			if n > len(c.groups)+1 {
				return s.errf(line, rest[0].col, "index of insertion too big (%d, chain %s has %d rules)", n, c.name, len(c.groups))
			}
			insertAt = n - 1
			rest = rest[1:]
		}
	}
	sp, err := s.parseSpec(line, rest)
	if err != nil {
		return err
	}
	rules, err := s.buildRules(line, text, sp)
	if err != nil {
		return err
	}
	if insertAt < 0 {
		c.groups = append(c.groups, rules)
	} else {
		c.groups = append(c.groups, nil)
		copy(c.groups[insertAt+1:], c.groups[insertAt:])
		c.groups[insertAt] = rules
	}
	if sp.targetKind == targetChain {
		s.table.jumps = append(s.table.jumps, jumpEdge{from: c.name, to: sp.target, pos: s.pos(line, sp.targetCol)})
	}
	return nil
}

// filterName is the model name of a chain: plain in the filter table,
// "table/CHAIN" elsewhere so filter-table names stay unambiguous.
func filterName(table, chain string) string {
	if table == "filter" {
		return chain
	}
	return table + "/" + chain
}

// finishTable resolves jump targets, refuses jump loops the way the kernel
// does, and turns the chains into filters.
func (s *state) finishTable() error {
	t := s.table
	s.table = nil
	for _, j := range t.jumps {
		c, ok := t.chains[j.to]
		if !ok {
			return parser.Errorf(j.pos, "jump to undefined chain %q in table %s", j.to, t.name)
		}
		if c.builtin {
			return parser.Errorf(j.pos, "cannot jump to built-in chain %s", j.to)
		}
	}
	if err := s.checkLoops(t); err != nil {
		return err
	}
	for _, c := range t.order {
		f := &policy.Filter{
			Name:    filterName(t.name, c.name),
			Kind:    "iptables-chain",
			Entry:   c.builtin && t.name == "filter",
			Default: c.policy,
			Pos:     c.pos,
			Meta:    map[string]string{"table": t.name, "chain": c.name},
		}
		if f.Pos.Line == 0 {
			f.Pos = t.pos
		}
		if c.builtin {
			f.Meta["builtin"] = "true"
		}
		n := 0
		for i, g := range c.groups {
			name := strconv.Itoa(i + 1)
			for _, r := range g {
				r.Name = name
				if r.Target != "" {
					r.Target = filterName(t.name, r.Target)
				}
				n++
			}
		}
		f.Rules = make([]*policy.Rule, 0, n)
		for _, g := range c.groups {
			f.Rules = append(f.Rules, g...)
		}
		if t.name != "filter" {
			for _, r := range f.Rules {
				if r.Action == policy.Deny || r.Action == policy.Reject {
					s.cfg.Warnf(r.Pos, "%s rule in table %s drops traffic but only the filter table is evaluated", r.Action, t.name)
					break
				}
			}
			if c.builtin && c.policy == policy.Deny {
				s.cfg.Warnf(f.Pos, "chain %s has policy DROP but only the filter table is evaluated", f.Name)
			}
		}
		s.cfg.AddFilter(f)
		if c.builtin {
			s.cfg.Bindings = append(s.cfg.Bindings, policy.Binding{
				Filter: f.Name, Kind: "hook", Target: c.name, Direction: hookDirection(c.name), Pos: f.Pos,
			})
		}
	}
	t.committed = true
	s.tables = append(s.tables, t)
	return nil
}

func hookDirection(chain string) string {
	switch chain {
	case "INPUT", "PREROUTING":
		return "in"
	case "OUTPUT", "POSTROUTING":
		return "out"
	}
	return ""
}

// checkLoops reports a jump loop reachable from a built-in chain. The kernel
// refuses such a ruleset when the rule closing the loop is added
// (iptables-restore: "RULE_APPEND failed (Too many links)"), so the error
// names the earliest rule, in source order, after which a loop is reachable.
// Loops among chains no built-in chain reaches are accepted, as the kernel does.
func (s *state) checkLoops(t *tableState) error {
	if len(t.jumps) == 0 || !reachableLoop(t, len(t.jumps)) {
		return nil
	}
	k := sort.Search(len(t.jumps), func(k int) bool { return reachableLoop(t, k+1) })
	j := t.jumps[k]
	return parser.Errorf(j.pos, "jump loop: chain %s -> %s closes a cycle reachable from a built-in chain (iptables-restore refuses it)", j.from, j.to)
}

func reachableLoop(t *tableState, k int) bool {
	adj := make(map[string][]string)
	for _, j := range t.jumps[:k] {
		adj[j.from] = append(adj[j.from], j.to)
	}
	color := make(map[string]uint8) // 0 new, 1 on stack, 2 done
	var visit func(string) bool
	visit = func(n string) bool {
		color[n] = 1
		for _, m := range adj[n] {
			switch color[m] {
			case 1:
				return true
			case 0:
				if visit(m) {
					return true
				}
			}
		}
		color[n] = 2
		return false
	}
	for _, c := range t.order {
		if c.builtin && color[c.name] == 0 && visit(c.name) {
			return true
		}
	}
	return false
}
