package devsim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The functions below store configuration commands the way each platform
// keeps them in its running configuration. The simulator uses them, and so
// do the vendor packages' blocklist round-trip tests.

// StoreCLI applies IOS/NX-OS/EOS configuration lines to a running config.
func StoreCLI(text string, cmds []string) string { return applyCLI(text, cmds) }

// StoreASA applies ASA configuration lines to a running config.
func StoreASA(text string, cmds []string) string { return applyASA(text, cmds) }

// applyCLI runs configuration-mode lines against a running configuration
// the way the device stores the result: a mode line enters (or creates) its
// section, indented lines add entries to it, "no ..." removes one.
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
			if name, start, step, v6, ok := globalResequence(c); ok {
				for _, s := range secs {
					f := strings.Fields(s.head)
					if len(f) >= 3 && f[len(f)-1] == name && f[1] == "access-list" && (f[0] == "ipv6") == v6 {
						s.children = resequenceLines(s.children, start, step)
					}
				}
				cur = nil
				continue
			}
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
		if f := strings.Fields(body); len(f) == 3 && f[0] == "resequence" {
			start, _ := strconv.Atoi(f[1])
			step, _ := strconv.Atoi(f[2])
			cur.children = resequenceLines(cur.children, start, step)
			continue
		}
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

// globalResequence recognises "ip|ipv6 access-list resequence NAME START
// STEP" (IOS) and "resequence ip|ipv6 access-list NAME START STEP" (NX-OS).
func globalResequence(c string) (name string, start, step int, v6, ok bool) {
	f := strings.Fields(c)
	if len(f) != 6 {
		return "", 0, 0, false, false
	}
	switch {
	case f[1] == "access-list" && f[2] == "resequence":
		name, v6 = f[3], f[0] == "ipv6"
	case f[0] == "resequence" && f[2] == "access-list":
		name, v6 = f[3], f[1] == "ipv6"
	default:
		return "", 0, 0, false, false
	}
	start, err1 := strconv.Atoi(f[4])
	step, err2 := strconv.Atoi(f[5])
	return name, start, step, v6, err1 == nil && err2 == nil
}

// resequenceLines renumbers ACL entry lines as the device stores them
// after a resequence: in sequence order (unnumbered entries follow the
// previous number by 10, unnumbered remarks take the previous number),
// each with its own number START, START+STEP, ...; other lines (counters
// per-entry, ...) stay first.
func resequenceLines(children []string, start, step int) []string {
	type ent struct {
		seq  int
		body string
		v6   bool // "sequence N" form
	}
	var other []string
	var ents []ent
	last := 0
	for _, ch := range children {
		f := strings.Fields(ch)
		if len(f) == 0 {
			continue
		}
		e := ent{}
		switch {
		case f[0] == "sequence" && len(f) > 2:
			e.seq, _ = strconv.Atoi(f[1])
			e.body, e.v6 = strings.Join(f[2:], " "), true
		case len(f) > 1 && f[0] >= "0" && f[0] <= "9":
			e.seq, _ = strconv.Atoi(f[0])
			e.body = strings.Join(f[1:], " ")
		case f[0] == "remark":
			e.seq, e.body = last, strings.Join(f, " ")
		case f[0] == "permit" || f[0] == "deny":
			e.seq, e.body = last+10, strings.Join(f, " ")
		default:
			other = append(other, ch)
			continue
		}
		if !strings.HasPrefix(e.body, "remark") && e.seq > last {
			last = e.seq
		}
		ents = append(ents, e)
	}
	sort.SliceStable(ents, func(i, j int) bool { return ents[i].seq < ents[j].seq })
	out := other
	for i, e := range ents {
		if e.v6 {
			out = append(out, fmt.Sprintf(" sequence %d %s", start+i*step, e.body))
		} else {
			out = append(out, fmt.Sprintf(" %d %s", start+i*step, e.body))
		}
	}
	return out
}

// applyASA stores commands as the ASA does: "access-list X line 1 ..."
// goes before X's first line (without "line 1"), "no access-list ..."
// removes that line, object-group mode lines change the group, "no
// object-group ..." removes it.
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
