package parser

import "bytes"

// Line is one physical line of a line-oriented config (Cisco, iptables-save).
type Line struct {
	Num  int    // 1-based
	Text []byte // without the line terminator; aliases the input
}

// Lines splits data into lines, accepting \n and \r\n terminators. It calls fn
// for each line and stops early when fn returns false.
func Lines(data []byte, fn func(Line) bool) {
	num := 0
	for len(data) > 0 {
		num++
		i := bytes.IndexByte(data, '\n')
		var text []byte
		if i < 0 {
			text, data = data, nil
		} else {
			text, data = data[:i], data[i+1:]
		}
		if n := len(text); n > 0 && text[n-1] == '\r' {
			text = text[:n-1]
		}
		if !fn(Line{Num: num, Text: text}) {
			return
		}
	}
}

// Field is a whitespace-separated word of a line with its 1-based column.
type Field struct {
	Text string
	Col  int
}

// Fields splits a line on spaces and tabs, keeping columns. Double-quoted
// words keep their quotes removed and may contain spaces; an unterminated
// quote runs to the end of the line.
func Fields(line []byte) []Field {
	out := make([]Field, 0, 12)
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		start := i
		if c == '"' {
			j := bytes.IndexByte(line[i+1:], '"')
			if j < 0 {
				out = append(out, Field{string(line[i+1:]), start + 1})
				return out
			}
			out = append(out, Field{string(line[i+1 : i+1+j]), start + 1})
			i += j + 2
			continue
		}
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		out = append(out, Field{string(line[start:i]), start + 1})
	}
	return out
}
