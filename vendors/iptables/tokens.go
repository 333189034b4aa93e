package iptables

import (
	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// tok is one word of a rule line with its 1-based column.
type tok struct {
	s   string
	col int
}

// tokenize splits a line the way iptables-restore does: words separated by
// blanks; double quotes group words and are removed; inside quotes a
// backslash escapes the next character (iptables-save writes \" there).
func tokenize(file string, lineNum int, line []byte, out []tok) ([]tok, error) {
	out = out[:0]
	i := 0
	var esc []byte
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		start := i
		simple := true
		inQuote := false
		quoteCol := 0
		esc = esc[:0]
		for i < len(line) {
			c = line[i]
			if !inQuote && (c == ' ' || c == '\t') {
				break
			}
			switch {
			case c == '"':
				if simple {
					simple = false
					esc = append(esc, line[start:i]...)
				}
				if !inQuote {
					quoteCol = i + 1
				}
				inQuote = !inQuote
			case inQuote && c == '\\' && i+1 < len(line):
				if simple {
					simple = false
					esc = append(esc, line[start:i]...)
				}
				i++
				esc = append(esc, line[i])
			default:
				if !simple {
					esc = append(esc, c)
				}
			}
			i++
		}
		if inQuote {
			return out, parser.Errorf(policy.Pos{File: file, Line: lineNum, Col: quoteCol}, "unterminated quote")
		}
		if simple {
			out = append(out, tok{string(line[start:i]), start + 1})
		} else {
			out = append(out, tok{string(esc), start + 1})
		}
	}
	return out, nil
}
