package junos

import (
	"strings"
)

type tkind uint8

const (
	tEOF tkind = iota
	tWord
	tString
	tLBrace
	tRBrace
	tSemi
	tLBracket
	tRBracket
	tNewline
	tComment // /* ... */; text is the trimmed body
)

type token struct {
	kind      tkind
	text      string
	line, col int32
}

func (t token) word() word { return word{t.text, t.line, t.col} }

// lexer is a hand-written tokenizer over the whole file as one string, so
// token texts are substrings of it and cost no allocation.
type lexer struct {
	file      string
	src       string
	off       int
	line      int
	lineStart int
	newlines  bool // emit tNewline (set format)
}

func newLexer(file, src string) *lexer { return &lexer{file: file, src: src, line: 1} }

func (l *lexer) here() word {
	return word{"", int32(l.line), int32(l.off - l.lineStart + 1)}
}

func isWordEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '{', '}', ';', '"', '[', ']':
		return true
	}
	return false
}

func (l *lexer) next() (token, error) {
	src := l.src
	for l.off < len(src) {
		c := src[l.off]
		switch c {
		case '\n':
			if l.newlines {
				t := token{tNewline, "", int32(l.line), int32(l.off - l.lineStart + 1)}
				l.off++
				l.line++
				l.lineStart = l.off
				return t, nil
			}
			l.off++
			l.line++
			l.lineStart = l.off
			continue
		case ' ', '\t', '\r', '\f', '\v':
			l.off++
			continue
		case '#':
			i := strings.IndexByte(src[l.off:], '\n')
			if i < 0 {
				l.off = len(src)
			} else {
				l.off += i
			}
			continue
		case '/':
			if l.off+1 < len(src) && src[l.off+1] == '*' {
				start := l.here()
				end := strings.Index(src[l.off+2:], "*/")
				if end < 0 {
					return token{}, errAt(l.file, start, "unterminated /* comment")
				}
				body := src[l.off+2 : l.off+2+end]
				l.skipTo(l.off + 2 + end + 2)
				return token{tComment, strings.TrimSpace(body), start.line, start.col}, nil
			}
		}
		return l.token()
	}
	w := l.here()
	return token{tEOF, "", w.line, w.col}, nil
}

// skipTo advances to offset end, counting newlines.
func (l *lexer) skipTo(end int) {
	for {
		i := strings.IndexByte(l.src[l.off:end], '\n')
		if i < 0 {
			break
		}
		l.off += i + 1
		l.line++
		l.lineStart = l.off
	}
	l.off = end
}

