package cisco

import (
	"bytes"

	"github.com/fwpol/fwpol/vendors/render"
)

// detectFor scores data for dialect d. All three dialects share one
// analysis; the dialect it picks gets the score and the other two half of
// it, so the registry picks exactly one.
func detectFor(data []byte, d dialect) int {
	best, score := classify(data)
	if score == 0 {
		return 0
	}
	if best == d {
		return score
	}
	return score / 2
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// classify looks at the first 64 KiB. Markers (100): IOS "Building
// configuration"/"Current configuration :"/"version 15.2"; NX-OS
// "!Command:", "version 9.3(5)", "feature "; EOS "! device:", "! boot system
// flash:", "! Command:". Otherwise syntax signals vote (80 strong, 50 weak).
// ASA configs ("ASA Version", "nameif", "security-level", "any4", "object
// network") score 0: the asa package owns them.
func classify(data []byte) (dialect, int) {
	if len(data) > 64<<10 {
		data = data[:64<<10]
	}
	var votes [3]int
	marker := -1
	generic, acl, foreign := 0, 0, 0
	lines := 0
	for len(data) > 0 && lines < 4000 {
		i := bytes.IndexByte(data, '\n')
		var ln []byte
		if i < 0 {
			ln, data = data, nil
		} else {
			ln, data = data[:i], data[i+1:]
		}
		ln = bytes.TrimRight(ln, "\r \t")
		lines++
		if len(ln) == 0 {
			continue
		}
		t := bytes.TrimLeft(ln, " \t")
		indent := len(ln) - len(t)
		if v, ok := render.MarkedVendor(t); ok {
			// written by fwpol's renderer for this dialect
			for d, name := range dialectVendor {
				if name == v {
					return dialect(d), 100
				}
			}
			return dIOS, 0
		}
		switch {
		case hasPrefix(t, "ASA Version"), hasPrefix(t, "PIX Version"), hasPrefix(t, "nameif "),
			hasPrefix(t, "security-level "), hasPrefix(t, "object network "),
			bytes.Contains(t, []byte(" any4")) && (hasPrefix(t, "access-list ") || hasPrefix(t, "permit ") || hasPrefix(t, "deny ")):
			return dIOS, 0
		case t[len(t)-1] == '{' || t[len(t)-1] == ';' || t[0] == '#' || hasPrefix(t, "```") || hasPrefix(t, "set ") ||
			hasPrefix(t, "*filter") || hasPrefix(t, "-A ") || hasPrefix(t, ":INPUT") || hasPrefix(t, "table ") || hasPrefix(t, "---"):
			foreign++
			continue
		}
		if indent == 0 {
			switch {
			case hasPrefix(t, "Building configuration"), hasPrefix(t, "Current configuration :"):
				marker = int(dIOS)
			case hasPrefix(t, "!Command:"), hasPrefix(t, "!Time:"):
				marker = int(dNXOS)
			case hasPrefix(t, "! device:"), hasPrefix(t, "! boot system flash:"), hasPrefix(t, "! Command:"):
				marker = int(dEOS)
			case hasPrefix(t, "version "):
				if bytes.IndexByte(t, '(') > 0 {
					marker = int(dNXOS)
				} else if len(t) > 8 && t[8] >= '1' && t[8] <= '9' && marker < 0 {
					marker = int(dIOS)
				}
			case hasPrefix(t, "feature "), hasPrefix(t, "vrf context "), hasPrefix(t, "switchname "):
				votes[dNXOS] += 3
				generic++
			case hasPrefix(t, "management api http-commands"), hasPrefix(t, "daemon TerminAttr"),
				hasPrefix(t, "transceiver qsfp"), hasPrefix(t, "management api gnmi"):
				votes[dEOS] += 3
				generic++
			case hasPrefix(t, "service timestamps"), hasPrefix(t, "service password-encryption"),
				hasPrefix(t, "enable secret"), hasPrefix(t, "ip access-list standard "), hasPrefix(t, "ip access-list extended "),
				hasPrefix(t, "zone security "), hasPrefix(t, "class-map type inspect"):
				votes[dIOS]++
				generic++
				acl++
			case hasPrefix(t, "ip access-list ") && !bytes.Contains(t, []byte(" standard")) && !bytes.Contains(t, []byte(" extended")):
				// "ip access-list NAME" without a type is NX-OS/EOS syntax
				votes[dNXOS] += 2
				votes[dEOS] += 2
				acl++
			case hasPrefix(t, "access-list "), hasPrefix(t, "ip access-list "), hasPrefix(t, "ipv6 access-list "),
				hasPrefix(t, "object-group "):
				acl++
				generic++
			case hasPrefix(t, "hostname "), hasPrefix(t, "interface "), hasPrefix(t, "line vty"),
				hasPrefix(t, "router "), hasPrefix(t, "ip route "), hasPrefix(t, "banner "), hasPrefix(t, "end"),
				hasPrefix(t, "!"), hasPrefix(t, "snmp-server "), hasPrefix(t, "ntp server "), hasPrefix(t, "logging "),
				hasPrefix(t, "vlan "), hasPrefix(t, "spanning-tree "), hasPrefix(t, "username "), hasPrefix(t, "aaa "):
				generic++
			}
			continue
		}
		// indented: sequence-numbered entries with CIDR prefixes are
		// NX-OS (two-space indent) or EOS (three spaces).
		if t[0] >= '1' && t[0] <= '9' {
			j := bytes.IndexByte(t, ' ')
			if j > 0 && isDigits(t[:j]) && (hasPrefix(t[j+1:], "permit ") || hasPrefix(t[j+1:], "deny ") || hasPrefix(t[j+1:], "remark")) {
				acl++
				switch indent {
				case 1:
					votes[dIOS]++
				case 2:
					votes[dNXOS]++
				case 3:
					votes[dEOS]++
				}
				if bytes.IndexByte(t, '/') > 0 {
					if indent == 3 {
						votes[dEOS]++
					} else {
						votes[dNXOS]++
					}
				}
			}
		} else if hasPrefix(t, "permit ") || hasPrefix(t, "deny ") || hasPrefix(t, "ip access-group ") ||
			hasPrefix(t, "ip address ") || hasPrefix(t, "access-class ") {
			generic++
		}
	}
	if marker < 0 && generic+acl == 0 {
		return dIOS, 0
	}
	if marker < 0 && foreign > generic+acl {
		return dIOS, 0
	}
	d := dIOS
	if votes[dNXOS] > votes[d] {
		d = dNXOS
	}
	if votes[dEOS] > votes[d] {
		d = dEOS
	}
	if marker >= 0 {
		return dialect(marker), 100
	}
	if acl > 0 || generic >= 3 {
		return d, 80
	}
	return d, 50
}
