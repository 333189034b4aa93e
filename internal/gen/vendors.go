package gen

import (
	"fmt"
	"math/rand"
)

type printer = func(format string, args ...any)

var protos = []string{"tcp", "tcp", "tcp", "udp"}

func junos(p printer, r *rand.Rand, name string, n, terms int, setFormat bool) {
	type term struct {
		name, src, dst, proto string
		port                  int
		action                string
	}
	ts := make([]term, terms)
	for i := range ts {
		ts[i] = term{fmt.Sprintf("t%d", i+1), externalNet(r), internalNet(r, n), protos[r.Intn(len(protos))], port(r), "accept"}
		if r.Intn(5) == 0 {
			ts[i].action = "discard"
		}
	}
	if setFormat {
		p("## Last commit: 2026-11-01 10:00:00 UTC by netops")
		p("set system host-name %s", name)
		p("set interfaces xe-0/0/0 unit 0 family inet filter input EDGE-IN")
		p("set interfaces xe-0/0/0 unit 0 family inet address 10.%d.254.1/30", n)
		p("set policy-options prefix-list MGMT 10.%d.255.0/24", n)
		p("set firewall family inet filter EDGE-IN term mgmt from source-prefix-list MGMT")
		p("set firewall family inet filter EDGE-IN term mgmt from protocol tcp")
		p("set firewall family inet filter EDGE-IN term mgmt from destination-port ssh")
		p("set firewall family inet filter EDGE-IN term mgmt then accept")
		for _, t := range ts {
			pre := "set firewall family inet filter EDGE-IN term " + t.name
			p("%s from source-address %s", pre, t.src)
			p("%s from destination-address %s", pre, t.dst)
			p("%s from protocol %s", pre, t.proto)
			p("%s from destination-port %d", pre, t.port)
			p("%s then %s", pre, t.action)
		}
		p("set firewall family inet filter EDGE-IN term default then count edge-dropped")
		p("set firewall family inet filter EDGE-IN term default then discard")
		return
	}
	p("## Last commit: 2026-11-01 10:00:00 UTC by netops")
	p("system {\n    host-name %s;\n}", name)
	p("interfaces {\n    xe-0/0/0 {\n        unit 0 {\n            family inet {\n                filter {\n                    input EDGE-IN;\n                }\n                address 10.%d.254.1/30;\n            }\n        }\n    }\n}", n)
	p("policy-options {\n    prefix-list MGMT {\n        10.%d.255.0/24;\n    }\n}", n)
	p("firewall {\n    family inet {\n        filter EDGE-IN {")
	p("            term mgmt {\n                from {\n                    source-prefix-list {\n                        MGMT;\n                    }\n                    protocol tcp;\n                    destination-port ssh;\n                }\n                then accept;\n            }")
	for _, t := range ts {
		p("            term %s {\n                from {\n                    source-address {\n                        %s;\n                    }\n                    destination-address {\n                        %s;\n                    }\n                    protocol %s;\n                    destination-port %d;\n                }\n                then %s;\n            }", t.name, t.src, t.dst, t.proto, t.port, t.action)
	}
	p("            term default {\n                then {\n                    count edge-dropped;\n                    discard;\n                }\n            }")
	p("        }\n    }\n}")
}

func cisco(p printer, r *rand.Rand, dialect, name string, n, entries int) {
	switch dialect {
	case "nxos":
		p("!Command: show running-config\nversion 9.3(8) Bios:version 05.45\nhostname %s\nfeature interface-vlan\nfeature bgp", name)
	case "eos":
		p("! Command: show running-config\n! device: %s (DCS-7280SR-48C6, EOS-4.28.3M)\n!\nhostname %s", name, name)
	default:
		p("version 17.3\nservice timestamps log datetime msec\nhostname %s", name)
	}
	p("!")
	if dialect == "ios" {
		p("object-group network MGMT-NETS\n 10.%d.255.0 255.255.255.0\n host 10.%d.254.10", n, n)
		p("!\nip access-list extended CORE-IN")
		p(" 5 permit tcp object-group MGMT-NETS any eq 22")
	} else {
		p("ip access-list CORE-IN")
		if dialect == "nxos" {
			p("  statistics per-entry")
		}
		p("  5 permit tcp 10.%d.255.0/24 any eq 22", n)
	}
	for i := 1; i <= entries; i++ {
		src, dst := internalNet(r, 1+r.Intn(4)), internalNet(r, n)
		action := "permit"
		if r.Intn(6) == 0 {
			action = "deny"
		}
		proto := protos[r.Intn(len(protos))]
		if dialect == "ios" {
			p(" %d %s %s %s %s eq %d", 10*i, action, proto, wildcardOf(src), wildcardOf(dst), port(r))
		} else {
			p("  %d %s %s %s %s eq %d", 10*i, action, proto, src, dst, port(r))
		}
	}
	if dialect == "ios" {
		p(" %d deny ip any any log", 10*(entries+1))
		p("!\ninterface Vlan10\n ip address 10.%d.10.1 255.255.255.0\n ip access-group CORE-IN in\n!\nline vty 0 4\n access-class CORE-IN in\n!\nend", n)
		return
	}
	p("  %d deny ip any any log", 10*(entries+1))
	p("!\ninterface Vlan10\n  ip address 10.%d.10.1/24\n  ip access-group CORE-IN in\n!", n)
}

