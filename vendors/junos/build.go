package junos

import (
	"net/netip"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// builder turns flattened statements into a policy.Config.
type builder struct {
	f   *flat
	cfg *policy.Config

	filters []*fbuild
	fidx    map[fkey]*fbuild

	plists  map[string]*plist
	plOrder []*plist

	binds   []*bindState
	bidx    map[bkey]*bindState
	srx     *srxBuild
	warned  map[string]bool
	modelFn map[fkey]string // model filter names
	sets    map[string]*policy.AddrSet
}

type fkey struct{ fam, name string }

type fbuild struct {
	fam, name string
	pos       word
	inactive  bool
	terms     []*tbuild
	tidx      map[string]*tbuild
	comment   string
}

type cond struct {
	kw   word
	args []word
}

type tbuild struct {
	name     string
	pos      word
	inactive bool
	from     []cond
	then     []cond
	filter   *word // term-level "filter NAME" (nested filter)
	comment  string
}

type plist struct {
	name      string
	pos       word
	prefixes  []netip.Prefix
	applyPath string
}

type bkey struct{ target, fam, dir string }

type bindState struct {
	key   bkey
	pos   word
	list  bool
	names []word
}

func (b *builder) pos(w word) policy.Pos { return b.f.pos(w) }

func (b *builder) warnf(w word, format string, args ...any) {
	b.cfg.Warnf(b.pos(w), format, args...)
}

func (b *builder) warnOnce(key string, w word, format string, args ...any) {
	if b.warned == nil {
		b.warned = map[string]bool{}
	}
	if !b.warned[key] {
		b.warned[key] = true
		b.warnf(w, format, args...)
	}
}

func (b *builder) undefined(kind, name string, w word) {
	b.cfg.Undefined = append(b.cfg.Undefined, policy.Reference{Kind: kind, Name: name, Pos: b.pos(w)})
}

func (b *builder) errf(w word, format string, args ...any) error {
	return errAt(b.f.file, w, format, args...)
}

// collect dispatches every statement to its stanza.
func (b *builder) collect() error {
	for i := range b.f.stmts {
		st := &b.f.stmts[i]
		if st.dead {
			continue
		}
		if err := b.handle(st); err != nil {
			return err
		}
	}
	return nil
}

// handle applies one statement. Statement words may live in a reused
// buffer: anything kept must be copied.
func (b *builder) handle(st *stmt) error {
	if len(st.w) == 0 {
		return nil
	}
	{
		var err error
		switch st.w[0].s {
		case "firewall":
			err = b.firewall(st)
		case "policy-options":
			err = b.policyOptions(st)
		case "interfaces":
			b.interfaces(st)
		case "security":
			err = b.security(st)
		case "applications":
			err = b.applications(st)
		case "schedulers":
			err = b.schedulers(st)
		case "system":
			if len(st.w) >= 3 && st.w[1].s == "host-name" && st.inact == 0 {
				b.cfg.Device = st.w[2].s
			}
		case "groups":
			if len(st.w) >= 3 && (st.w[2].s == "firewall" || st.w[2].s == "security") {
				b.warnOnce("groups", st.w[0], "configuration groups are not expanded: firewall/security statements under groups are ignored")
			}
		case "logical-systems", "tenants":
			if len(st.w) >= 3 && (st.w[2].s == "firewall" || st.w[2].s == "security") {
				b.warnOnce("lsys", st.w[0], "%s are not parsed: their firewall/security statements are ignored", st.w[0].s)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// firewall handles "firewall family FAM filter NAME ...".
func (b *builder) firewall(st *stmt) error {
	w := st.w
	if len(w) < 4 || w[1].s != "family" || w[3].s != "filter" {
		return nil // policers, interface-sets, other families' objects
	}
	if len(w) < 5 {
		return b.errf(w[3], "filter: missing name")
	}
	fam := w[2].s
	switch fam {
	case "inet", "inet6", "any":
	default:
		b.warnOnce("fam:"+fam+":"+w[4].s, w[3], "family %s filter %q skipped: not an IP filter", fam, w[4].s)
		return nil
	}
	k := fkey{fam, w[4].s}
	fb := b.fidx[k]
	if fb == nil {
		fb = &fbuild{fam: fam, name: w[4].s, pos: w[3], tidx: map[string]*tbuild{}}
		b.fidx[k] = fb
		b.filters = append(b.filters, fb)
		if c, ok := b.f.comments[pathKey(w[:5])]; ok {
			fb.comment = c
		}
	}
	if st.inact > 0 && st.inact <= 5 {
		fb.inactive = true
		return nil
	}
	if len(w) == 5 || w[5].s != "term" {
		return nil // interface-specific, enhanced-mode, accounting-profile ...
	}
	if len(w) < 7 {
		return b.errf(w[5], "term: missing name")
	}
	tb := fb.tidx[w[6].s]
	if tb == nil {
		tb = &tbuild{name: w[6].s, pos: w[5]}
		fb.tidx[w[6].s] = tb
		fb.terms = append(fb.terms, tb)
		if c, ok := b.f.comments[pathKey(w[:7])]; ok {
			tb.comment = c
		}
	}
	if st.inact > 0 && st.inact <= 7 {
		// an inactive term keeps its content, for rendering
		tb.inactive = true
	} else if st.inact > 0 {
		return nil // an inactive condition or action is ignored
	}
	if len(w) == 7 {
		return nil
	}
	switch w[7].s {
	case "from", "then":
		if len(w) == 8 {
			if isContainer(st) {
				return nil
			}
			return b.errf(w[7], "%s: missing statement", w[7].s)
		}
		c := cond{kw: w[8], args: append([]word(nil), w[9:]...)}
		if w[7].s == "from" {
			if len(c.args) == 0 && needsArg(c.kw.s) {
				if isContainer(st) {
					return nil
				}
				return b.errf(c.kw, "%s: missing value", c.kw.s)
			}
			tb.from = append(tb.from, c)
		} else {
			tb.then = append(tb.then, c)
		}
	case "filter":
		if len(w) < 9 {
			return b.errf(w[7], "filter: missing name")
		}
		x := w[8]
		tb.filter = &x
	}
	return nil
}

// isContainer reports whether st was emitted for a "{" block (hierarchical
// syntax) rather than as a complete leaf statement. Containers are emitted
// before their children, so the next statement extends st.
func isContainer(st *stmt) bool { return st.container }

func needsArg(kw string) bool {
	switch kw {
	case "tcp-established", "tcp-initial", "is-fragment", "first-fragment", "last-fragment":
		return false
	}
	return true
}

func (b *builder) policyOptions(st *stmt) error {
	w := st.w
	if len(w) < 3 || w[1].s != "prefix-list" {
		return nil
	}
	name := w[2].s
	pl := b.plists[name]
	if pl == nil {
		pl = &plist{name: name, pos: w[1]}
		b.plists[name] = pl
		b.plOrder = append(b.plOrder, pl)
	}
	if st.inact > 0 || len(w) < 4 {
		return nil
	}
	switch w[3].s {
	case "apply-path":
		if len(w) < 5 {
			return b.errf(w[3], "apply-path: missing path")
		}
		pl.applyPath = w[4].s
		b.warnf(w[3], "prefix-list %q uses apply-path %q: not expanded, its addresses are unknown", name, w[4].s)
	case "description", "dynamic-db":
	default:
		p, err := parsePrefix(w[3].s)
		if err != nil {
			return b.errf(w[3], "prefix-list %q: %v", name, err)
		}
		pl.prefixes = append(pl.prefixes, p)
	}
	return nil
}

// interfaces records "interfaces IF unit N family FAM filter DIR NAME".
func (b *builder) interfaces(st *stmt) {
	w := st.w
	if st.inact > 0 {
		return
	}
	i := 2
	target := ""
	if len(w) < 2 {
		return
	}
	target = w[1].s
	if w[1].s == "interface-range" && len(w) > 2 {
		target = w[2].s
		i = 3
	}
	if len(w) > i+1 && w[i].s == "unit" {
		target += "." + w[i+1].s
		i += 2
	}
	if len(w) < i+5 || w[i].s != "family" || w[i+2].s != "filter" {
		return
	}
	fam, dirw, name := w[i+1].s, w[i+3], w[i+4]
	var dir string
	var list bool
	switch dirw.s {
	case "input":
		dir = "in"
	case "output":
		dir = "out"
	case "input-list":
		dir, list = "in", true
	case "output-list":
		dir, list = "out", true
	default:
		return
	}
	if fam != "inet" && fam != "inet6" && fam != "any" {
		return
	}
	k := bkey{target, fam, dir}
	bs := b.bidx[k]
	if bs == nil {
		bs = &bindState{key: k, pos: dirw}
		b.bidx[k] = bs
		b.binds = append(b.binds, bs)
	}
	// "input" and "input-list" are one Junos choice: setting one deletes
	// the other, so the later statement wins.
	if list != bs.list {
		bs.names = nil
		bs.list = list
	}
	if list {
		bs.names = append(bs.names, name)
	} else {
		bs.names = []word{name}
	}
	bs.pos = dirw
}

// parsePrefix parses an address or prefix, accepting Junos' abbreviated IPv4
// forms ("10/8", "192.168/16").
func parsePrefix(s string) (netip.Prefix, error) {
	addr, bits, hasLen := strings.Cut(s, "/")
	if !strings.Contains(addr, ":") {
		if n := strings.Count(addr, "."); n < 3 && hasLen {
			addr += strings.Repeat(".0", 3-n)
		}
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, errBadPrefix(s)
	}
	a = a.Unmap()
	if !hasLen {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	n := 0
	if bits == "" || len(bits) > 3 {
		return netip.Prefix{}, errBadPrefix(s)
	}
	for _, c := range bits {
		if c < '0' || c > '9' {
			return netip.Prefix{}, errBadPrefix(s)
		}
		n = n*10 + int(c-'0')
	}
	if n > a.BitLen() {
		return netip.Prefix{}, errBadPrefix(s)
	}
	return netip.PrefixFrom(a, n).Masked(), nil
}

type prefixErr string

func (e prefixErr) Error() string { return "bad address or prefix " + string(e) }

func errBadPrefix(s string) error { return prefixErr(`"` + s + `"`) }
