package cisco

// Cisco keyword tables. Port names differ by protocol (IOS "www" and "bgp"
// are TCP-only, "snmp", "tftp", "ntp" and "bootps" UDP-only, "domain" both)
// and by dialect: NX-OS and EOS accept a superset of IOS's names.

var tcpPorts = map[string]uint16{
	"bgp": 179, "chargen": 19, "cmd": 514, "daytime": 13, "discard": 9, "domain": 53,
	"drip": 3949, "echo": 7, "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20,
	"gopher": 70, "hostname": 101, "ident": 113, "irc": 194, "klogin": 543,
	"kshell": 544, "login": 513, "lpd": 515, "msrpc": 135, "nntp": 119,
	"onep-plain": 15001, "onep-tls": 15002, "pim-auto-rp": 496, "pop2": 109,
	"pop3": 110, "smtp": 25, "sunrpc": 111, "tacacs": 49, "talk": 517, "telnet": 23,
	"time": 37, "uucp": 540, "whois": 43, "www": 80,
}

var udpPorts = map[string]uint16{
	"biff": 512, "bootpc": 68, "bootps": 67, "discard": 9, "dnsix": 195, "domain": 53,
	"echo": 7, "isakmp": 500, "mobile-ip": 434, "nameserver": 42, "netbios-dgm": 138,
	"netbios-ns": 137, "netbios-ss": 139, "non500-isakmp": 4500, "ntp": 123,
	"pim-auto-rp": 496, "rip": 520, "ripng": 521, "snmp": 161, "snmptrap": 162,
	"sunrpc": 111, "syslog": 514, "tacacs": 49, "talk": 517, "tftp": 69, "time": 37,
	"who": 513, "xdmcp": 177,
}

// Names NX-OS and EOS add (EOS documents "mlag", "bfd", "microsoft-ds" ...).
var extTCPPorts = map[string]uint16{
	"ssh": 22, "https": 443, "microsoft-ds": 445, "mlag": 4432, "ldap": 389,
	"ldaps": 636, "http": 80, "netbios-ssn": 139, "rtsp": 554, "sftp": 115,
	"imap": 143, "imap4": 143, "lotusnotes": 1352, "kerberos": 88, "radius": 1812, "rdp": 3389,
	"citrix-ica": 1494, "ctiqbe": 2748, "h323": 1720, "hostname": 101, "pptp": 1723,
	"sqlnet": 1521, "aol": 5190, "nfs": 2049,
}

var extUDPPorts = map[string]uint16{
	"bfd": 3784, "bfd-echo": 3785, "mlag": 4432, "microsoft-ds": 445, "multihop-bfd": 4784,
	"micro-bfd": 6784, "ptp-event": 319, "ptp-general": 320, "radius": 1812,
	"radius-acct": 1813, "kerberos": 88, "ldap": 389, "nfs": 2049, "rpc": 530,
	"lsp-ping": 3503, "dhcpv6-client": 546, "dhcpv6-server": 547,
	"vxlan": 4789, "secureid-udp": 5510, "sip": 5060, "snmp-trap": 162,
}

// protocols are the Cisco protocol keywords of IPv4 ACLs ("ip" means any).
var protocols = map[string]uint8{
	"ahp": 51, "ah": 51, "eigrp": 88, "esp": 50, "gre": 47, "icmp": 1, "igmp": 2,
	"igrp": 9, "ipinip": 4, "ipv4": 4, "nos": 94, "ospf": 89, "pcp": 108, "pim": 103,
	"tcp": 6, "udp": 17, "sctp": 132, "vrrp": 112, "ipsec": 50, "pptp": 47,
	"snp": 109, "nd": 77, "ipv6": 41, "icmp6": 58, "icmpv6": 58, "egp": 8, "rsvp": 46,
	"l2tp": 115, "udplite": 136,
}

// protocols6 are the keywords of IPv6 ACLs ("ipv6" means any; "icmp" is ICMPv6).
var protocols6 = map[string]uint8{
	"ahp": 51, "ah": 51, "esp": 50, "gre": 47, "icmp": 58, "icmp6": 58, "icmpv6": 58,
	"pcp": 108, "sctp": 132, "tcp": 6, "udp": 17, "ospf": 89, "pim": 103, "eigrp": 88,
	"vrrp": 112, "igmp": 2,
}

