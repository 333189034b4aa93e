package devsim

import (
	"strconv"
	"strings"
	"time"
)

// store applies the session's typed lines to the config at "configure
// terminal" the way the platform stores them.
func (s *session) store(lines []string) string {
	if s.d.Vendor == "asa" {
		out := applyASA(s.base, lines)
		return strings.Join(storedOrder(strings.Split(strings.TrimRight(out, "\n"), "\n")), "\n") + "\n"
	}
	return applyCLI(s.base, lines)
}

func (s *session) invalid() string {
	if s.d.Vendor == "asa" {
		return "ERROR: % Invalid input detected at '^' marker.\n"
	}
	return "% Invalid input detected at '^' marker.\n"
}

// cisco answers one line of an IOS or ASA CLI session.
func (s *session) cisco(raw string) (string, bool) {
	d := s.d
	line := strings.TrimSpace(raw)
	if s.mode == "" {
		switch {
		case line == "":
			return "", true
		case line == "terminal length 0" || line == "terminal pager 0":
			return "", true
		case line == "show running-config":
			return d.Running(), true
		case line == "configure terminal":
			s.mode = "config"
			s.base, s.lines = d.Running(), nil
			return "Enter configuration commands, one per line.  End with CNTL/Z.\n", true
		case d.Vendor == "eos" && strings.HasPrefix(line, "configure session ") && (strings.HasSuffix(line, " commit") || strings.HasSuffix(line, " abort")):
			// confirm or revert a session committed with a timer
			f := strings.Fields(line)
			name, verb := f[2], f[3]
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.pending == nil || d.pendingSession != name {
				return "% Session " + name + " has no pending commit\n", true
			}
			d.pending.Stop()
			d.pending = nil
			if verb == "abort" {
				d.running = d.pendingBefore
			}
			d.pendingSession, d.pendingBefore = "", ""
			return "", true
		case d.Vendor == "eos" && strings.HasPrefix(line, "configure session "):
			s.mode, s.session = "config", strings.TrimPrefix(line, "configure session ")
			s.base, s.lines = d.Running(), nil
			return "", true
		case d.Vendor == "nxos" && strings.HasPrefix(line, "checkpoint "):
			d.mu.Lock()
			if d.checkpoints == nil {
				d.checkpoints = map[string]string{}
			}
			d.checkpoints[strings.TrimPrefix(line, "checkpoint ")] = d.running
			d.mu.Unlock()
			return "...........Done\n", true
		case d.Vendor == "nxos" && strings.HasPrefix(line, "rollback running-config checkpoint "):
			d.mu.Lock()
			defer d.mu.Unlock()
			cp, ok := d.checkpoints[strings.TrimPrefix(line, "rollback running-config checkpoint ")]
			if !ok {
				return "ERROR: no such checkpoint\n", true
			}
			d.running = cp
			return "Rollback Done\n", true
		case line == "write memory" || line == "copy running-config startup-config":
			d.mu.Lock()
			d.saved = d.running
			d.mu.Unlock()
			return "Building configuration...\n[OK]\n", true
		case line == "exit" || line == "logout":
			return "", false
		}
		return s.invalid(), true
	}
	switch {
	case line == "":
		return "", true
	case s.session != "" && line == "abort":
		s.mode, s.session, s.lines = "", "", nil
		return "", true
	case s.session != "" && (line == "commit" || strings.HasPrefix(line, "commit timer ")):
		// "commit timer hh:mm:ss" applies now and reverts unless confirmed
		// in time (minutes of ConfirmUnit)
		var dur time.Duration
		if line != "commit" {
			var ok bool
			if dur, ok = parseHMS(strings.TrimPrefix(line, "commit timer ")); !ok {
				return s.invalid(), true
			}
		}
		d.mu.Lock()
		lines := s.lines
		if d.fault.StoreWrong && len(lines) > 1 {
			lines = lines[:len(lines)-1]
			d.fault.StoreWrong = false
		}
		drop := d.fault.DropOnCommit
		d.commits++
		before, name := d.running, s.session
		d.mu.Unlock()
		text := s.store(lines)
		d.mu.Lock()
		d.running = text
		if dur > 0 {
			d.armRevertLocked(name, before, dur)
		}
		d.mu.Unlock()
		s.mode, s.session, s.lines = "", "", nil
		if drop {
			s.conn.Close()
			return "", false
		}
		return "", true
	case line == "end":
		d.mu.Lock()
		drop := d.fault.DropOnCommit && len(s.lines) > 0
		if len(s.lines) > 0 {
			d.commits++
			if d.fault.StoreWrong {
				d.fault.StoreWrong = false // once: the rollback session stores right
			}
		}
		d.mu.Unlock()
		s.mode = ""
		if drop {
			s.conn.Close()
			return "", false
		}
		return "", true
	case line == "exit":
		if s.mode == "sub" {
			s.mode = "config"
		} else {
			s.mode = ""
		}
		return "", true
	case s.rejected(line) || strings.HasPrefix(line, "show "):
		return s.invalid(), true
	}
	if !strings.HasPrefix(raw, " ") && !strings.HasPrefix(line, "no ") && !strings.HasPrefix(line, "access-list ") {
		s.mode = "sub"
	} else if !strings.HasPrefix(raw, " ") {
		s.mode = "config"
	}
	s.lines = append(s.lines, raw)
	if s.session != "" {
		return "", true // applies at commit
	}
	d.mu.Lock()
	lines := s.lines
	if d.fault.StoreWrong && len(lines) > 1 {
		lines = lines[:len(lines)-1]
	}
	d.mu.Unlock()
	text := s.store(lines)
	d.mu.Lock()
	d.running = text
	d.mu.Unlock()
	return "", true
}

// parseHMS parses EOS's hh:mm:ss.
func parseHMS(v string) (time.Duration, bool) {
	f := strings.Split(v, ":")
	if len(f) != 3 {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.Atoi(f[i])
		if err != nil || n < 0 || (i > 0 && n > 59) {
			return 0, false
		}
		d += time.Duration(n) * unit
	}
	return d, d > 0
}

// armRevertLocked makes the device revert to before unless session name is
// confirmed within dur (EOS "commit timer"); d.mu is held.
func (d *Device) armRevertLocked(name, before string, dur time.Duration) {
	if d.pending != nil {
		d.pending.Stop()
	}
	d.pendingSession, d.pendingBefore = name, before
	unit := d.ConfirmUnit
	if unit <= 0 {
		unit = time.Minute
	}
	d.pending = time.AfterFunc(time.Duration(float64(dur)/float64(time.Minute)*float64(unit)), func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.pending != nil && d.pendingSession == name {
			d.running = before
			d.pending, d.pendingSession, d.pendingBefore = nil, "", ""
		}
	})
}
