package iptables

import (
	"strconv"

	"github.com/fwpol/fwpol/policy"
)

// builtinChains lists the built-in chains of each table, as the kernel
// creates them.
var builtinChains = map[string][]string{
	"filter":   {"INPUT", "FORWARD", "OUTPUT"},
	"nat":      {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	"mangle":   {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	"raw":      {"PREROUTING", "OUTPUT"},
	"security": {"INPUT", "FORWARD", "OUTPUT"},
}

func isBuiltin(table, chain string) bool {
	for _, c := range builtinChains[table] {
		if c == chain {
			return true
		}
	}
	return false
}

// protocol resolves an iptables -p argument: a name from /etc/protocols, a
// number, or "all"/"0" (any). any reports the latter.
func protocol(s string) (p uint8, any bool, ok bool) {
	switch s {
	case "all", "0":
		return 0, true, true
	case "mh", "ipv6-mh":
		return 135, false, true
	case "ipv6-icmp", "icmpv6", "icmp6":
		return policy.ProtoICMPv6, false, true
	case "udplite":
		return 136, false, true
	case "ipencap":
		return 4, false, true
	}
	n, err := policy.ProtoNumber(lower(s))
	if err != nil {
		return 0, false, false
	}
	return n, false, true
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// services adds the /etc/services names iptables users commonly type to the
// shared IANA table (iptables resolves names with getservbyname).
var services = map[string]uint16{
	"echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "time": 37, "whois": 43,
	"bootps": 67, "bootpc": 68, "finger": 79, "sunrpc": 111, "auth": 113, "nntp": 119,
	"netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "microsoft-ds": 445,
	"isakmp": 500, "submission": 587, "rsync": 873, "ipsec-nat-t": 4500, "openvpn": 1194,
	"ms-sql-s": 1433, "pptp": 1723, "sip": 5060, "xmpp-client": 5222, "amqp": 5672,
	"redis": 6379, "http-alt": 8080, "webcache": 8080, "git": 9418, "domain-s": 853,
	"ldaps": 636, "kerberos": 88, "svn": 3690, "postgres": 5432, "zabbix-agent": 10050,
}

// port resolves a port number or service name.
func port(s string) (uint16, bool) {
	if s == "" {
		return 0, false
	}
	if c := s[0]; c >= '0' && c <= '9' {
		n, err := strconv.ParseUint(s, 10, 16)
		return uint16(n), err == nil
	}
	if n, ok := services[s]; ok {
		return n, true
	}
	n, err := policy.Port(s)
	return n, err == nil
}

// icmpName is a named ICMP type, with an optional code (code < 0: any code;
// type < 0: any type, the "any" keyword).
type icmpName struct{ typ, code int }

// icmp4Names are iptables' ICMP names (iptables -p icmp -h).
var icmp4Names = map[string]icmpName{
	"any": {-1, -1}, "echo-reply": {0, -1}, "pong": {0, -1},
	"destination-unreachable": {3, -1}, "network-unreachable": {3, 0}, "host-unreachable": {3, 1},
	"protocol-unreachable": {3, 2}, "port-unreachable": {3, 3}, "fragmentation-needed": {3, 4},
	"source-route-failed": {3, 5}, "network-unknown": {3, 6}, "host-unknown": {3, 7},
	"network-prohibited": {3, 9}, "host-prohibited": {3, 10}, "TOS-network-unreachable": {3, 11},
	"TOS-host-unreachable": {3, 12}, "communication-prohibited": {3, 13},
	"host-precedence-violation": {3, 14}, "precedence-cutoff": {3, 15}, "source-quench": {4, -1},
	"redirect": {5, -1}, "network-redirect": {5, 0}, "host-redirect": {5, 1},
	"TOS-network-redirect": {5, 2}, "TOS-host-redirect": {5, 3}, "echo-request": {8, -1},
	"ping": {8, -1}, "router-advertisement": {9, -1}, "router-solicitation": {10, -1},
	"time-exceeded": {11, -1}, "ttl-exceeded": {11, -1}, "ttl-zero-during-transit": {11, 0},
	"ttl-zero-during-reassembly": {11, 1}, "parameter-problem": {12, -1}, "ip-header-bad": {12, 0},
	"required-option-missing": {12, 1}, "timestamp-request": {13, -1}, "timestamp-reply": {14, -1},
	"address-mask-request": {17, -1}, "address-mask-reply": {18, -1},
}

// icmp6Names are ip6tables' ICMPv6 names (ip6tables -p icmpv6 -h).
var icmp6Names = map[string]icmpName{
	"destination-unreachable": {1, -1}, "no-route": {1, 0}, "communication-prohibited": {1, 1},
	"beyond-scope": {1, 2}, "address-unreachable": {1, 3}, "port-unreachable": {1, 4},
	"failed-policy": {1, 5}, "reject-route": {1, 6}, "packet-too-big": {2, -1},
	"time-exceeded": {3, -1}, "ttl-exceeded": {3, -1}, "ttl-zero-during-transit": {3, 0},
	"ttl-zero-during-reassembly": {3, 1}, "parameter-problem": {4, -1}, "bad-header": {4, 0},
	"unknown-header-type": {4, 1}, "unknown-option": {4, 2}, "echo-request": {128, -1},
	"ping": {128, -1}, "echo-reply": {129, -1}, "pong": {129, -1},
	"router-solicitation": {133, -1}, "router-advertisement": {134, -1},
	"neighbour-solicitation": {135, -1}, "neighbor-solicitation": {135, -1},
	"neighbour-advertisement": {136, -1}, "neighbor-advertisement": {136, -1},
	"redirect": {137, -1}, "mld-listener-query": {130, -1}, "mld-listener-report": {131, -1},
	"mld-listener-done": {132, -1},
}

// parseICMP parses an --icmp-type / --icmpv6-type argument: a name, a type
// number, or "type/code".
func parseICMP(s string, v6 bool) (icmpName, bool) {
	names := icmp4Names
	if v6 {
		names = icmp6Names
	}
	if n, ok := names[s]; ok {
		return n, true
	}
	t, c, hasCode := cut(s, '/')
	tn, err := strconv.ParseUint(t, 10, 8)
	if err != nil {
		return icmpName{}, false
	}
	if !hasCode {
		return icmpName{int(tn), -1}, true
	}
	cn, err := strconv.ParseUint(c, 10, 8)
	if err != nil {
		return icmpName{}, false
	}
	return icmpName{int(tn), int(cn)}, true
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// rejectTypes are the --reject-with values of REJECT (IPv4) and REJECT (IPv6),
// with their aliases.
var rejectTypes4 = map[string]bool{
	"icmp-net-unreachable": true, "net-unreach": true, "icmp-host-unreachable": true,
	"host-unreach": true, "icmp-port-unreachable": true, "port-unreach": true,
	"icmp-proto-unreachable": true, "proto-unreach": true, "icmp-net-prohibited": true,
	"net-prohib": true, "icmp-host-prohibited": true, "host-prohib": true,
	"icmp-admin-prohibited": true, "admin-prohib": true, "tcp-reset": true, "tcp-rst": true,
}

var rejectTypes6 = map[string]bool{
	"icmp6-no-route": true, "no-route": true, "icmp6-adm-prohibited": true,
	"adm-prohibited": true, "icmp6-addr-unreachable": true, "addr-unreach": true,
	"icmp6-port-unreachable": true, "port-unreach": true, "icmp6-policy-fail": true,
	"policy-fail": true, "icmp6-reject-route": true, "reject-route": true, "tcp-reset": true,
	"tcp-rst": true,
}

// ctStates are the conntrack states (-m conntrack --ctstate, -m state --state).
var ctStates = map[string]bool{
	"INVALID": true, "NEW": true, "ESTABLISHED": true, "RELATED": true, "UNTRACKED": true,
	"SNAT": true, "DNAT": true,
}

// tcpFlagBits are the --tcp-flags names.
var tcpFlagBits = map[string]uint8{
	"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20,
	"ECE": 0x40, "CWR": 0x80, "ALL": 0x3f, "NONE": 0,
}

// extensionTargets are target extensions that are not chains. They are kept
// (Action Next, Extras.Vendor["target"]) but not evaluated: NAT, marking and
// queueing targets do not decide a filter-table verdict here.
var extensionTargets = map[string]bool{
	"MASQUERADE": true, "SNAT": true, "DNAT": true, "REDIRECT": true, "NETMAP": true,
	"MARK": true, "CONNMARK": true, "CT": true, "NOTRACK": true, "TCPMSS": true,
	"TPROXY": true, "TOS": true, "DSCP": true, "TTL": true, "HL": true, "CLASSIFY": true,
	"NFQUEUE": true, "QUEUE": true, "AUDIT": true, "CHECKSUM": true, "SET": true,
	"TRACE": true, "ULOG": true, "SECMARK": true, "CONNSECMARK": true, "IDLETIMER": true,
	"LED": true, "TEE": true, "SYNPROXY": true, "CLUSTERIP": true, "ECN": true,
	"RATEEST": true, "HMARK": true, "TCPOPTSTRIP": true, "DNPT": true, "SNPT": true,
	"MIRROR": true, "NOP": true, "CONNLIMIT": true,
}
