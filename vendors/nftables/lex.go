package nftables

import (
	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// tkind classifies nft tokens.
type tkind uint8

const (
	tEOF    tkind = iota
	tWord         // bare word: keywords, addresses, numbers, @set, $var, operators
	tString       // double-quoted; text without the quotes
	tLBrace       // {
	tRBrace       // }
	tSemi         // ;
	tComma        // ,
	tNL           // end of line
	tHandle       // "# handle N" comment; text is N
)

func (k tkind) String() string {
	return [...]string{"end of file", "word", "string", "'{'", "'}'", "';'", "','", "end of line", "handle comment"}[k]
}

// tok is one lexeme. text aliases the source (converted to a string once),
// so lexing allocates nothing per token.
type tok struct {
	kind tkind
	text string
	file *string
	line int32
	col  int32
}

func (t tok) pos() policy.Pos {
	f := ""
	if t.file != nil {
		f = *t.file
	}
	return policy.Pos{File: f, Line: int(t.line), Col: int(t.col)}
}

func (t tok) describe() string {
	switch t.kind {
	case tWord:
		return "\"" + t.text + "\""
	case tString:
		return "string \"" + t.text + "\""
	}
	return t.kind.String()
}

func (t tok) is(w string) bool { return t.kind == tWord && t.text == w }

// lexer is a hand-written scanner for nft syntax: statements end at a newline
// or ';', '#' starts a comment (except "# handle N", which nft -a prints and
// which names rules), a backslash before the newline continues the line.
type lexer struct {
	src       string
	file      *string
	off       int
	line      int
	lineStart int
}

func newLexer(file string, src []byte) *lexer {
	f := file
	return &lexer{src: string(src), file: &f, line: 1}
}

func (l *lexer) mk(k tkind, text string, off int) tok {
	return tok{kind: k, text: text, file: l.file, line: int32(l.line), col: int32(off - l.lineStart + 1)}
}

func (l *lexer) errAt(off int, format string, args ...any) error {
	return parser.Errorf(policy.Pos{File: *l.file, Line: l.line, Col: off - l.lineStart + 1}, format, args...)
}

func (l *lexer) next() (tok, error) {
	s := l.src
	for l.off < len(s) {
		c := s[l.off]
		switch c {
		case ' ', '\t', '\r', '\f', '\v':
			l.off++
			continue
		case '\n':
			t := l.mk(tNL, "", l.off)
			l.off++
			l.line++
			l.lineStart = l.off
			return t, nil
		case '\\':
			// line continuation
			j := l.off + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
				j++
			}
			if j < len(s) && s[j] == '\n' {
				l.off = j + 1
				l.line++
				l.lineStart = l.off
				continue
			}
		case '#':
			start := l.off
			end := start
			for end < len(s) && s[end] != '\n' {
				end++
			}
			l.off = end
			if h, ok := handleComment(s[start+1 : end]); ok {
				return l.mk(tHandle, h, start), nil
			}
			continue
		case '{':
			l.off++
			return l.mk(tLBrace, "{", l.off-1), nil
		case '}':
			l.off++
			return l.mk(tRBrace, "}", l.off-1), nil
		case ';':
			l.off++
			return l.mk(tSemi, ";", l.off-1), nil
		case ',':
			l.off++
			return l.mk(tComma, ",", l.off-1), nil
		case '"':
			start := l.off
			j := start + 1
			for j < len(s) && s[j] != '"' && s[j] != '\n' {
				j++
			}
			if j >= len(s) || s[j] != '"' {
				return tok{}, l.errAt(start, "unterminated string")
			}
			l.off = j + 1
			return l.mk(tString, s[start+1:j], start), nil
		}
		start := l.off
		j := start
	word:
		for j < len(s) {
			switch s[j] {
			case ' ', '\t', '\r', '\f', '\v', '\n', '{', '}', ';', ',', '"', '#':
				break word
			}
			j++
		}
		if j == start { // a lone backslash not followed by a newline
			j++
		}
		l.off = j
		return l.mk(tWord, s[start:j], start), nil
	}
	return l.mk(tEOF, "", l.off), nil
}

// handleComment recognizes " handle 12" (the text after '#').
func handleComment(c string) (string, bool) {
	i := 0
	for i < len(c) && (c[i] == ' ' || c[i] == '\t') {
		i++
	}
	if len(c)-i < 7 || c[i:i+6] != "handle" || (c[i+6] != ' ' && c[i+6] != '\t') {
		return "", false
	}
	i += 7
	for i < len(c) && (c[i] == ' ' || c[i] == '\t') {
		i++
	}
	j := i
	for j < len(c) && c[j] >= '0' && c[j] <= '9' {
		j++
	}
	if j == i {
		return "", false
	}
	return c[i:j], true
}
