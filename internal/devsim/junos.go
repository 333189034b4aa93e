package devsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var junosVerbs = map[string]bool{"set": true, "delete": true, "insert": true, "activate": true, "deactivate": true, "replace": true}

func appendSet(text string, cmds []string) string {
	if len(cmds) == 0 {
		return text
	}
	return strings.TrimRight(text, "\n") + "\n" + strings.Join(cmds, "\n") + "\n"
}

func showCmd(line, want string) bool {
	f := strings.Split(line, "|")
	return strings.TrimSpace(f[0]) == want
}

// junos answers one line of a Junos CLI session.
func (s *session) junos(line string) (string, bool) {
	d := s.d
	if s.mode == "load" {
		if line == "\x04" {
			s.mode = "config"
			if s.loadErrs > 0 {
				out := fmt.Sprintf("load complete (%d errors)\n", s.loadErrs)
				s.loadErrs = 0
				return out, true
			}
			s.candidate = appendSet(s.candidate, s.loadLines)
			s.loadLines = nil
			return "load complete\n", true
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			return "", true
		}
		if !junosVerbs[f[0]] || s.rejected(line) {
			s.loadErrs++
			return fmt.Sprintf("terminal:%d:(1) syntax error: %s\n", len(s.loadLines)+s.loadErrs, f[0]), true
		}
		s.loadLines = append(s.loadLines, line)
		return "", true
	}
	line = strings.TrimSpace(line)
	if s.mode == "" {
		switch {
		case line == "":
			return "", true
		case line == "set cli screen-length 0":
			return "Screen length set to 0\n", true
		case showCmd(line, "show configuration"):
			return d.Running(), true
		case line == "configure private" || line == "configure":
			s.mode = "config"
			s.candidate = d.Running()
			return "warning: uncommitted changes will be discarded on exit\nEntering configuration mode\n", true
		case line == "exit" || line == "quit":
			return "", false
		}
		return "                     ^\nunknown command.\n", true
	}
	// configuration mode
	switch {
	case line == "":
		return "", true
	case line == "load set terminal":
		s.mode = "load"
		s.loadLines, s.loadErrs = nil, 0
		return "[Type ^D at a new line to end input]\n", true
	case showCmd(line, "run show configuration"):
		return d.Running(), true
	case showCmd(line, "show"):
		return s.candidate, true
	case strings.HasPrefix(line, "commit confirmed"):
		f := strings.Fields(line)
		mins := 10
		if len(f) == 3 {
			n, err := strconv.Atoi(f[2])
			if err != nil || n < 1 || n > 65535 {
				return "error: invalid value: " + f[2] + "\n", true
			}
			mins = n
		}
		d.mu.Lock()
		drop := d.fault.DropOnCommit
		d.commitLocked(s.candidate)
		prev := d.history[0]
		if d.pending != nil {
			d.pending.Stop()
		}
		d.pending = time.AfterFunc(time.Duration(mins)*d.ConfirmUnit, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.pending != nil {
				d.running = prev
				d.history = append([]string{prev}, d.history...)
				d.pending = nil
			}
		})
		d.mu.Unlock()
		if drop {
			s.conn.Close()
			return "", false
		}
		return fmt.Sprintf("configuration check succeeds\ncommit confirmed will be automatically rolled back in %d minutes unless confirmed\ncommit complete\n", mins), true
	case line == "commit" || line == "commit check":
		d.mu.Lock()
		defer d.mu.Unlock()
		if line == "commit check" {
			return "configuration check succeeds\n", true
		}
		if d.pending != nil {
			d.pending.Stop()
			d.pending = nil
		}
		if s.candidate != d.running {
			d.commitLocked(s.candidate)
		}
		return "commit complete\n", true
	case strings.HasPrefix(line, "rollback"):
		f := strings.Fields(line)
		n := 0
		if len(f) == 2 {
			var err error
			if n, err = strconv.Atoi(f[1]); err != nil {
				return "error: invalid rollback number\n", true
			}
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		switch {
		case n == 0:
			s.candidate = d.running
		case n <= len(d.history):
			s.candidate = d.history[n-1]
		default:
			return fmt.Sprintf("error: rollback %d: no such configuration\n", n), true
		}
		return "load complete\n", true
	case line == "exit configuration-mode" || line == "exit" || line == "quit":
		s.mode = ""
		s.candidate = ""
		return "Exiting configuration mode\n", true
	}
	if f := strings.Fields(line); junosVerbs[f[0]] && !s.rejected(line) {
		s.candidate = appendSet(s.candidate, []string{line})
		return "", true
	}
	return "                     ^\nsyntax error.\n", true
}

// commitLocked makes text the running config (keeping the previous one
// for rollback); a StoreWrong device drops the change's last line.
func (d *Device) commitLocked(text string) {
	if d.fault.StoreWrong && strings.HasPrefix(text, strings.TrimRight(d.running, "\n")) {
		lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
		if len(lines) > len(strings.Split(strings.TrimRight(d.running, "\n"), "\n")) {
			text = strings.Join(lines[:len(lines)-1], "\n") + "\n"
			d.fault.StoreWrong = false // once: the rollback commits right
		}
	}
	d.history = append([]string{d.running}, d.history...)
	if len(d.history) > 49 {
		d.history = d.history[:49]
	}
	d.running, d.saved = text, text
	d.commits++
}
