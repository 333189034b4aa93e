package nftables

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// Limits that keep hostile input (fuzzing, include loops) bounded.
const (
	maxIncludeDepth = 16
	maxDefineTokens = 1 << 18
)

type table struct {
	family, name string
	pos          policy.Pos
	chains       []*chain
	chainByName  map[string]*chain
	sets         []*nset
	setByName    map[string]*nset
	dormant      bool
}

func (t *table) key() string { return t.family + " " + t.name }

type chain struct {
	tbl        *table
	name       string
	pos        policy.Pos
	base       bool
	ctype      string // filter, nat, route
	hook       string
	device     string
	prio       int
	prioText   string
	policy     string // accept, drop, "" = accept
	rules      []rawRule
	filterName string
}

type rawRule struct {
	toks []tok
}

// nset is a named set or map.
type nset struct {
	tbl      *table
	name     string
	pos      policy.Pos
	isMap    bool
	keyType  string // ipv4_addr, ipv6_addr, inet_service, ... ("concat" for a.b)
	keyToks  []tok  // raw type/typeof text
	valType  string // maps: verdict, ...
	flags    []string
	elems    []tok
	resolved bool
	val      *setValue
	obj      *policy.Object
}

type nparser struct {
	lex     []*lexer
	pending []tok
	unread  []tok
	defines map[string][]tok
	tables  []*table
	byKey   map[string]*table
	cfg     *policy.Config
	scratch []tok
	arena   []tok
}

func (p *nparser) next() (tok, error) {
	for {
		var t tok
		if n := len(p.unread); n > 0 {
			t = p.unread[n-1]
			p.unread = p.unread[:n-1]
			return t, nil
		}
		if len(p.pending) > 0 {
			t = p.pending[0]
			p.pending = p.pending[1:]
			return t, nil
		}
		l := p.lex[len(p.lex)-1]
		t, err := l.next()
		if err != nil {
			return t, err
		}
		if t.kind == tEOF && len(p.lex) > 1 {
			p.lex = p.lex[:len(p.lex)-1]
			// an included file ends its last statement
			t.kind = tNL
			return t, nil
		}
		if t.kind == tWord && len(t.text) > 1 && t.text[0] == '$' {
			val, ok := p.defines[t.text[1:]]
			if !ok {
				return t, parser.Errorf(t.pos(), "undefined variable %q", t.text)
			}
			if len(val) == 0 {
				continue
			}
			if len(p.pending)+len(val) > maxDefineTokens {
				return t, parser.Errorf(t.pos(), "variable expansion too large")
			}
			np := make([]tok, 0, len(val)+len(p.pending))
			np = append(np, val...)
			p.pending = append(np, p.pending...)
			continue
		}
		return t, nil
	}
}

func (p *nparser) back(t tok) { p.unread = append(p.unread, t) }

func (p *nparser) peek() (tok, error) {
	t, err := p.next()
	if err == nil {
		p.back(t)
	}
	return t, err
}

func endOfStmt(t tok) bool { return t.kind == tNL || t.kind == tSemi || t.kind == tEOF }

// word reads a word or quoted string (identifiers may be quoted).
func (p *nparser) word(what string) (tok, error) {
	t, err := p.next()
	if err != nil {
		return t, err
	}
	if t.kind != tWord && t.kind != tString {
		return t, parser.Errorf(t.pos(), "expected %s, found %s", what, t.describe())
	}
	return t, nil
}

// stmt collects the tokens of one statement up to a newline or ';' outside
// braces, or up to (not including) a '}' closing the enclosing block.
func (p *nparser) stmt() ([]tok, error) {
	out, err := p.stmtScratch()
	if err != nil || len(out) == 0 {
		return nil, err
	}
	// Statements are copied into chunked arenas (chunks grow to 16k
	// tokens); the returned slice is capped so appends cannot clobber.
	if len(out) > cap(p.arena)-len(p.arena) {
		n := min(max(2*cap(p.arena), 256), 16384)
		p.arena = make([]tok, 0, max(n, len(out)))
	}
	start := len(p.arena)
	p.arena = append(p.arena, out...)
	return p.arena[start:len(p.arena):len(p.arena)], nil
}

