package devsim

import "strings"

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
	case s.session != "" && line == "commit":
		d.mu.Lock()
		lines := s.lines
		if d.fault.StoreWrong && len(lines) > 1 {
			lines = lines[:len(lines)-1]
			d.fault.StoreWrong = false
		}
		drop := d.fault.DropOnCommit
		d.commits++
		d.mu.Unlock()
		text := s.store(lines)
		d.mu.Lock()
		d.running = text
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
