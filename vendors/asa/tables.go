package asa

import (
	"strconv"

	"github.com/fwpol/fwpol/policy"
)

// portProto says which protocol family a port name is resolved for. ASA
// port literals are per protocol: "snmp" exists only for UDP, "ssh" only for
// TCP, "domain" for both.
type portProto uint8

const (
	ppTCP portProto = 1 << iota
	ppUDP
	ppTCPUDP = ppTCP | ppUDP
	// ppAny is used where the protocol is not a single keyword (protocol
	// object-groups, sctp): any known literal is accepted.
	ppAny portProto = 0
)

type portName struct {
	num   uint16
	proto portProto
}

// asaPorts is the ASA port literal table (ASA CLI "Ports and Protocols"
// appendix). Note the ASA-specific values that differ from IANA: radius is
// 1645, radius-acct 1646, kerberos 750, cifs 3020.
var asaPorts = map[string]portName{
	"aol": {5190, ppTCP}, "bgp": {179, ppTCP}, "biff": {512, ppUDP}, "bootpc": {68, ppUDP},
	"bootps": {67, ppUDP}, "chargen": {19, ppTCP}, "cifs": {3020, ppTCPUDP},
	"citrix-ica": {1494, ppTCP}, "cmd": {514, ppTCP}, "ctiqbe": {2748, ppTCP},
	"daytime": {13, ppTCP}, "discard": {9, ppTCPUDP}, "dnsix": {195, ppUDP},
	"domain": {53, ppTCPUDP}, "echo": {7, ppTCPUDP}, "exec": {512, ppTCP},
	"finger": {79, ppTCP}, "ftp": {21, ppTCP}, "ftp-data": {20, ppTCP}, "gopher": {70, ppTCP},
	"h323": {1720, ppTCP}, "hostname": {101, ppTCP}, "http": {80, ppTCPUDP},
	"https": {443, ppTCPUDP}, "ident": {113, ppTCP}, "imap4": {143, ppTCP}, "irc": {194, ppTCP},
	"isakmp": {500, ppUDP}, "kerberos": {750, ppTCPUDP}, "klogin": {543, ppTCP},
	"kshell": {544, ppTCP}, "ldap": {389, ppTCP}, "ldaps": {636, ppTCP}, "login": {513, ppTCP},
	"lotusnotes": {1352, ppTCP}, "lpd": {515, ppTCP}, "mobile-ip": {434, ppUDP},
	"nameserver": {42, ppUDP}, "netbios-dgm": {138, ppUDP}, "netbios-ns": {137, ppUDP},
	"netbios-ssn": {139, ppTCP}, "nfs": {2049, ppTCPUDP}, "nntp": {119, ppTCP},
	"ntp": {123, ppUDP}, "pcanywhere-data": {5631, ppTCP}, "pcanywhere-status": {5632, ppUDP},
	"pim-auto-rp": {496, ppTCPUDP}, "pop2": {109, ppTCP}, "pop3": {110, ppTCP},
	"pptp": {1723, ppTCP}, "radius": {1645, ppUDP}, "radius-acct": {1646, ppUDP},
	"rip": {520, ppUDP}, "rsh": {514, ppTCP}, "rtsp": {554, ppTCP}, "secureid-udp": {5510, ppUDP},
	"sip": {5060, ppTCPUDP}, "smtp": {25, ppTCP}, "snmp": {161, ppUDP}, "snmptrap": {162, ppUDP},
	"sqlnet": {1521, ppTCP}, "ssh": {22, ppTCP}, "sunrpc": {111, ppTCPUDP},
	"syslog": {514, ppUDP}, "tacacs": {49, ppTCPUDP}, "talk": {517, ppTCPUDP},
	"telnet": {23, ppTCP}, "tftp": {69, ppUDP}, "time": {37, ppUDP}, "uucp": {540, ppTCP},
	"vxlan": {4789, ppUDP}, "who": {513, ppUDP}, "whois": {43, ppTCP}, "www": {80, ppTCPUDP},
	"xdmcp": {177, ppUDP}, "diameter": {3868, ppTCP}, "rdp": {3389, ppTCP},
}

// lookupPort resolves a port number or an ASA port literal valid for pp.
func lookupPort(s string, pp portProto) (uint16, bool) {
	if n, ok := atoiU(s, 65535); ok {
		return uint16(n), true
	}
	p, ok := asaPorts[s]
	if !ok {
		return 0, false
	}
	// tcp-udp and "any" contexts accept a literal defined for either protocol.
	if pp == ppTCP || pp == ppUDP {
		if p.proto&pp == 0 {
			return 0, false
		}
	}
	return p.num, true
}

// asaProtocols adds the ASA protocol keywords to the IANA ones in policy.
var asaProtocols = map[string]uint8{
	"igrp": 9, "ipsec": policy.ProtoESP, "pptp": policy.ProtoGRE, "snp": 109,
	"icmp6": policy.ProtoICMPv6, "nos": 94, "pcp": 108,
}

// lookupProto resolves a protocol keyword or number; ok=false for unknown.
// "ip" is reported by the caller (any protocol).
func lookupProto(s string) (uint8, bool) {
	if n, ok := asaProtocols[s]; ok {
		return n, true
	}
	n, err := policy.ProtoNumber(s)
	return n, err == nil
}

// asaICMP is the ASA ICMP type literal table.
var asaICMP = map[string]uint8{
	"echo-reply": 0, "unreachable": 3, "source-quench": 4, "redirect": 5,
	"alternate-address": 6, "echo": 8, "router-advertisement": 9, "router-solicitation": 10,
	"time-exceeded": 11, "parameter-problem": 12, "timestamp-request": 13,
	"timestamp-reply": 14, "information-request": 15, "information-reply": 16,
	"mask-request": 17, "mask-reply": 18, "traceroute": 30, "conversion-error": 31,
	"mobile-redirect": 32,
}

// asaICMP6 is the ASA ICMPv6 type literal table.
var asaICMP6 = map[string]uint8{
	"unreachable": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4,
	"echo": 128, "echo-reply": 129, "membership-query": 130, "membership-report": 131,
	"membership-reduction": 132, "router-solicitation": 133, "router-advertisement": 134,
	"neighbor-solicitation": 135, "neighbor-advertisement": 136, "neighbor-redirect": 137,
	"router-renumbering": 138,
}

func lookupICMP(s string, v6 bool) (uint8, bool) {
	if n, ok := atoiU(s, 255); ok {
		return uint8(n), true
	}
	m := asaICMP
	if v6 {
		m = asaICMP6
	}
	n, ok := m[s]
	return n, ok
}

// atoiU parses a small decimal number no larger than max.
func atoiU(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 6 || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > max {
		return 0, false
	}
	return n, true
}