// stmtScratch is stmt into a reused buffer (valid until the next call).
func (p *nparser) stmtScratch() ([]tok, error) {
	out := p.scratch[:0]
	defer func() { p.scratch = out[:0] }()
	var opens []tok
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEOF:
			if len(opens) > 0 {
				return nil, parser.Errorf(opens[len(opens)-1].pos(), "unbalanced '{': never closed")
			}
			p.back(t)
			return out, nil
		case tNL, tSemi:
			if len(opens) == 0 {
				return out, nil
			}
			if t.kind == tSemi {
				out = append(out, t)
			}
			continue
		case tLBrace:
			opens = append(opens, t)
		case tRBrace:
			if len(opens) == 0 {
				p.back(t)
				return out, nil
			}
			opens = opens[:len(opens)-1]
		}
		out = append(out, t)
	}
}

var families = map[string]bool{"ip": true, "ip6": true, "inet": true, "arp": true, "bridge": true, "netdev": true}

// famName reads "[family] name".
func (p *nparser) famName() (string, tok, error) {
	a, err := p.word("table name")
	if err != nil {
		return "", a, err
	}
	if a.kind == tWord && families[a.text] {
		b, err := p.peek()
		if err != nil {
			return "", b, err
		}
		if b.kind == tWord || b.kind == tString {
			p.next()
			return a.text, b, nil
		}
	}
	return "ip", a, nil
}

// tableRef reads "[FAMILY] NAME" and looks the table up (creating it when
// create is set), as every command naming a table does.
func (p *nparser) tableRef(create bool) (*table, error) {
	fam, name, err := p.famName()
	if err != nil {
		return nil, err
	}
	return p.getTable(fam, name, create)
}

func (p *nparser) getTable(fam string, name tok, create bool) (*table, error) {
	k := fam + " " + name.text
	if t, ok := p.byKey[k]; ok {
		return t, nil
	}
	if !create {
		return nil, parser.Errorf(name.pos(), "table %s %s does not exist", fam, name.text)
	}
	t := &table{family: fam, name: name.text, pos: name.pos(), chainByName: map[string]*chain{}, setByName: map[string]*nset{}}
	p.byKey[k] = t
	p.tables = append(p.tables, t)
	return t, nil
}

// chainRef reads "[FAMILY] TABLE CHAIN" of a command (the table must
// exist) and returns the chain, created when create is set, and its name.
func (p *nparser) chainRef(create bool) (*chain, tok, error) {
	tb, err := p.tableRef(false)
	if err != nil {
		return nil, tok{}, err
	}
	name, err := p.word("chain name")
	if err != nil {
		return nil, tok{}, err
	}
	c, err := p.getChain(tb, name, create)
	return c, name, err
}

// setRef reads "[FAMILY] TABLE SET" of a command like chainRef.
func (p *nparser) setRef(create, isMap bool) (*nset, error) {
	tb, err := p.tableRef(false)
	if err != nil {
		return nil, err
	}
	name, err := p.word("set name")
	if err != nil {
		return nil, err
	}
	return p.getSet(tb, name, create, isMap)
}

func (p *nparser) getChain(t *table, name tok, create bool) (*chain, error) {
	if c, ok := t.chainByName[name.text]; ok {
		return c, nil
	}
	if !create {
		return nil, parser.Errorf(name.pos(), "chain %q does not exist in table %s", name.text, t.key())
	}
	c := &chain{tbl: t, name: name.text, pos: name.pos()}
	t.chainByName[name.text] = c
	t.chains = append(t.chains, c)
	return c, nil
}

func (p *nparser) getSet(t *table, name tok, create, isMap bool) (*nset, error) {
	if s, ok := t.setByName[name.text]; ok {
		return s, nil
	}
	if !create {
		return nil, parser.Errorf(name.pos(), "set %q does not exist in table %s", name.text, t.key())
	}
	s := &nset{tbl: t, name: name.text, pos: name.pos(), isMap: isMap}
	t.setByName[name.text] = s
	t.sets = append(t.sets, s)
	return s, nil
}

func (p *nparser) expectOpen() (tok, error) {
	t, err := p.next()
	if err != nil {
		return t, err
	}
	if t.kind != tLBrace {
		return t, parser.Errorf(t.pos(), "expected '{', found %s", t.describe())
	}
	return t, nil
}

// optOpen consumes a '{' if one follows on the same statement.
func (p *nparser) optOpen() (tok, bool, error) {
	t, err := p.next()
	if err != nil {
		return t, false, err
	}
	if t.kind == tLBrace {
		return t, true, nil
	}
	if !endOfStmt(t) && t.kind != tRBrace {
		return t, false, parser.Errorf(t.pos(), "unexpected %s", t.describe())
	}
	p.back(t)
	return t, false, nil
}

