package cisco

import (
	"net/netip"
	"strconv"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// tok is one whitespace-separated word of a line; s aliases the input.
type tok struct {
	s   []byte
	col int
}

// split appends the words of line to out. A word starting with '!' starts a
// comment that runs to the end of the line (EOS accepts trailing comments).
func split(line []byte, out []tok) []tok {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
			i++
			continue
		}
		if c == '!' {
			break
		}
		start := i
		for i < len(line) {
			c = line[i]
			if c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
				break
			}
			i++
		}
		out = append(out, tok{line[start:i], start + 1})
	}
	return out
}

// atoi parses a small unsigned decimal; ok is false for anything else.
func atoi(b []byte, max int) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > max {
			return 0, false
		}
	}
	return n, true
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseV4 parses a dotted-quad IPv4 address without allocating.
func parseV4(b []byte) (netip.Addr, bool) {
	var a [4]byte
	part, n, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || part > 3 {
				return netip.Addr{}, false
			}
			a[part] = byte(n)
			part++
			n, digits = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' {
			return netip.Addr{}, false
		}
		n = n*10 + int(c-'0')
		digits++
		if n > 255 || digits > 3 {
			return netip.Addr{}, false
		}
	}
	if part != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

// parseAddr parses an IPv4 or IPv6 address.
func parseAddr(b []byte) (netip.Addr, bool) {
	if a, ok := parseV4(b); ok {
		return a, true
	}
	for _, c := range b {
		if c == ':' {
			a, err := netip.ParseAddr(string(b))
			if err != nil || a.Zone() != "" {
				return netip.Addr{}, false
			}
			return a, true
		}
	}
	return netip.Addr{}, false
}

// parsePrefix parses A/len (IPv4 or IPv6).
func parsePrefix(b []byte) (netip.Prefix, bool) {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			a, ok := parseAddr(b[:i])
			if !ok {
				return netip.Prefix{}, false
			}
			n, ok := atoi(b[i+1:], a.BitLen())
			if !ok {
				return netip.Prefix{}, false
			}
			return netip.PrefixFrom(a, n), true
		}
	}
	return netip.Prefix{}, false
}

// maskLen returns the prefix length of a contiguous subnet mask.
func maskLen(m netip.Addr) (int, bool) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for n < 32 && v&(1<<(31-uint(n))) != 0 {
		n++
	}
	if n < 32 && v<<uint(n) != 0 {
		return 0, false
	}
	return n, true
}

// cursor walks the words of one statement.
type cursor struct {
	p    *state
	toks []tok
	i    int
	line int
}

func (c *cursor) more() bool { return c.i < len(c.toks) }

func (c *cursor) peek() []byte {
	if c.i < len(c.toks) {
		return c.toks[c.i].s
	}
	return nil
}

func (c *cursor) peekIs(s string) bool { return c.i < len(c.toks) && string(c.toks[c.i].s) == s }

func (c *cursor) pos() policy.Pos {
	if c.i < len(c.toks) {
		return policy.Pos{File: c.p.file, Line: c.line, Col: c.toks[c.i].col}
	}
	// end of line: point just past the last word
	col := 1
	if n := len(c.toks); n > 0 {
		col = c.toks[n-1].col + len(c.toks[n-1].s)
	}
	return policy.Pos{File: c.p.file, Line: c.line, Col: col}
}

func (c *cursor) errf(format string, args ...any) error {
	return parser.Errorf(c.pos(), format, args...)
}

// next returns the current word and advances, or fails naming what was expected.
func (c *cursor) next(what string) ([]byte, error) {
	if c.i >= len(c.toks) {
		return nil, c.errf("missing %s", what)
	}
	s := c.toks[c.i].s
	c.i++
	return s, nil
}

func (c *cursor) number(what string, max int) (int, error) {
	if c.i >= len(c.toks) {
		return 0, c.errf("missing %s", what)
	}
	n, ok := atoi(c.toks[c.i].s, max)
	if !ok {
		return 0, c.errf("invalid %s %q (0-%s)", what, c.toks[c.i].s, strconv.Itoa(max))
	}
	c.i++
	return n, nil
}
