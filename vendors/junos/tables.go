package junos

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// ports is Junos' own table of port keywords accepted by firewall filter
// port conditions and application definitions ("set firewall filter F term T
// from port ?" lists them).
var ports = map[string]uint16{
	"afs": 1483, "bgp": 179, "biff": 512, "bootpc": 68, "bootps": 67, "cmd": 514,
	"cvspserver": 2401, "dhcp": 67, "domain": 53, "eklogin": 2105, "ekshell": 2106,
	"exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20, "http": 80, "https": 443,
	"ident": 113, "imap": 143, "kerberos-sec": 88, "klogin": 543, "kpasswd": 761,
	"krb-prop": 754, "krbupdate": 760, "kshell": 544, "ldap": 389, "ldp": 646,
	"login": 513, "mobileip-agent": 434, "mobilip-mn": 435, "msdp": 639,
	"netbios-dgm": 138, "netbios-ns": 137, "netbios-ssn": 139, "nfsd": 2049,
	"nntp": 119, "ntalk": 518, "ntp": 123, "pop3": 110, "pptp": 1723, "printer": 515,
	"radacct": 1813, "radius": 1812, "rip": 520, "rkinit": 2108, "smtp": 25,
	"snmp": 161, "snmptrap": 162, "snpp": 444, "socks": 1080, "ssh": 22,
	"sunrpc": 111, "syslog": 514, "tacacs": 49, "tacacs-ds": 65, "talk": 517,
	"telnet": 23, "tftp": 69, "timed": 525, "who": 513, "xdmcp": 177,
	"zephyr-clt": 2103, "zephyr-hm": 2104, "zephyr-srv": 2102,
}

// icmpTypes / icmp6Types are Junos' icmp-type keywords for family inet and
// inet6 filters.
var icmpTypes = map[string]uint16{
	"echo-reply": 0, "unreachable": 3, "destination-unreachable": 3, "source-quench": 4,
	"redirect": 5, "echo-request": 8, "router-advertisement": 9, "router-solicit": 10,
	"time-exceeded": 11, "parameter-problem": 12, "timestamp": 13, "timestamp-reply": 14,
	"info-request": 15, "info-reply": 16, "mask-request": 17, "mask-reply": 18,
}

var icmp6Types = map[string]uint16{
	"destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3,
	"parameter-problem": 4, "private-experimentation-100": 100,
	"private-experimentation-101": 101, "echo-request": 128, "echo-reply": 129,
	"membership-query": 130, "membership-report": 131, "membership-termination": 132,
	"router-solicit": 133, "router-advertisement": 134, "neighbor-solicit": 135,
	"neighbor-advertisement": 136, "redirect": 137, "router-renumbering": 138,
	"node-information-request": 139, "node-information-reply": 140,
	"inverse-neighbor-discovery-solicitation": 141, "inverse-neighbor-discovery-advertisement": 142,
	"home-agent-address-discovery-request": 144, "home-agent-address-discovery-reply": 145,
	"mobile-prefix-solicitation": 146, "mobile-prefix-advertisement-reply": 147,
	"certificate-path-solicitation": 148, "certificate-path-advertisement": 149,
	"private-experimentation-200": 200, "private-experimentation-201": 201,
}

var icmpCodes = map[string]uint16{
	"network-unreachable": 0, "host-unreachable": 1, "protocol-unreachable": 2,
	"port-unreachable": 3, "fragmentation-needed": 4, "source-route-failed": 5,
	"destination-network-unknown": 6, "destination-host-unknown": 7,
	"source-host-isolated": 8, "destination-network-prohibited": 9,
	"destination-host-prohibited": 10, "network-unreachable-for-tos": 11,
	"host-unreachable-for-tos": 12, "communication-prohibited-by-filtering": 13,
	"host-precedence-violation": 14, "precedence-cutoff-in-effect": 15,
	"redirect-for-network": 0, "redirect-for-host": 1, "redirect-for-tos-and-net": 2,
	"redirect-for-tos-and-host": 3, "ttl-eq-zero-during-transit": 0,
	"ttl-eq-zero-during-reassembly": 1, "ip-header-bad": 0, "required-option-missing": 1,
}

var icmp6Codes = map[string]uint16{
	"no-route-to-destination": 0, "administratively-prohibited": 1,
	"address-unreachable": 3, "port-unreachable": 4, "hop-limit-exceeded": 0,
	"fragment-reassembly-exceeded": 1, "ip6-header-bad": 0,
	"unrecognized-next-header": 1, "unrecognized-option": 2,
}

// protocols are Junos' protocol / next-header keywords.
var protocols = map[string]uint16{
	"ah": 51, "dstopts": 60, "egp": 8, "esp": 50, "fragment": 44, "gre": 47,
	"hop-by-hop": 0, "icmp": 1, "icmp6": 58, "icmpv6": 58, "igmp": 2, "ipip": 4,
	"ipv6": 41, "no-next-header": 59, "ospf": 89, "pim": 103, "routing": 43,
	"rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "vrrp": 112, "mobility": 135,
	"l2tp": 115, "ipsec-esp": 50, "ipv6-icmp": 58,
}

