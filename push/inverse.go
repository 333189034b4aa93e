package push

import (
	"sort"
	"strconv"
	"strings"
)

// Inverse computes the commands that undo cmds (Cisco IOS/NX-OS/EOS or ASA
// configuration-mode lines, as RenderBlock writes them) on a device whose
// running configuration before the change was pre. Undo runs in three
// phases so references stay valid: remove what was added (newest first),
// restore what was removed (whole objects first, then entries at their
// original places), then delete objects the change created.
func Inverse(vendor, pre string, cmds []string) []string {
	sections := parseSections(pre)
	var undoAdds, restoreObjs, restoreEntries, dropNew []string
	type restore struct {
		pos  int
		cmds []string
	}
	var restores []restore
	created := map[string]bool{}
	head := ""
	emitHead := func(list *[]string, h string, last *string) {
		if h != "" && *last != h {
			*list = append(*list, h)
			*last = h
		}
	}
	type add struct{ head, line string }
	var adds []add
	for _, c := range cmds {
		if !strings.HasPrefix(c, " ") {
			head = ""
			switch {
			case strings.HasPrefix(c, "no access-list "): // ASA: one ACE removed
				stored := strings.TrimPrefix(c, "no ")
				f := strings.Fields(stored)
				if len(f) < 3 {
					continue
				}
				n := aclIndex(pre, f[1], stored)
				if n > 0 {
					restores = append(restores, restore{n, []string{"access-list " + f[1] + " line " + strconv.Itoa(n) + " " + strings.Join(f[2:], " ")}})
				}
			case strings.HasPrefix(c, "no "): // a whole object removed
				h := strings.TrimPrefix(c, "no ")
				if body, ok := sections[h]; ok {
					restoreObjs = append(restoreObjs, h)
					restoreObjs = append(restoreObjs, body...)
				}
			case strings.HasPrefix(c, "access-list ") && strings.Contains(c, " line "): // ASA insert
				f := strings.Fields(c)
				if len(f) > 4 && f[2] == "line" {
					adds = append(adds, add{"", "no access-list " + f[1] + " " + strings.Join(f[4:], " ")})
				}
			default: // a mode line: enter (or create) an object
				head = c
				// only objects the change created go as a whole: an ACL
				// mode line may name a numbered list ("access-list 101"
				// lines), which "no ip access-list ..." would delete
				if _, ok := sections[c]; !ok && !created[c] && strings.HasPrefix(c, "object-group ") {
					created[c] = true
					dropNew = append(dropNew, "no "+c)
				}
			}
			continue
		}
		body := strings.TrimSpace(c)
		if body == "" {
			continue
		}
		if x, ok := strings.CutPrefix(body, "no "); ok {
			if orig := findChild(sections[head], x); orig != "" {
				restores = append(restores, restore{1 << 20, []string{head, " " + orig}})
			}
			continue
		}
		if created[head] {
			continue // the object goes as a whole
		}
		f := strings.Fields(body)
		undo := body
		if _, err := strconv.Atoi(f[0]); err == nil {
			undo = f[0]
		} else if f[0] == "sequence" && len(f) > 1 {
			undo = f[1]
		}
		adds = append(adds, add{head, " no " + undo})
	}
	last := ""
	for i := len(adds) - 1; i >= 0; i-- {
		emitHead(&undoAdds, adds[i].head, &last)
		if adds[i].head == "" {
			last = ""
		}
		undoAdds = append(undoAdds, adds[i].line)
	}
	sort.SliceStable(restores, func(i, j int) bool { return restores[i].pos < restores[j].pos })
	last = ""
	for _, r := range restores {
		if len(r.cmds) == 2 && strings.HasPrefix(r.cmds[1], " ") {
			emitHead(&restoreEntries, r.cmds[0], &last)
			restoreEntries = append(restoreEntries, r.cmds[1])
			continue
		}
		last = ""
		restoreEntries = append(restoreEntries, r.cmds...)
	}
	out := append(undoAdds, restoreObjs...)
	out = append(out, restoreEntries...)
	// created objects: newest first (ACL entries referencing groups are gone)
	for i := len(dropNew) - 1; i >= 0; i-- {
		out = append(out, dropNew[i])
	}
	_ = vendor
	return out
}

// parseSections maps each top-level line to its indented children.
func parseSections(text string) map[string][]string {
	out := map[string][]string{}
	cur := ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if cur != "" {
				out[cur] = append(out[cur], l)
			}
			continue
		}
		cur = strings.TrimSpace(l)
		if _, ok := out[cur]; !ok {
			out[cur] = nil
		}
	}
	return out
}

// findChild finds the child a "no X" removes: the same text, or the entry
// whose sequence number is X.
func findChild(children []string, x string) string {
	for _, ch := range children {
		t := strings.TrimSpace(ch)
		f := strings.Fields(t)
		if t == x || (len(f) > 0 && f[0] == x) || (len(f) > 1 && f[0] == "sequence" && f[1] == x) {
			return t
		}
	}
	return ""
}

// aclIndex is the 1-based place of an ASA ACE among its list's lines.
func aclIndex(pre, name, stored string) int {
	n := 0
	for _, l := range strings.Split(pre, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "access-list "+name+" ") {
			n++
			if l == stored {
				return n
			}
		}
	}
	return 0
}