func (p *nparser) parseTop() error {
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tEOF:
			return nil
		case tNL, tSemi, tHandle:
			continue
		case tRBrace:
			return parser.Errorf(t.pos(), "unbalanced '}'")
		case tWord:
		default:
			return parser.Errorf(t.pos(), "unexpected %s", t.describe())
		}
		cmd := t.text
		switch cmd {
		case "add", "create", "insert":
			sub, err := p.word("object type after " + cmd)
			if err != nil {
				return err
			}
			if err := p.command(sub, cmd == "insert"); err != nil {
				return err
			}
		case "table", "chain", "set", "map", "rule", "element":
			if err := p.command(t, false); err != nil {
				return err
			}
		case "flush":
			if err := p.flush(t); err != nil {
				return err
			}
		case "define", "redefine":
			if err := p.define(); err != nil {
				return err
			}
		case "undefine":
			n, err := p.word("variable name")
			if err != nil {
				return err
			}
			delete(p.defines, n.text)
		case "include":
			if err := p.include(t); err != nil {
				return err
			}
		case "delete", "destroy", "reset", "list", "rename", "replace", "monitor", "describe", "export", "import":
			p.cfg.Warnf(t.pos(), "nft command %q not evaluated; skipped", cmd)
			if _, err := p.stmt(); err != nil {
				return err
			}
		default:
			return parser.Errorf(t.pos(), "unknown nft command %q", cmd)
		}
	}
}

func (p *nparser) command(sub tok, insert bool) error {
	switch sub.text {
	case "table":
		tb, err := p.tableRef(true)
		if err != nil {
			return err
		}
		open, ok, err := p.optOpen()
		if err != nil || !ok {
			return err
		}
		return p.tableBody(tb, open)
	case "chain":
		ch, _, err := p.chainRef(true)
		if err != nil {
			return err
		}
		open, ok, err := p.optOpen()
		if err != nil || !ok {
			return err
		}
		return p.chainBody(ch, open)
	case "set", "map":
		s, err := p.setRef(true, sub.text == "map")
		if err != nil {
			return err
		}
		open, err := p.expectOpen()
		if err != nil {
			return err
		}
		return p.setBody(s, open)
	case "element":
		s, err := p.setRef(false, false)
		if err != nil {
			return err
		}
		open, err := p.expectOpen()
		if err != nil {
			return err
		}
		return p.elements(s, open)
	case "rule":
		ch, cname, err := p.chainRef(false)
		if err != nil {
			return err
		}
		toks, err := p.stmt()
		if err != nil {
			return err
		}
		if len(toks) > 0 && toks[0].kind == tWord {
			switch toks[0].text {
			case "position", "handle", "index":
				p.cfg.Warnf(toks[0].pos(), "rule %s %s: placement by handle is not modelled; rule %s at the chain's %s", toks[0].text, tokText(toks, 1), map[bool]string{true: "inserted", false: "added"}[insert], map[bool]string{true: "start", false: "end"}[insert])
				if len(toks) >= 2 {
					toks = toks[2:]
				} else {
					toks = toks[1:]
				}
			}
		}
		if len(toks) == 0 {
			return parser.Errorf(cname.pos(), "empty rule")
		}
		r := rawRule{toks: toks}
		if insert {
			ch.rules = append([]rawRule{r}, ch.rules...)
		} else {
			ch.rules = append(ch.rules, r)
		}
		return nil
	case "flowtable", "counter", "quota", "ct", "limit", "secmark", "synproxy", "tunnel":
		_, err := p.stmt()
		return err
	}
	return parser.Errorf(sub.pos(), "unknown object type %q", sub.text)
}

func tokText(ts []tok, i int) string {
	if i < len(ts) {
		return ts[i].text
	}
	return ""
}

func (p *nparser) flush(t tok) error {
	what, err := p.word("what to flush")
	if err != nil {
		return err
	}
	switch what.text {
	case "ruleset":
		fam := ""
		n, err := p.peek()
		if err != nil {
			return err
		}
		if n.kind == tWord && families[n.text] {
			p.next()
			fam = n.text
		}
		kept := p.tables[:0]
		for _, tb := range p.tables {
			if fam == "" || tb.family == fam {
				delete(p.byKey, tb.key())
				continue
			}
			kept = append(kept, tb)
		}
		p.tables = kept
		return nil
	case "table":
		tb, err := p.tableRef(false)
		if err != nil {
			return err
		}
		for _, c := range tb.chains {
			c.rules = nil
		}
		return nil
	case "chain":
		c, _, err := p.chainRef(false)
		if err != nil {
			return err
		}
		c.rules = nil
		return nil
	case "set", "map":
		s, err := p.setRef(false, false)
		if err != nil {
			return err
		}
		s.elems = nil
		return nil
	}
	p.cfg.Warnf(t.pos(), "flush %s not evaluated; skipped", what.text)
	_, err = p.stmt()
	return err
}

