package policy

import (
	"fmt"
	"strconv"
)

// ICMP type keywords common to vendors (IANA names, iptables and Junos
// spellings). Vendor packages add their own aliases.
var icmpTypes = map[string]uint8{
	"echo-reply": 0, "unreachable": 3, "destination-unreachable": 3, "source-quench": 4,
	"redirect": 5, "echo-request": 8, "echo": 8, "router-advertisement": 9,
	"router-solicitation": 10, "time-exceeded": 11, "parameter-problem": 12,
	"timestamp-request": 13, "timestamp": 13, "timestamp-reply": 14,
	"info-request": 15, "info-reply": 16, "mask-request": 17, "mask-reply": 18,
}

var icmp6Types = map[string]uint8{
	"destination-unreachable": 1, "unreachable": 1, "packet-too-big": 2, "time-exceeded": 3,
	"parameter-problem": 4, "echo-request": 128, "echo": 128, "echo-reply": 129,
	"mld-listener-query": 130, "mld-listener-report": 131, "mld-listener-done": 132,
	"router-solicitation": 133, "router-advertisement": 134, "neighbor-solicitation": 135,
	"neighbor-advertisement": 136, "nd-router-solicit": 133, "nd-router-advert": 134,
	"nd-neighbor-solicit": 135, "nd-neighbor-advert": 136, "redirect": 137,
}

// ICMPType resolves an ICMP (v6 when v6 is true) type keyword or number.
func ICMPType(s string, v6 bool) (uint8, error) {
	m := icmpTypes
	if v6 {
		m = icmp6Types
	}
	if n, ok := m[s]; ok {
		return n, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("unknown ICMP type %q", s)
	}
	return uint8(n), nil
}

// services are IANA service names accepted wherever a user types a port.
// Vendor packages keep their own tables: names differ by vendor and protocol.
var services = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "dns": 53,
	"tftp": 69, "http": 80, "www": 80, "kerberos": 88, "pop3": 110, "ntp": 123,
	"imap": 143, "snmp": 161, "snmptrap": 162, "bgp": 179, "ldap": 389, "https": 443,
	"smb": 445, "syslog": 514, "ldaps": 636, "imaps": 993, "pop3s": 995, "mssql": 1433,
	"radius": 1812, "nfs": 2049, "mysql": 3306, "rdp": 3389, "postgresql": 5432,
	"http-alt": 8080,
}

// Port resolves a port number or IANA service name.
func Port(s string) (uint16, error) {
	if n, ok := services[s]; ok {
		return n, nil
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("unknown port %q", s)
	}
	return uint16(n), nil
}
