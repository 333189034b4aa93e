package parser

import "fmt"

// TokKind classifies tokens of brace-structured languages (Junos, nftables).
type TokKind uint8

const (
	TokEOF TokKind = iota
	TokWord
	TokString // double-quoted; Text holds the unquoted content
	TokLBrace
	TokRBrace
	TokSemi
	TokLBracket
	TokRBracket
	TokNewline // only emitted when Lexer.Newlines is set
)

func (k TokKind) String() string {
	return [...]string{"end of file", "word", "string", "'{'", "'}'", "';'", "'['", "']'", "newline"}[k]
}

// Token is a lexeme with its position.
type Token struct {
	Kind TokKind
	Text string
	Pos  Pos
}

// Lexer tokenizes brace-structured configs: words, quoted strings, braces,
// brackets and semicolons, skipping "#" line comments and "/* */" block
// comments. It is hand-written for speed (hundreds of MB/s).
type Lexer struct {
	File string
	// Newlines makes the lexer emit TokNewline (nftables separates statements
	// by newlines as well as semicolons).
	Newlines bool
	// HashComments enables "#" comments at the start of a word.
	HashComments bool

	src       []byte
	off       int
	line, col int
}

// NewLexer lexes src, attributing positions to file.
func NewLexer(file string, src []byte) *Lexer {
	return &Lexer{File: file, src: src, line: 1, col: 1, HashComments: true}
}

func (l *Lexer) pos() Pos { return Pos{File: l.File, Line: l.line, Col: l.col} }

func (l *Lexer) advance(n int) {
	for i := 0; i < n; i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

// Next returns the next token, or an error for an unterminated string or comment.
func (l *Lexer) Next() (Token, error) {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == '\n':
			if l.Newlines {
				t := Token{Kind: TokNewline, Text: "\n", Pos: l.pos()}
				l.advance(1)
				return t, nil
			}
			l.advance(1)
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			l.off++
			l.col++
		case c == '#' && l.HashComments:
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.off++
				l.col++
			}
		case c == '/' && l.off+1 < len(l.src) && l.src[l.off+1] == '*':
			start := l.pos()
			l.advance(2)
			for {
				if l.off+1 >= len(l.src) {
					return Token{}, Errorf(start, "unterminated /* comment")
				}
				if l.src[l.off] == '*' && l.src[l.off+1] == '/' {
					l.advance(2)
					break
				}
				l.advance(1)
			}
		default:
			return l.token()
		}
	}
	return Token{Kind: TokEOF, Pos: l.pos()}, nil
}

func (l *Lexer) token() (Token, error) {
	p := l.pos()
	c := l.src[l.off]
	switch c {
	case '{':
		l.advance(1)
		return Token{TokLBrace, "{", p}, nil
	case '}':
		l.advance(1)
		return Token{TokRBrace, "}", p}, nil
	case ';':
		l.advance(1)
		return Token{TokSemi, ";", p}, nil
	case '[':
		l.advance(1)
		return Token{TokLBracket, "[", p}, nil
	case ']':
		l.advance(1)
		return Token{TokRBracket, "]", p}, nil
	case '"':
		l.advance(1)
		start := l.off
		for {
			if l.off >= len(l.src) {
				return Token{}, Errorf(p, "unterminated string")
			}
			ch := l.src[l.off]
			if ch == '\\' && l.off+1 < len(l.src) {
				l.advance(2)
				continue
			}
			if ch == '"' {
				break
			}
			l.advance(1)
		}
		text := string(l.src[start:l.off])
		l.advance(1)
		return Token{TokString, text, p}, nil
	}
	start := l.off
	for l.off < len(l.src) {
		ch := l.src[l.off]
		if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '{' || ch == '}' || ch == ';' || ch == '"' || ch == '[' || ch == ']' {
			break
		}
		l.off++
		l.col++
	}
	return Token{TokWord, string(l.src[start:l.off]), p}, nil
}

// Expect returns an error unless t has kind k.
func Expect(t Token, k TokKind) error {
	if t.Kind != k {
		return Errorf(t.Pos, "expected %s, found %s", k, describe(t))
	}
	return nil
}

func describe(t Token) string {
	switch t.Kind {
	case TokWord:
		return fmt.Sprintf("%q", t.Text)
	case TokString:
		return fmt.Sprintf("string %q", t.Text)
	}
	return t.Kind.String()
}
