package junos

import (
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// Both Junos formats are reduced to the same flat form before any semantics
// are applied: a list of statements, each the full path of words from the
// configuration root, exactly as "show configuration | display set" prints
// them (without the leading "set"). Hierarchical
//
//	firewall { family inet { filter F { term T { from { protocol [ tcp udp ]; } } } } }
//
// becomes "firewall family inet filter F term T from protocol tcp" and
// "... protocol udp". This makes the two formats produce the same model by
// construction; only positions differ.

// word is one token of a statement with its source position.
type word struct {
	s         string
	line, col int32
}

func (w word) pos(file string) policy.Pos {
	return policy.Pos{File: file, Line: int(w.line), Col: int(w.col)}
}

// stmt is one flattened statement.
type stmt struct {
	w []word
	// inact is the length of the shortest deactivated path prefix of w
	// ("inactive:" tag or "deactivate" command); 0 when fully active.
	inact int
	// dead marks statements removed by a later "delete" (set format).
	dead bool
	// container marks statements emitted for a "{" block (hierarchical).
	container bool
}

// flat is the result of flattening one file.
type flat struct {
	file     string
	format   string // "set" or "hierarchical"
	stmts    []stmt
	comments map[string]string // annotation per node path (words joined by ' ')
	warnings []policy.Warning
	arena    []word
	// sink, when set, receives each statement as it is flattened instead of
	// storing it; st.w is only valid during the call (hierarchical format,
	// where nothing later can deactivate or delete a statement).
	sink func(st *stmt) error
	err  error // first error returned by sink
}

func (f *flat) pos(w word) policy.Pos { return w.pos(f.file) }

func (f *flat) warnf(w word, format string, args ...any) {
	f.warnings = append(f.warnings, policy.Warning{Pos: f.pos(w), Msg: sprintf(format, args...)})
}

func pathKey(ws []word) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.s)
	}
	return b.String()
}

// normalize rewrites the path aliases Junos treats as one node: "firewall
// filter F" is "firewall family inet filter F", and a bare top-level
// "filter F { ... }" (a snippet as printed under [edit firewall]) is taken
// as an inet filter too.
func normalize(ws []word) []word {
	if len(ws) >= 2 && ws[0].s == "firewall" && ws[1].s == "filter" {
		out := make([]word, 0, len(ws)+2)
		out = append(out, ws[0], word{"family", ws[1].line, ws[1].col}, word{"inet", ws[1].line, ws[1].col})
		return append(out, ws[1:]...)
	}
	if len(ws) >= 1 && ws[0].s == "filter" {
		w0 := ws[0]
		out := make([]word, 0, len(ws)+3)
		out = append(out, word{"firewall", w0.line, w0.col}, word{"family", w0.line, w0.col}, word{"inet", w0.line, w0.col})
		return append(out, ws...)
	}
	return ws
}

// emit appends a statement, expanding bracket lists ("[ a b ]") into one
// statement per element. lists holds, per list, its insertion index in ws and
// its elements.
//
// inact is the inherited inactive depth; self marks the statement itself as
// tagged "inactive:".
func (f *flat) emit(ws []word, lists []blist, inact int, self, container bool) {
	if len(lists) == 0 {
		if f.sink != nil {
			n := normalize(ws)
			if self && inact == 0 {
				inact = len(n)
			}
			if f.err == nil {
				st := stmt{w: n, inact: inact, container: container}
				f.err = f.sink(&st)
			}
			return
		}
		start := len(f.arena)
		f.arena = append(f.arena, ws...)
		n := normalize(f.arena[start:len(f.arena):len(f.arena)])
		if self && inact == 0 {
			inact = len(n)
		}
		f.stmts = append(f.stmts, stmt{w: n, inact: inact, container: container})
		return
	}
	l := lists[0]
	if len(l.elems) == 0 {
		return
	}
	for _, e := range l.elems {
		nw := make([]word, 0, len(ws)+1)
		nw = append(nw, ws[:l.at]...)
		nw = append(nw, e)
		nw = append(nw, ws[l.at:]...)
		rest := make([]blist, len(lists)-1)
		for i, o := range lists[1:] {
			o.at++
			rest[i] = o
		}
		f.emit(nw, rest, inact, self, container)
	}
}

type blist struct {
	at    int
	elems []word
}

// isSetFormat reports whether the first statement of src is a set-style
// command.
func isSetFormat(src string) bool {
	for len(src) > 0 {
		i := strings.IndexByte(src, '\n')
		line := src
		if i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = ""
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "/*") {
			return false
		}
		cmd, _, _ := strings.Cut(line, " ")
		switch cmd {
		case "set", "deactivate", "activate", "delete", "annotate", "insert", "protect", "unprotect":
			return true
		}
		return false
	}
	return false
}

func errAt(file string, w word, format string, args ...any) error {
	return parser.Errorf(w.pos(file), format, args...)
}