func (p *nparser) define() error {
	name, err := p.word("variable name")
	if err != nil {
		return err
	}
	eq, err := p.next()
	if err != nil {
		return err
	}
	if !eq.is("=") {
		return parser.Errorf(eq.pos(), "expected '=' after define %s, found %s", name.text, eq.describe())
	}
	val, err := p.stmt()
	if err != nil {
		return err
	}
	if len(val) == 0 {
		return parser.Errorf(name.pos(), "define %s has no value", name.text)
	}
	p.defines[name.text] = val
	return nil
}

func (p *nparser) include(t tok) error {
	f, err := p.next()
	if err != nil {
		return err
	}
	if f.kind != tString {
		return parser.Errorf(f.pos(), "include expects a quoted file name, found %s", f.describe())
	}
	if len(p.lex) >= maxIncludeDepth {
		return parser.Errorf(f.pos(), "includes nested deeper than %d", maxIncludeDepth)
	}
	path := f.text
	cur := ""
	if f.file != nil {
		cur = *f.file
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(cur), path)
	}
	var files []string
	if strings.ContainsAny(f.text, "*?[") {
		files, _ = filepath.Glob(path)
	} else {
		files = []string{path}
	}
	// Push in reverse so the first file is read first.
	for i := len(files) - 1; i >= 0; i-- {
		fn := files[i]
		st, err := os.Stat(fn)
		if err != nil || !st.Mode().IsRegular() {
			return parser.Errorf(f.pos(), "include %q: cannot read %s", f.text, fn)
		}
		if st.Size() > 256<<20 {
			return parser.Errorf(f.pos(), "include %q: file too large", f.text)
		}
		data, err := os.ReadFile(fn)
		if err != nil {
			return parser.Errorf(f.pos(), "include %q: %v", f.text, err)
		}
		p.lex = append(p.lex, newLexer(fn, data))
	}
	return nil
}

// block reads the statements of a { } block whose '{' was open, calling
// item with the first token of each until the closing '}'; what names the
// block in errors ("table filter").
func (p *nparser) block(open tok, what string, words bool, item func(t tok) error) error {
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tEOF:
			return parser.Errorf(open.pos(), "unbalanced '{': %s never closed", what)
		case tNL, tSemi, tHandle:
			continue
		case tRBrace:
			return nil
		}
		if words && t.kind != tWord {
			return parser.Errorf(t.pos(), "unexpected %s in %s", t.describe(), what)
		}
		if err := item(t); err != nil {
			return err
		}
	}
}

func (p *nparser) tableBody(tb *table, open tok) error {
	return p.block(open, "table "+tb.name, true, func(t tok) error {
		switch t.text {
		case "chain":
			name, err := p.word("chain name")
			if err != nil {
				return err
			}
			ch, _ := p.getChain(tb, name, true)
			o, err := p.expectOpen()
			if err != nil {
				return err
			}
			if err := p.chainBody(ch, o); err != nil {
				return err
			}
		case "set", "map":
			name, err := p.word("set name")
			if err != nil {
				return err
			}
			s, _ := p.getSet(tb, name, true, t.text == "map")
			o, err := p.expectOpen()
			if err != nil {
				return err
			}
			if err := p.setBody(s, o); err != nil {
				return err
			}
		case "define", "redefine":
			if err := p.define(); err != nil {
				return err
			}
		case "flags":
			toks, err := p.stmt()
			if err != nil {
				return err
			}
			for _, f := range toks {
				if f.is("dormant") {
					// A dormant table's base chains are not registered
					// with the kernel: no traffic sees them.
					tb.dormant = true
				}
			}
		case "comment", "flowtable", "counter", "quota", "ct", "limit", "secmark", "synproxy", "tunnel":
			// Not in the filtering model: skipped (named objects are only
			// referenced by non-matching statements).
			if _, err := p.stmt(); err != nil {
				return err
			}
		default:
			return parser.Errorf(t.pos(), "unknown table statement %q", t.text)
		}
		return nil
	})
}