func (l *lexer) token() (token, error) {
	src := l.src
	p := l.here()
	c := src[l.off]
	var k tkind
	switch c {
	case '{':
		k = tLBrace
	case '}':
		k = tRBrace
	case ';':
		k = tSemi
	case '[':
		k = tLBracket
	case ']':
		k = tRBracket
	case '"':
		i := l.off + 1
		esc := false
		for ; i < len(src); i++ {
			ch := src[i]
			if ch == '\\' && i+1 < len(src) {
				esc = true
				i++
				continue
			}
			if ch == '"' || (ch == '\n' && l.newlines) {
				break
			}
		}
		if i >= len(src) || src[i] != '"' {
			return token{}, errAt(l.file, p, "unterminated string")
		}
		text := src[l.off+1 : i]
		if esc {
			text = unescape(text)
		}
		l.skipTo(i + 1)
		return token{tString, text, p.line, p.col}, nil
	default:
		i := l.off
		for i < len(src) && !isWordEnd(src[i]) {
			i++
		}
		t := token{tWord, src[l.off:i], p.line, p.col}
		l.off = i
		return t, nil
	}
	l.off++
	return token{k, src[l.off-1 : l.off], p.line, p.col}, nil
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isTag reports the statement prefixes that are not part of the path.
func isTag(s string) bool {
	switch s {
	case "inactive:", "replace:", "protect:", "active:":
		return true
	}
	return false
}

// maxDepth bounds block nesting; real configurations stay far below it.
const maxDepth = 64

// flattenHier flattens hierarchical ("show configuration") syntax.
// Statements go to f.sink when it is set.
func flattenHier(f *flat, src string) (*flat, error) {
	file := f.file
	f.format = "hierarchical"
	l := newLexer(file, src)
	type frame struct {
		n     int  // path length before this block
		inact int  // inherited inactive depth
		open  word // first word of the block's statement, for errors
		brace word
	}
	var (
		path    []word
		frames  []frame
		cur     []word
		lists   []blist
		curInac bool
		comment string
		haveCom bool
	)
	inherited := func() int {
		if len(frames) == 0 {
			return 0
		}
		return frames[len(frames)-1].inact
	}
	reset := func() {
		cur = cur[:0]
		lists = nil
		curInac = false
		haveCom = false
	}
	var scratch []word
	full := func() []word {
		scratch = append(append(scratch[:0], path...), cur...)
		return scratch
	}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tComment:
			if len(cur) == 0 {
				comment, haveCom = t.text, true
			}
		case tWord, tString:
			if t.kind == tWord && len(cur) == 0 && isTag(t.text) {
				if t.text == "inactive:" {
					curInac = true
				}
				continue
			}
			cur = append(cur, t.word())
		case tLBracket:
			if len(cur) == 0 {
				return nil, errAt(file, t.word(), "unexpected '['")
			}
			if len(lists) > 0 {
				return nil, errAt(file, t.word(), "only one '[' list is allowed per statement")
			}
			bl := blist{at: len(cur)}
			for {
				e, err := l.next()
				if err != nil {
					return nil, err
				}
				if e.kind == tRBracket {
					break
				}
				if e.kind == tComment {
					continue
				}
				if e.kind != tWord && e.kind != tString {
					return nil, errAt(file, e.word(), "unterminated '[' list (opened at %d:%d)", t.line, t.col)
				}
				bl.elems = append(bl.elems, e.word())
			}
			lists = append(lists, bl)
		case tRBracket:
			return nil, errAt(file, t.word(), "unexpected ']'")
		case tSemi:
			if len(cur) == 0 {
				if len(lists) > 0 {
					return nil, errAt(file, t.word(), "list without a statement")
				}
				continue // stray ';' as after "}"
			}
			if haveCom {
				f.comment(normalize(full()), comment)
			}
			f.emit(full(), adjust(lists, len(path)), inherited(), curInac, false)
			if f.err != nil {
				return nil, f.err
			}
			reset()
		case tLBrace:
			if len(cur) == 0 {
				return nil, errAt(file, t.word(), "'{' without a statement")
			}
			if len(lists) > 0 {
				return nil, errAt(file, t.word(), "a '[' list cannot open a block")
			}
			if len(frames) >= maxDepth {
				return nil, errAt(file, t.word(), "blocks nested deeper than %d", maxDepth)
			}
			ws := normalize(append([]word(nil), full()...))
			inact := inherited()
			if curInac && inact == 0 {
				inact = len(ws)
			}
			if haveCom {
				f.comment(ws, comment)
			}
			frames = append(frames, frame{n: len(path), inact: inact, open: cur[0], brace: t.word()})
			f.emit(ws, nil, inact, false, true)
			if f.err != nil {
				return nil, f.err
			}
			path = ws
			reset()
		case tRBrace:
			if len(cur) > 0 {
				return nil, errAt(file, t.word(), "expected ';' after %q before '}'", pathKey(cur))
			}
			if len(frames) == 0 {
				return nil, errAt(file, t.word(), "unbalanced '}'")
			}
			fr := frames[len(frames)-1]
			frames = frames[:len(frames)-1]
			path = path[:fr.n:fr.n]
			reset()
		case tEOF:
			if len(cur) > 0 {
				return nil, errAt(file, t.word(), "unexpected end of file: statement %q not terminated by ';'", pathKey(cur))
			}
			if len(frames) > 0 {
				fr := frames[len(frames)-1]
				return nil, errAt(file, t.word(), "unexpected end of file: missing '}' for %q opened at %d:%d", fr.open.s, fr.brace.line, fr.brace.col)
			}
			return f, nil
		}
	}
}

func adjust(lists []blist, off int) []blist {
	if off == 0 {
		return lists
	}
	out := make([]blist, len(lists))
	for i, l := range lists {
		l.at += off
		out[i] = l
	}
	return out
}

func (f *flat) comment(ws []word, text string) {
	if f.comments == nil {
		f.comments = make(map[string]string)
	}
	f.comments[pathKey(ws)] = text
}

