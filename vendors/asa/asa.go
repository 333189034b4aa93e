// Package asa parses Cisco ASA (and PIX/FWSM) configurations: access-lists
// (extended, standard, webtype, ethertype), names, objects, object-groups,
// interfaces (for the "interface NAME" address) and access-group bindings.
//
// Device semantics modelled here:
//   - ACLs are first match with an implicit deny at the end; one filter per
//     ACL name, Family Any (ASA 9.x ACLs mix IPv4 and IPv6: "any" is both
//     families, any4 only IPv4, any6 only IPv6).
//   - Addresses use netmasks ("10.0.0.0 255.0.0.0"), not IOS wildcards.
//   - ASA has no sequence numbers in the configuration; every ACE and every
//     remark occupies one line number ("access-list X line N"), so rule names
//     are those 1-based line numbers, remarks included.
//   - The ASA refuses an ACE (or a group-object line) naming an object that
//     does not exist, so such an ACE is not on the device: it is kept as a
//     rule that matches nothing, with a warning and a Config.Undefined entry.
//   - ASA ACLs have no stateful or fragment keywords (the ASA is stateful
//     and "established" is not an ACE option), so no ASA ACE sets
//     Match.NotInitial.
package asa

import (
	"bytes"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// Vendor is the ASA syntax.
var Vendor = vendors.Vendor{Name: "asa", Detect: Detect, Parse: Parse}

const detectWindow = 64 << 10

// Detect scores data: 100 for an "ASA Version"/"PIX Version"/"FWSM Version"
// (or FTD "NGFW Version") header, 80 for ASA-only syntax (nameif, security-level, any4/any6,
// "object network", "access-group NAME in interface IF"), else 0. IOS also
// accepts "access-list NAME extended" and "object-group network", so those
// alone are not ASA signals.
func Detect(data []byte) int {
	if len(data) > detectWindow {
		data = data[:detectWindow]
	}
	score := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if hasPrefixes(line, "ASA Version ", "PIX Version ", "FWSM Version ", "NGFW Version ") {
			return 100
		}
		t := bytes.TrimLeft(line, " \t")
		indented := len(t) < len(line)
		switch {
		case indented && (bytes.HasPrefix(t, []byte("nameif ")) || bytes.HasPrefix(t, []byte("security-level "))):
			score = 80
		case !indented && (bytes.HasPrefix(line, []byte("object network ")) || bytes.HasPrefix(line, []byte("object service "))):
			score = 80
		case !indented && bytes.HasPrefix(line, []byte("access-group ")) &&
			(bytes.Contains(line, []byte(" in interface ")) || bytes.Contains(line, []byte(" out interface ")) || bytes.HasSuffix(line, []byte(" global"))):
			score = 80
		case !indented && bytes.HasPrefix(line, []byte("access-list ")) &&
			(hasWord(line, "any4") || hasWord(line, "any6")):
			score = 80
		}
	}
	return score
}

func hasPrefixes(b []byte, ps ...string) bool {
	for _, p := range ps {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

func hasWord(line []byte, w string) bool {
	for off := 0; ; {
		i := bytes.Index(line[off:], []byte(w))
		if i < 0 {
			return false
		}
		i += off
		end := i + len(w)
		if (i == 0 || line[i-1] == ' ') && (end == len(line) || line[end] == ' ' || line[end] == '\r') {
			return true
		}
		off = end
	}
}

// Parse parses an ASA configuration.
func Parse(file string, data []byte) (*policy.Config, error) {
	p := newParser(file, data)
	if err := p.scan(); err != nil {
		return nil, err
	}
	if err := p.resolve(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}