func (p *nparser) chainBody(ch *chain, open tok) error {
	return p.block(open, "chain "+ch.name, false, func(t tok) error {
		if t.kind == tWord {
			switch t.text {
			case "type":
				if err := p.chainType(ch, t); err != nil {
					return err
				}
				return nil
			case "policy":
				v, err := p.word("chain policy")
				if err != nil {
					return err
				}
				if v.text != "accept" && v.text != "drop" {
					return parser.Errorf(v.pos(), "chain policy must be accept or drop, not %q", v.text)
				}
				if !ch.base {
					return parser.Errorf(t.pos(), "policy on non-base chain %s", ch.name)
				}
				ch.policy = v.text
				return nil
			case "comment", "devices", "flags":
				if _, err := p.stmt(); err != nil {
					return err
				}
				return nil
			case "define", "redefine":
				if err := p.define(); err != nil {
					return err
				}
				return nil
			}
		}
		p.back(t)
		toks, err := p.stmt()
		if err != nil {
			return err
		}
		if len(toks) == 0 {
			n, _ := p.next()
			return parser.Errorf(n.pos(), "unexpected %s", n.describe())
		}
		ch.rules = append(ch.rules, rawRule{toks: toks})
		return nil
	})
}

// chainType parses "type filter hook input [device eth0] priority filter + 10".
func (p *nparser) chainType(ch *chain, t tok) error {
	toks, err := p.stmt()
	if err != nil {
		return err
	}
	if len(toks) < 1 || toks[0].kind != tWord {
		return parser.Errorf(t.pos(), "chain type expected")
	}
	switch toks[0].text {
	case "filter", "nat", "route":
	default:
		return parser.Errorf(toks[0].pos(), "unknown chain type %q", toks[0].text)
	}
	ch.ctype = toks[0].text
	ch.base = true
	i := 1
	havePrio := false
	for i < len(toks) {
		k := toks[i]
		switch {
		case k.is("hook") && i+1 < len(toks):
			ch.hook = toks[i+1].text
			i += 2
		case k.is("devices"):
			// devices = { eth0, eth1 } (netdev/inet ingress)
			j := i + 1
			depth := 0
			for j < len(toks) {
				x := toks[j]
				j++
				if x.kind == tLBrace {
					depth++
				} else if x.kind == tRBrace {
					if depth--; depth == 0 {
						break
					}
				} else if depth == 0 && !x.is("=") {
					break
				} else if depth > 0 && x.kind != tComma {
					if ch.device != "" {
						ch.device += ","
					}
					ch.device += x.text
				}
			}
			i = j
		case k.is("device") && i+1 < len(toks):
			ch.device = toks[i+1].text
			i += 2
		case k.is("priority") && i+1 < len(toks):
			j := i + 1
			var parts []string
			for j < len(toks) && toks[j].kind == tWord && toks[j].text != "policy" {
				parts = append(parts, toks[j].text)
				j++
			}
			v, err := priority(parts, p.family(ch), ch.hook)
			if err != nil {
				return parser.Errorf(toks[i+1].pos(), "%v", err)
			}
			ch.prio, ch.prioText, havePrio = v, strings.Join(parts, " "), true
			i = j
		case k.is("policy") && i+1 < len(toks):
			ch.policy = toks[i+1].text
			if ch.policy != "accept" && ch.policy != "drop" {
				return parser.Errorf(toks[i+1].pos(), "chain policy must be accept or drop, not %q", ch.policy)
			}
			i += 2
		default:
			return parser.Errorf(k.pos(), "unexpected %s in chain type", k.describe())
		}
	}
	if ch.hook == "" {
		return parser.Errorf(t.pos(), "base chain %s has no hook", ch.name)
	}
	if !havePrio {
		return parser.Errorf(t.pos(), "base chain %s has no priority", ch.name)
	}
	return nil
}

func (p *nparser) family(ch *chain) string { return ch.tbl.family }

// priority evaluates "N", "KEYWORD", "KEYWORD + N", "KEYWORD - N".
func priority(parts []string, family, hook string) (int, error) {
	s := strings.Join(parts, "")
	if s == "" {
		return 0, errf("missing priority")
	}
	base, rest := s, ""
	if i := strings.IndexAny(s[1:], "+-"); i >= 0 {
		base, rest = s[:i+1], s[i+1:]
	}
	v, err := strconv.Atoi(base)
	if err != nil {
		var ok bool
		v, ok = prioKeyword(base, family)
		if !ok {
			return 0, errf("unknown priority %q", strings.Join(parts, " "))
		}
	}
	if rest != "" {
		d, err := strconv.Atoi(rest)
		if err != nil {
			return 0, errf("bad priority offset %q", rest)
		}
		v += d
	}
	return v, nil
}