func asa(p printer, r *rand.Rand, name string, n, entries int) {
	p("ASA Version 9.12(4)\n!\nhostname %s", name)
	p("interface GigabitEthernet0/0\n nameif outside\n security-level 0\n ip address 203.0.113.%d 255.255.255.0\n!", n)
	p("interface GigabitEthernet0/1\n nameif inside\n security-level 100\n ip address 10.%d.0.1 255.255.255.0\n!", n)
	p("object-group network DMZ-SERVERS")
	for i := 0; i < 20; i++ {
		p(" network-object host 10.%d.2.%d", n, i+1)
	}
	p("object-group service WEB tcp\n port-object eq https\n port-object eq www")
	p("access-list OUTSIDE-IN extended permit tcp any object-group DMZ-SERVERS object-group WEB")
	for i := 0; i < entries; i++ {
		action := "permit"
		if r.Intn(5) == 0 {
			action = "deny"
		}
		p("access-list OUTSIDE-IN extended %s %s %s %s eq %d", action, protos[r.Intn(len(protos))], netmaskOf(externalNet(r)), netmaskOf(internalNet(r, n)), port(r))
	}
	p("access-list OUTSIDE-IN extended deny ip any any log")
	p("access-group OUTSIDE-IN in interface outside")
}

func iptables(p printer, r *rand.Rand, n int, addr string, h int) {
	p("# Generated by iptables-save v1.8.9 on Sun Nov  1 10:00:00 2026")
	p("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:SSH - [0:0]")
	p("-A INPUT -i lo -j ACCEPT")
	p("-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
	p("-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT")
	p("-A INPUT -p tcp -m tcp --dport 22 -j SSH")
	p("-A INPUT -s 10.%d.0.0/16 -d %s/32 -p tcp -m multiport --dports 80,443 -j ACCEPT", n, addr)
	for i := 0; i < 8; i++ {
		p("-A INPUT -s %s -d %s/32 -p %s -m %s --dport %d -j ACCEPT", internalNet(r, 1+r.Intn(4)), addr, "tcp", "tcp", port(r))
	}
	if h%7 == 0 {
		p("-A INPUT -s %s -j DROP", externalNet(r))
	}
	p("-A INPUT -j LOG --log-prefix \"input-drop: \"")
	p("-A SSH -s 10.%d.255.0/24 -j ACCEPT", n)
	p("-A SSH -j RETURN")
	p("COMMIT")
}

func nft(p printer, r *rand.Rand, n int, addr string, h int) {
	p("table inet filter {")
	p("\tset mgmt {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.%d.255.0/24 }\n\t}", n)
	p("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;")
	p("\t\tiifname \"lo\" accept")
	p("\t\tct state established,related accept")
	p("\t\tip saddr @mgmt tcp dport 22 accept")
	p("\t\tip saddr 10.%d.0.0/16 ip daddr %s tcp dport { 80, 443 } accept", n, addr)
	for i := 0; i < 6; i++ {
		p("\t\tip saddr %s ip daddr %s tcp dport %d accept", internalNet(r, 1+r.Intn(4)), addr, port(r))
	}
	p("\t\tcounter log prefix \"input-drop: \"")
	p("\t}")
	p("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}")
	p("\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t}")
	p("}")
	_ = h
}
