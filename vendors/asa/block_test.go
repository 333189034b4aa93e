package asa

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/blocktest"
)

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

func TestRenderBlockRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../../testdata/asa/policy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	c := blocktest.Case{Vendor: Vendor, File: "policy.cfg", Text: string(data), Apply: applyASA, Filters: []string{"OUTSIDE_IN", "INSIDE_IN", "GLOBAL"}}
	text := c.Step(t, c.Text, []string{"203.0.113.0/24", "100.64.0.1", "2001:db8:bad::/48"}, []string{"198.18.0.0/15"})
	if !strings.Contains(text, "access-list OUTSIDE_IN extended deny ip object-group FWPOL-BLOCK any") {
		t.Fatalf("no block entry:\n%s", text)
	}
	text = c.Step(t, text, []string{"203.0.112.0/23", "2001:db8:bad::/48", "2001:db8:bad1::/48"}, nil)
	text = c.Step(t, text, []string{"203.0.112.0/24"}, []string{"2001:db8:dead::/48"})
	text = c.Step(t, text, nil, nil)
	if strings.Contains(text, "FWPOL-BLOCK") {
		t.Fatalf("block left after unblocking everything:\n%s", text)
	}
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