func prioKeyword(k, family string) (int, bool) {
	if family == "bridge" {
		switch k {
		case "dstnat":
			return -300, true
		case "filter":
			return -200, true
		case "out":
			return 100, true
		case "srcnat":
			return 300, true
		}
		return 0, false
	}
	switch k {
	case "raw":
		return -300, true
	case "mangle":
		return -150, true
	case "dstnat":
		return -100, true
	case "filter":
		return 0, true
	case "security":
		return 50, true
	case "srcnat":
		return 100, true
	}
	return 0, false
}

func (p *nparser) setBody(s *nset, open tok) error {
	return p.block(open, "set "+s.name, true, func(t tok) error {
		switch t.text {
		case "type", "typeof":
			toks, err := p.stmt()
			if err != nil {
				return err
			}
			if len(toks) == 0 {
				return parser.Errorf(t.pos(), "set %s: missing type", s.name)
			}
			s.keyToks = toks
			if err := s.setType(t.text == "typeof"); err != nil {
				return err
			}
		case "flags":
			toks, err := p.stmt()
			if err != nil {
				return err
			}
			for _, f := range toks {
				if f.kind == tWord {
					s.flags = append(s.flags, f.text)
				}
			}
		case "elements":
			eq, err := p.next()
			if err != nil {
				return err
			}
			if !eq.is("=") {
				return parser.Errorf(eq.pos(), "expected '=' after elements, found %s", eq.describe())
			}
			o, err := p.expectOpen()
			if err != nil {
				return err
			}
			if err := p.elements(s, o); err != nil {
				return err
			}
		case "size", "timeout", "gc-interval", "policy", "auto-merge", "counter", "comment", "define":
			if _, err := p.stmt(); err != nil {
				return err
			}
		default:
			return parser.Errorf(t.pos(), "unknown set statement %q", t.text)
		}
		return nil
	})
}

// elements reads "{ e, e, ... }" (after the '{'), keeping raw tokens with
// newlines dropped and nested braces (from $variables) flattened.
func (p *nparser) elements(s *nset, open tok) error {
	depth := 1
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tEOF:
			return parser.Errorf(open.pos(), "unbalanced '{': elements of %s never closed", s.name)
		case tNL, tHandle:
			continue
		case tLBrace:
			depth++
			continue
		case tRBrace:
			depth--
			if depth == 0 {
				s.elems = append(s.elems, tok{kind: tComma, text: ",", file: t.file, line: t.line, col: t.col})
				return nil
			}
			continue
		}
		s.elems = append(s.elems, t)
	}
}

// setType classifies a set's key (and a map's value) type.
func (s *nset) setType(typeof bool) error {
	var key, val []tok
	cur := &key
	for _, t := range s.keyToks {
		if t.is(":") {
			cur = &val
			continue
		}
		*cur = append(*cur, t)
	}
	if len(key) == 0 {
		return parser.Errorf(s.keyToks[0].pos(), "set %s: missing key type", s.name)
	}
	if s.isMap && len(val) == 0 {
		return parser.Errorf(s.keyToks[0].pos(), "map %s: missing value type", s.name)
	}
	for _, t := range key {
		if t.is(".") {
			s.keyType = "concat"
		}
	}
	if s.keyType == "" {
		if typeof {
			s.keyType = typeofKind(key)
		} else {
			s.keyType = key[0].text
		}
	}
	if len(val) > 0 {
		s.valType = val[0].text
	}
	return nil
}

func typeofKind(k []tok) string {
	var w []string
	for _, t := range k {
		w = append(w, t.text)
	}
	switch strings.Join(w, " ") {
	case "ip saddr", "ip daddr":
		return "ipv4_addr"
	case "ip6 saddr", "ip6 daddr":
		return "ipv6_addr"
	case "tcp dport", "tcp sport", "udp dport", "udp sport", "th dport", "th sport":
		return "inet_service"
	case "meta l4proto", "ip protocol", "ip6 nexthdr":
		return "inet_proto"
	case "iifname", "oifname", "meta iifname", "meta oifname":
		return "ifname"
	case "ct state":
		return "ct_state"
	case "icmp type":
		return "icmp_type"
	case "icmpv6 type":
		return "icmpv6_type"
	}
	return strings.Join(w, " ")
}