// parseRange resolves "N", "NAME", "LO-HI" (numbers or names) against table,
// bounded by max.
func parseRange(s string, table map[string]uint16, max uint16, what string) (policy.Range, error) {
	if v, ok := table[s]; ok {
		return policy.Range{Lo: v, Hi: v}, nil
	}
	num := func(t string) (uint16, error) {
		if v, ok := table[t]; ok {
			return v, nil
		}
		n, err := strconv.ParseUint(t, 10, 32)
		if err != nil || n > uint64(max) {
			return 0, fmt.Errorf("unknown %s %q", what, t)
		}
		return uint16(n), nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok && lo != "" && hi != "" {
		if _, isName := table[s]; !isName {
			a, err := num(lo)
			if err != nil {
				// a hyphenated name that is not in the table
				return policy.Range{}, fmt.Errorf("unknown %s %q", what, s)
			}
			b, err := num(hi)
			if err != nil {
				return policy.Range{}, fmt.Errorf("unknown %s %q", what, s)
			}
			if a > b {
				return policy.Range{}, fmt.Errorf("bad %s range %q", what, s)
			}
			return policy.Range{Lo: a, Hi: b}, nil
		}
	}
	v, err := num(s)
	if err != nil {
		return policy.Range{}, err
	}
	return policy.Range{Lo: v, Hi: v}, nil
}

// app is one term of an application: a protocol with optional ports or
// ICMP type/code. nil fields are unconstrained.
type app struct {
	protos, sports, dports, itypes, icodes *policy.Ranges
}

func rp(r policy.Ranges) *policy.Ranges { return &r }

func tcpApp(ports ...uint16) app { return portApp(6, ports...) }
func udpApp(ports ...uint16) app { return portApp(17, ports...) }
func protoApp(p uint16) app      { return app{protos: rp(policy.Single(p))} }
func icmpApp(p, t uint16) app    { return app{protos: rp(policy.Single(p)), itypes: rp(policy.Single(t))} }
func rangeApp(p, lo, hi uint16) app {
	return app{protos: rp(policy.Single(p)), dports: rp(policy.Ranges{{Lo: lo, Hi: hi}})}
}

func portApp(p uint16, ports ...uint16) app {
	rs := make([]policy.Range, len(ports))
	for i, v := range ports {
		rs[i] = policy.Range{Lo: v, Hi: v}
	}
	return app{protos: rp(policy.Single(p)), dports: rp(policy.NewRanges(rs...))}
}

// predefined holds the junos-defaults applications real configs use, as
// shipped in "show groups junos-defaults applications".
var predefined = map[string][]app{
	"junos-aol":                      {rangeApp(6, 5190, 5193)},
	"junos-bgp":                      {tcpApp(179)},
	"junos-biff":                     {udpApp(512)},
	"junos-bootpc":                   {udpApp(68)},
	"junos-bootps":                   {udpApp(67)},
	"junos-chargen":                  {udpApp(19)},
	"junos-cvspserver":               {tcpApp(2401)},
	"junos-dhcp-client":              {udpApp(68)},
	"junos-dhcp-relay":               {udpApp(67)},
	"junos-dhcp-server":              {udpApp(67)},
	"junos-discard":                  {udpApp(9)},
	"junos-dns-tcp":                  {tcpApp(53)},
	"junos-dns-udp":                  {udpApp(53)},
	"junos-echo":                     {udpApp(7)},
	"junos-finger":                   {tcpApp(79)},
	"junos-ftp":                      {tcpApp(21)},
	"junos-ftp-data":                 {tcpApp(20)},
	"junos-gnutella":                 {rangeApp(17, 6346, 6347)},
	"junos-gopher":                   {tcpApp(70)},
	"junos-gre":                      {protoApp(47)},
	"junos-gtp":                      {udpApp(2123), udpApp(2152), udpApp(3386)},
	"junos-http":                     {tcpApp(80)},
	"junos-http-ext":                 {tcpApp(7001)},
	"junos-https":                    {tcpApp(443)},
	"junos-icmp-all":                 {protoApp(1)},
	"junos-icmp-ping":                {icmpApp(1, 8)},
	"junos-icmp6-all":                {protoApp(58)},
	"junos-icmp6-echo-request":       {icmpApp(58, 128)},
	"junos-icmp6-echo-reply":         {icmpApp(58, 129)},
	"junos-ident":                    {tcpApp(113)},
	"junos-ike":                      {udpApp(500)},
	"junos-ike-nat":                  {udpApp(4500)},
	"junos-imap":                     {tcpApp(143)},
	"junos-imaps":                    {tcpApp(993)},
	"junos-internet-locator-service": {tcpApp(389)},
	"junos-irc":                      {rangeApp(6, 6660, 6669)},
	"junos-l2tp":                     {udpApp(1701)},
	"junos-ldap":                     {tcpApp(389)},
	"junos-ldp-tcp":                  {tcpApp(646)},
	"junos-ldp-udp":                  {udpApp(646)},
	"junos-lpr":                      {tcpApp(515)},
	"junos-mail":                     {tcpApp(25)},
	"junos-mgcp-ca":                  {udpApp(2727)},
	"junos-mgcp-ua":                  {udpApp(2427)},
	"junos-ms-rpc-tcp":               {tcpApp(135)},
	"junos-ms-rpc-udp":               {udpApp(135)},
	"junos-ms-sql":                   {tcpApp(1433)},
	"junos-msn":                      {tcpApp(1863)},
	"junos-nbds":                     {udpApp(138)},
	"junos-nbname":                   {udpApp(137)},
	"junos-netbios-session":          {tcpApp(139)},
	"junos-nfs":                      {udpApp(2049)},
	"junos-nfsd-tcp":                 {tcpApp(2049)},
	"junos-nfsd-udp":                 {udpApp(2049)},
	"junos-nntp":                     {tcpApp(119)},
	"junos-ns-global":                {tcpApp(15397)},
	"junos-ns-global-pro":            {tcpApp(15397)},
	"junos-nsm":                      {udpApp(69)},
	"junos-ntalk":                    {udpApp(518)},
	"junos-ntp":                      {udpApp(123)},
	"junos-ospf":                     {protoApp(89)},
	"junos-pc-anywhere":              {udpApp(5632)},
	"junos-ping":                     {icmpApp(1, 8)},
	"junos-pingv6":                   {icmpApp(58, 128)},
	"junos-pop3":                     {tcpApp(110)},
	"junos-pptp":                     {tcpApp(1723)},
	"junos-printer":                  {tcpApp(515)},
	"junos-r2cp":                     {udpApp(28672)},
	"junos-radacct":                  {udpApp(1813)},
	"junos-radius":                   {udpApp(1812)},
	"junos-realaudio":                {tcpApp(554)},
	"junos-rip":                      {udpApp(520)},
	"junos-rsh":                      {tcpApp(514)},
	"junos-rtsp":                     {tcpApp(554)},
	"junos-sccp":                     {tcpApp(2000)},
	"junos-sctp-any":                 {protoApp(132)},
	"junos-sip":                      {udpApp(5060), tcpApp(5060)},
	"junos-smb":                      {tcpApp(139), tcpApp(445)},
	"junos-smb-session":              {tcpApp(445)},
	"junos-smtp":                     {tcpApp(25)},
	"junos-smtps":                    {tcpApp(465)},
	"junos-snmp-agentx":              {tcpApp(705)},
	"junos-snmp-get":                 {udpApp(161)},
	"junos-snmp-get-next":            {udpApp(161)},
	"junos-snmp-response":            {udpApp(161)},
	"junos-snmp-trap":                {udpApp(162)},
	"junos-snpp":                     {tcpApp(444)},
	"junos-sql-monitor":              {udpApp(1434)},
	"junos-sqlnet-v1":                {tcpApp(1525)},
	"junos-sqlnet-v2":                {tcpApp(1521)},
	"junos-ssh":                      {tcpApp(22)},
	"junos-stun":                     {udpApp(3478), tcpApp(3478)},
	"junos-sun-rpc-tcp":              {tcpApp(111)},
	"junos-sun-rpc-udp":              {udpApp(111)},
	"junos-syslog":                   {udpApp(514)},
	"junos-tacacs":                   {tcpApp(49)},
	"junos-tacacs-ds":                {tcpApp(65)},
	"junos-talk":                     {udpApp(517)},
	"junos-tcp-any":                  {protoApp(6)},
	"junos-telnet":                   {tcpApp(23)},
	"junos-tftp":                     {udpApp(69)},
	"junos-udp-any":                  {protoApp(17)},
	"junos-uucp":                     {udpApp(540)},
	"junos-vdo-live":                 {udpApp(7000)},
	"junos-vnc":                      {tcpApp(5800)},
	"junos-wais":                     {tcpApp(210)},
	"junos-who":                      {udpApp(513)},
	"junos-whois":                    {tcpApp(43)},
	"junos-winframe":                 {tcpApp(1494)},
	"junos-wxcontrol":                {tcpApp(3578)},
	"junos-x-windows":                {rangeApp(6, 6000, 6063)},
	"junos-xnm-clear-text":           {tcpApp(3221)},
	"junos-xnm-ssl":                  {tcpApp(3220)},
	"junos-ymsg":                     {tcpApp(5050)},
}

// predefinedSets are the junos-defaults application-sets.
var predefinedSets = map[string][]string{
	"junos-cifs":            {"junos-netbios-session", "junos-smb-session"},
	"junos-routing-inbound": {"junos-bgp", "junos-rip", "junos-ldp-tcp", "junos-ldp-udp"},
}
