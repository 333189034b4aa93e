package devsim

import (
	"strconv"
	"strings"
)

// The functions below store configuration commands the way each platform
// keeps them in its running configuration (same rules as the vendor
// packages' round-trip tests).

// applyCLI runs configuration-mode lines against a running configuration
// the way IOS/NX-OS/EOS store the result: a mode line enters (or creates)
// its section, indented lines add entries to it, "no ..." removes one.
func applyCLI(text string, cmds []string) string {
	type section struct {
		head     string
		children []string
	}
	var secs []*section
	var tail []string // a final "end"
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if n := len(lines); n > 0 && strings.TrimSpace(lines[n-1]) == "end" {
		tail, lines = lines[n-1:], lines[:n-1]
	}
	for _, l := range lines {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(secs) > 0 {
			secs[len(secs)-1].children = append(secs[len(secs)-1].children, l)
			continue
		}
		secs = append(secs, &section{head: l})
	}
	find := func(head string) *section {
		for _, s := range secs {
			if strings.TrimSpace(s.head) == head {
				return s
			}
		}
		return nil
	}
	var cur *section
	for _, c := range cmds {
		if !strings.HasPrefix(c, " ") {
			if x, ok := strings.CutPrefix(c, "no "); ok {
				for i, s := range secs {
					if strings.TrimSpace(s.head) == x {
						secs = append(secs[:i], secs[i+1:]...)
						break
					}
				}
				cur = nil
				continue
			}
			if cur = find(c); cur == nil {
				cur = &section{head: c}
				secs = append(secs, cur)
			}
			continue
		}
		body := strings.TrimSpace(c)
		if x, ok := strings.CutPrefix(body, "no "); ok {
			for i, ch := range cur.children {
				f := strings.Fields(ch)
				t := strings.TrimSpace(ch)
				if t == x || (len(f) > 0 && f[0] == x) || (len(f) > 1 && f[0] == "sequence" && f[1] == x) {
					cur.children = append(cur.children[:i], cur.children[i+1:]...)
					break
				}
			}
			continue
		}
		cur.children = append(cur.children, c)
	}
	var b strings.Builder
	for _, s := range secs {
		b.WriteString(s.head + "\n")
		for _, ch := range s.children {
			b.WriteString(ch + "\n")
		}
	}
	for _, l := range tail {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// applyASA stores commands as the ASA does.
func applyASA(text string, cmds []string) string {
	lines := storedOrder(strings.Split(strings.TrimRight(text, "\n"), "\n"))
	indexOf := func(pred func(string) bool) int {
		for i, l := range lines {
			if pred(l) {
				return i
			}
		}
		return -1
	}
	insert := func(at int, l ...string) {
		lines = append(lines[:at], append(l, lines[at:]...)...)
	}
	group := -1 // line index of the current object-group header
	for _, c := range cmds {
		switch {
		case strings.HasPrefix(c, "access-list ") && strings.Contains(c, " line 1 "):
			f := strings.Fields(c)
			stored := strings.Replace(c, " line 1 ", " ", 1)
			at := indexOf(func(l string) bool { return strings.HasPrefix(l, "access-list "+f[1]+" ") })
			if at < 0 {
				at = len(lines)
			}
			insert(at, stored)
			group = -1
		case strings.HasPrefix(c, "no object-group "):
			head := strings.TrimPrefix(c, "no ")
			at := indexOf(func(l string) bool { return l == head })
			if at >= 0 {
				end := at + 1
				for end < len(lines) && strings.HasPrefix(lines[end], " ") {
					end++
				}
				lines = append(lines[:at], lines[end:]...)
			}
			group = -1
		case strings.HasPrefix(c, "no "):
			at := indexOf(func(l string) bool { return l == strings.TrimPrefix(c, "no ") })
			if at >= 0 {
				lines = append(lines[:at], lines[at+1:]...)
			}
			group = -1
		case strings.HasPrefix(c, "object-group "):
			group = indexOf(func(l string) bool { return l == c })
			if group < 0 {
				// new groups go before the first access-list
				at := indexOf(func(l string) bool { return strings.HasPrefix(l, "access-list ") })
				if at < 0 {
					at = len(lines)
				}
				insert(at, c)
				group = at
			}
		case strings.HasPrefix(c, " no "):
			body := " " + strings.TrimPrefix(c, " no ")
			for i := group + 1; i < len(lines) && strings.HasPrefix(lines[i], " "); i++ {
				if lines[i] == body {
					lines = append(lines[:i], lines[i+1:]...)
					break
				}
			}
		case strings.HasPrefix(c, " "):
			end := group + 1
			for end < len(lines) && strings.HasPrefix(lines[end], " ") {
				end++
			}
			insert(end, c)
		default:
			lines = append(lines, c)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// storedOrder applies "access-list X line N ..." inserts of a config text
// the way the ASA stores them: as X's Nth line, without "line N".
func storedOrder(in []string) []string {
	var out []string
	for _, l := range in {
		f := strings.Fields(l)
		if len(f) > 4 && f[0] == "access-list" && f[2] == "line" {
			n, err := strconv.Atoi(f[3])
			if err == nil {
				stored := strings.Join(append(f[:2:2], f[4:]...), " ")
				k, at := 0, len(out)
				for i, o := range out {
					if strings.HasPrefix(o, "access-list "+f[1]+" ") {
						k++
						if k == n {
							at = i
							break
						}
					}
				}
				out = append(out[:at], append([]string{stored}, out[at:]...)...)
				continue
			}
		}
		out = append(out, l)
	}
	return out
}