// icmpName is an ICMP message keyword: a type, and a code or -1 for any code.
type icmpName struct{ typ, code int16 }

var icmpNames = map[string]icmpName{
	"administratively-prohibited": {3, 13}, "alternate-address": {6, -1},
	"conversion-error": {31, -1}, "dod-host-prohibited": {3, 10},
	"dod-net-prohibited": {3, 9}, "echo": {8, -1}, "echo-reply": {0, -1},
	"echo-request": {8, -1}, "general-parameter-problem": {12, 0},
	"host-isolated": {3, 8}, "host-precedence-unreachable": {3, 14},
	"host-redirect": {5, 1}, "host-tos-redirect": {5, 3}, "host-tos-unreachable": {3, 12},
	"host-unknown": {3, 7}, "host-unreachable": {3, 1}, "information-reply": {16, -1},
	"information-request": {15, -1}, "mask-reply": {18, -1}, "mask-request": {17, -1},
	"mobile-redirect": {32, -1}, "net-redirect": {5, 0}, "net-tos-redirect": {5, 2},
	"net-tos-unreachable": {3, 11}, "net-unreachable": {3, 0}, "network-unknown": {3, 6},
	"no-room-for-option": {12, 2}, "option-missing": {12, 1}, "packet-too-big": {3, 4},
	"parameter-problem": {12, -1}, "port-unreachable": {3, 3},
	"precedence-unreachable": {3, 15}, "protocol-unreachable": {3, 2},
	"reassembly-timeout": {11, 1}, "redirect": {5, -1}, "router-advertisement": {9, -1},
	"router-solicitation": {10, -1}, "source-quench": {4, -1},
	"source-route-failed": {3, 5}, "time-exceeded": {11, -1}, "timestamp-reply": {14, -1},
	"timestamp-request": {13, -1}, "traceroute": {30, -1}, "ttl-exceeded": {11, 0},
	"unreachable": {3, -1}, "fragmentation-needed": {3, 4},
}

var icmp6Names = map[string]icmpName{
	"beyond-scope": {1, 2}, "destination-unreachable": {1, -1}, "unreachable": {1, -1},
	"echo-reply": {129, -1}, "echo-request": {128, -1}, "echo": {128, -1},
	"header": {4, 0}, "hop-limit": {3, 0}, "mld-query": {130, -1},
	"mld-reduction": {132, -1}, "mld-report": {131, -1}, "mldv2": {143, -1},
	"nd-na": {136, -1}, "nd-ns": {135, -1}, "next-header": {4, 1}, "no-admin": {1, 1},
	"no-route": {1, 0}, "packet-too-big": {2, -1}, "parameter-option": {4, 2},
	"parameter-problem": {4, -1}, "port-unreachable": {1, 4},
	"reassembly-timeout": {3, 1}, "redirect": {137, -1}, "renum-command": {138, 0},
	"renum-result": {138, 1}, "renum-seq-number": {138, 255},
	"router-advertisement": {134, -1}, "router-renumbering": {138, -1},
	"router-solicitation": {133, -1}, "time-exceeded": {3, -1},
	"neighbor-advertisement": {136, -1}, "neighbor-solicitation": {135, -1},
}

// unmodelled are match keywords that take one argument and narrow the match
// on header fields the flow model has no notion of (DSCP, TTL ...). They are
// kept in Extras.Vendor and reported: the rule is evaluated as if the
// condition held.
var unmodelled1 = map[string]bool{
	"dscp": true, "precedence": true, "tos": true, "option": true,
	"flow-label": true, "routing-type": true, "vlan": true, "udf": true,
	"http-method": true, "nve": true, "set-erspan-gre-proto": true, "set-erspan-dscp": true,
}

// unmodelled0 are argument-less narrowing keywords (IPv6 extension headers ...).
var unmodelled0 = map[string]bool{
	"routing": true, "dest-option": true, "hbh": true, "mobility": true,
	"undetermined-transport": true, "auth": true, "capture": true, "nsh": true,
}
