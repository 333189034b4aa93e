// Package asa parses Cisco ASA (and PIX, FWSM, FTD "advanced")
// configurations: access-lists (extended, standard, webtype, ethertype),
// names, objects, object-groups, interfaces (for the "interface NAME"
// address) and access-group bindings. Everything else (routing, crypto,
// NAT, policy-maps, banners ...) is skipped.
//
// Device semantics modelled here:
//   - ACLs are first match with an implicit deny at the end; one filter per
//     ACL name, Family Any (ASA 9.x ACLs mix IPv4 and IPv6: "any" is both
//     families, any4 only IPv4, any6 only IPv6). Before 9.0, and on PIX and
//     FWSM, "access-list" was IPv4-only and "any" means any IPv4 address;
//     the separate pre-9.0 "ipv6 access-list" is reported, not parsed.
//   - Addresses use netmasks ("10.0.0.0 255.0.0.0"), not IOS wildcards; a
//     non-contiguous mask is an error, host bits outside the mask a warning.
//   - ASA has no sequence numbers in the configuration; every ACE and every
//     remark occupies one line number ("access-list X line N", which this
//     parser also honours when inserting), so rule names are those 1-based
//     line numbers, remarks included. Remarks become the next ACE's comment.
//   - A service object, service object-group or protocol object-group in
//     protocol position is a union of (protocol, ports, icmp) alternatives.
//     A policy.Rule ANDs its fields, so the ACE becomes one rule per
//     alternative, all with the ACE's name and position (the ASA expands
//     such ACEs the same way under one line number). A protocol group is a
//     single alternative with a protocol set.
//   - Port literals are per protocol (ASA tables: "snmp" is UDP-only, "ssh"
//     TCP-only, radius is 1645, kerberos 750); a literal invalid for the
//     protocol is an error, as on the device.
//   - The ASA refuses an ACE naming an object or object-group that does not
//     exist, so such an ACE is not on the device: it is kept as a rule that
//     matches nothing, with a warning and a Config.Undefined entry. A
//     group-object naming an undefined group is likewise refused: the group
//     just lacks that member (recorded the same way).
//   - fqdn objects are resolved by DNS on the device; their addresses are
//     unknown here, so they contribute nothing (AddrMatch.Unresolved).
//   - "interface NAME" as an address is the interface's own address(es)
//     ("ip address", "ipv6 address" of the interface with that nameif);
//     DHCP/PPPoE or unknown interfaces are unresolved (match nothing).
//   - Identity-firewall and TrustSec conditions (user, user-group,
//     security-group ...) depend on run-time mappings a flow lacks; such
//     ACEs match nothing and are reported. time-range is kept in
//     Extras.TimeRange and reported; the ACE is evaluated as always active.
//   - Standard ACLs (route maps, split tunnelling) identify destinations:
//     their address is matched against the flow's destination. EtherType
//     ACLs never match IP flows (their filters are not entry filters);
//     webtype "url" entries do not match IP flows either.
//   - ASA ACLs have no stateful or fragment keywords (the ASA is stateful
//     and "established" is not an ACE option), so no ASA ACE sets
//     Match.NotInitial.
//
// Parsed rules share immutable values (port ranges, address sets, reference
// lists); callers must not modify them in place.
package asa

import (
	"bytes"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/render"
)

// Vendor is the ASA syntax.
var Vendor = vendors.Vendor{Name: "asa", Detect: Detect, Parse: Parse, Render: renderASA,
	RenderBlock: RenderBlock}

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
		if v, ok := render.MarkedVendor(line); ok {
			if v == "asa" {
				return 100
			}
			return 0
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
		case !indented && bytes.HasPrefix(line, []byte("access-list ")) && bytes.Contains(line, []byte(" 255.")) &&
			(hasWord(line, "extended") || hasWord(line, "standard")):
			// ASA's typed access-list with a netmask: IOS numbered lists
			// have no type word and carry wildcards (0.0.0.255), and would
			// read 255.255.255.0 as "any address whose last octet is 0"
			// (this wins over IOS's syntax votes)
			return 90
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
