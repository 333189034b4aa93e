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
			w := line[start:i]
			if k, ok := keywords[string(w)]; ok {
				out = append(out, tok{k, start + 1})
			} else {
				out = append(out, tok{string(w), start + 1})
			}
		} else {
			out = append(out, tok{string(esc), start + 1})
		}
	}
	return out, nil
}

// keywords are interned: most words of a ruleset are option and module
// names, and looking them up does not allocate.
var keywords = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"-A", "-I", "-s", "-d", "-p", "-i", "-o", "-f", "-m", "-j", "-g", "!", "COMMIT",
		"tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "all", "sctp", "esp", "ah", "gre",
		"--sport", "--dport", "--sports", "--dports", "--ports", "--icmp-type", "--icmpv6-type",
		"--ctstate", "--state", "--src-range", "--dst-range", "--match-set", "--comment",
		"--limit", "--limit-burst", "--reject-with", "--log-prefix", "--log-level", "--tcp-flags",
		"--syn", "multiport", "conntrack", "state", "iprange", "set", "comment", "limit", "icmp6",
		"ACCEPT", "DROP", "REJECT", "RETURN", "LOG", "NFLOG", "MASQUERADE", "SNAT", "DNAT", "MARK",
		"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING", "src", "dst", "lo", "eth0", "eth1",
		"NEW", "ESTABLISHED", "RELATED,ESTABLISHED", "ESTABLISHED,RELATED", "INVALID", "RELATED",
		"icmp-port-unreachable", "icmp-host-prohibited", "icmp6-port-unreachable", "tcp-reset",
		"icmp6-adm-prohibited", "icmp-admin-prohibited", "1024:65535", "0.0.0.0/0", "::/0",
		"22", "53", "80", "123", "443", "8", "--to-destination", "--to-source", "--set-xmark",
	} {
		m[k] = k
	}
	return m
}()