// flattenSet reads "display set" syntax: one command per line.
func flattenSet(file, src string) (*flat, error) {
	f := &flat{file: file, format: "set", arena: make([]word, 0, len(src)/7+16)}
	l := newLexer(file, src)
	l.newlines = true
	var (
		line  []word
		lists []blist
	)
	deact := map[string]bool{}
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tWord, tString, tLBrace, tRBrace, tSemi:
			line = append(line, t.word())
			continue
		case tComment:
			continue
		case tLBracket:
			if len(lists) > 0 {
				return nil, errAt(file, t.word(), "only one '[' list is allowed per statement")
			}
			bl := blist{at: len(line)}
			for {
				e, err := l.next()
				if err != nil {
					return nil, err
				}
				if e.kind == tRBracket {
					break
				}
				if e.kind == tNewline || e.kind == tEOF {
					return nil, errAt(file, e.word(), "unterminated '[' list (opened at %d:%d)", t.line, t.col)
				}
				if e.kind == tComment {
					continue
				}
				bl.elems = append(bl.elems, e.word())
			}
			lists = append(lists, bl)
			continue
		case tRBracket:
			return nil, errAt(file, t.word(), "unexpected ']'")
		}
		// end of line or file
		if len(line) > 0 {
			cmd := line[0]
			args := line[1:]
			ls := adjust(lists, -1)
			switch cmd.s {
			case "set":
				if len(args) == 0 {
					return nil, errAt(file, cmd, "set: missing statement")
				}
				if len(ls) > 0 && ls[0].at < 0 {
					return nil, errAt(file, cmd, "unexpected '['")
				}
				f.emit(args, ls, 0, false, false)
			case "deactivate", "activate", "delete":
				if len(args) == 0 {
					return nil, errAt(file, cmd, "%s: missing statement", cmd.s)
				}
				for _, ws := range expand(args, ls) {
					k := pathKey(normalize(ws))
					switch cmd.s {
					case "deactivate":
						deact[k] = true
					case "activate":
						delete(deact, k)
					default:
						f.applyDelete(normalize(ws))
					}
				}
			case "annotate":
				if len(args) < 2 {
					return nil, errAt(file, cmd, "annotate: expected a statement and a comment")
				}
				f.comment(normalize(args[:len(args)-1]), args[len(args)-1].s)
			case "insert":
				// insert PATH-TO-ELEMENT before|after TYPE NAME: reorder
				// (terms, policies); anything else is ignored with a warning.
				if len(ls) > 0 || len(args) < 5 || (args[len(args)-3].s != "before" && args[len(args)-3].s != "after") {
					f.warnf(cmd, "%q command ignored", cmd.s)
					break
				}
				n := len(args)
				elem := normalize(args[:n-3])
				if len(elem) < 2 {
					f.warnf(cmd, "%q command ignored", cmd.s)
					break
				}
				ref := append(append([]word{}, elem[:len(elem)-2]...), args[n-2], args[n-1])
				if !f.applyInsert(elem, ref, args[n-3].s == "after") {
					f.warnf(cmd, "insert: %s not found; command ignored", pathKey(ref))
				}
			case "protect", "unprotect", "rename", "copy", "top", "up", "edit", "exit", "commit", "quit":
				f.warnf(cmd, "%q command ignored", cmd.s)
			default:
				f.warnf(cmd, "line ignored: unknown command %q", cmd.s)
			}
		}
		line = line[:0]
		lists = nil
		if t.kind == tEOF {
			break
		}
	}
	if len(deact) > 0 {
		for i := range f.stmts {
			st := &f.stmts[i]
			k := make([]byte, 0, 64)
			for j, w := range st.w {
				if j > 0 {
					k = append(k, ' ')
				}
				k = append(k, w.s...)
				if deact[string(k)] {
					st.inact = j + 1
					break
				}
			}
		}
	}
	return f, nil
}

// expand returns the statements a command with bracket lists stands for.
func expand(ws []word, lists []blist) [][]word {
	if len(lists) == 0 {
		return [][]word{ws}
	}
	var out [][]word
	l := lists[0]
	for _, e := range l.elems {
		nw := append(append(append([]word{}, ws[:l.at]...), e), ws[l.at:]...)
		rest := make([]blist, len(lists)-1)
		for i, o := range lists[1:] {
			o.at++
			rest[i] = o
		}
		out = append(out, expand(nw, rest)...)
	}
	return out
}

// applyDelete removes earlier statements under path ("delete" command).
func (f *flat) applyDelete(path []word) {
	for i := range f.stmts {
		st := &f.stmts[i]
		if len(st.w) < len(path) {
			continue
		}
		match := true
		for j, w := range path {
			if st.w[j].s != w.s {
				match = false
				break
			}
		}
		if match {
			st.dead = true
		}
	}
}

// applyInsert moves the statements under elem to just before (or after)
// those under ref, as the "insert" command reorders terms and policies.
// It reports false when either element does not exist.
func (f *flat) applyInsert(elem, ref []word, after bool) bool {
	under := func(st *stmt, path []word) bool {
		if st.dead || len(st.w) < len(path) {
			return false
		}
		for j, w := range path {
			if st.w[j].s != w.s {
				return false
			}
		}
		return true
	}
	var moving, rest []stmt
	for i := range f.stmts {
		if under(&f.stmts[i], elem) {
			moving = append(moving, f.stmts[i])
		} else {
			rest = append(rest, f.stmts[i])
		}
	}
	at := -1
	for i := range rest {
		if under(&rest[i], ref) {
			if !after {
				at = i
				break
			}
			at = i + 1
		}
	}
	if len(moving) == 0 || at < 0 {
		return false
	}
	out := make([]stmt, 0, len(f.stmts))
	out = append(append(append(out, rest[:at]...), moving...), rest[at:]...)
	f.stmts = out
	return true
}
