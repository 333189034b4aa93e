package asa

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
)

// GenerateConfig writes a deterministic, realistic ASA configuration with
// about rules access-list entries (spread over several ACLs), the names,
// objects and nested object-groups they use, interfaces and access-group
// bindings. Every reference it writes is defined. The same seed gives the
// same bytes.
func GenerateConfig(w io.Writer, rules int, seed int64) {
	r := rand.New(rand.NewSource(seed))
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	pf := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	pf(": Saved\n:\nASA Version 9.16(4)\n!\nhostname gen-asa-%d\nnames\n", seed)
	ifaces := []string{"outside", "inside", "dmz", "mgmt"}
	for i, n := range ifaces {
		pf("!\ninterface GigabitEthernet0/%d\n nameif %s\n security-level %d\n ip address 10.%d.0.1 255.255.0.0\n",
			i, n, 100-i*25, 200+i)
		if i == 0 {
			pf(" ipv6 address 2001:db8:%x::1/64\n", 0xf000+i)
		}
	}
	pf("!\n")
	scale := rules/40 + 4
	host := func() string {
		return fmt.Sprintf("10.%d.%d.%d", r.Intn(200), r.Intn(256), 1+r.Intn(254))
	}
	masks := []struct {
		m    string
		bits int
	}{{"255.255.255.0", 24}, {"255.255.0.0", 16}, {"255.255.255.128", 25}, {"255.255.255.240", 28}, {"255.255.252.0", 22}}
	subnet := func() string {
		m := masks[r.Intn(len(masks))]
		ip := uint32(10)<<24 | uint32(r.Intn(1<<24))
		ip &= ^uint32(0) << (32 - m.bits)
		return fmt.Sprintf("%d.%d.%d.%d %s", ip>>24, ip>>16&255, ip>>8&255, ip&255, m.m)
	}
	nNames := scale/4 + 1
	for i := 0; i < nNames; i++ {
		pf("name %s srv-%d description server %d\n", host(), i, i)
	}
	pf("!\n")
	nObj := scale
	for i := 0; i < nObj; i++ {
		pf("object network obj-%d\n", i)
		switch i % 4 {
		case 0, 1:
			pf(" host %s\n", host())
		case 2:
			pf(" subnet %s\n", subnet())
		case 3:
			a := r.Intn(200)
			pf(" range 10.%d.1.10 10.%d.1.%d\n", a, a, 20+r.Intn(200))
		}
		if i%7 == 0 {
			pf(" description object %d\n", i)
		}
	}
	tcpNames := []string{"www", "https", "ssh", "telnet", "smtp", "ftp", "ldap", "sqlnet", "imap4", "pop3", "citrix-ica", "h323"}
	udpNames := []string{"domain", "snmp", "ntp", "tftp", "bootps", "syslog", "isakmp", "radius", "netbios-ns"}
	nSvcObj := scale/4 + 1
	for i := 0; i < nSvcObj; i++ {
		pf("object service svc-%d\n", i)
		switch i % 3 {
		case 0:
			pf(" service tcp destination eq %s\n", tcpNames[r.Intn(len(tcpNames))])
		case 1:
			pf(" service udp source range 1024 65535 destination eq %s\n", udpNames[r.Intn(len(udpNames))])
		case 2:
			pf(" service icmp echo\n")
		}
	}
	pf("!\n")
	nNet := scale
	for i := 0; i < nNet; i++ {
		pf("object-group network ng-%d\n description group %d\n", i, i)
		for k, n := 0, 2+r.Intn(6); k < n; k++ {
			switch r.Intn(5) {
			case 0, 1:
				pf(" network-object host %s\n", host())
			case 2:
				pf(" network-object %s\n", subnet())
			case 3:
				pf(" network-object object obj-%d\n", r.Intn(nObj))
			case 4:
				pf(" network-object host srv-%d\n", r.Intn(nNames))
			}
		}
		if i > 0 && i%5 == 0 {
			pf(" group-object ng-%d\n", r.Intn(i))
		}
	}
	nSvc := scale/2 + 1
	for i := 0; i < nSvc; i++ {
		pf("object-group service sg-%d tcp\n", i)
		for k, n := 0, 1+r.Intn(5); k < n; k++ {
			if r.Intn(4) == 0 {
				lo := 1024 + r.Intn(30000)
				pf(" port-object range %d %d\n", lo, lo+r.Intn(100))
			} else {
				pf(" port-object eq %s\n", tcpNames[r.Intn(len(tcpNames))])
			}
		}
		if i > 0 && i%4 == 0 {
			pf(" group-object sg-%d\n", r.Intn(i))
		}
	}
	nMixed := scale/4 + 1
	for i := 0; i < nMixed; i++ {
		pf("object-group service mx-%d\n", i)
		pf(" service-object tcp destination eq %s\n", tcpNames[r.Intn(len(tcpNames))])
		pf(" service-object udp destination eq %s\n", udpNames[r.Intn(len(udpNames))])
		pf(" service-object icmp echo-reply\n")
		pf(" service-object object svc-%d\n", r.Intn(nSvcObj))
		if i%3 == 0 {
			pf(" service-object esp\n")
		}
	}
	pf("object-group protocol tunnels\n protocol-object gre\n protocol-object esp\n protocol-object ah\n")
	pf("object-group icmp-type pings\n icmp-object echo\n icmp-object echo-reply\n")
	pf("object-group icmp-type diag\n group-object pings\n icmp-object unreachable\n icmp-object time-exceeded\n")
	pf("!\ntime-range office\n periodic weekdays 08:00 to 18:00\n!\n")

	nACL := rules/2000 + 1
	if nACL > len(ifaces)*2 {
		nACL = len(ifaces) * 2
	}
	per := rules / nACL
	for a := 0; a < nACL; a++ {
		name := fmt.Sprintf("acl-%s-%d", ifaces[a%len(ifaces)], a)
		n := per
		if a == nACL-1 {
			n = rules - per*(nACL-1)
		}
		for i := 0; i < n-1; i++ {
			if r.Intn(10) == 0 {
				pf("access-list %s remark ticket CHG%06d rule %d\n", name, r.Intn(1000000), i)
			}
			pf("access-list %s extended ", name)
			act := "permit"
			if r.Intn(8) == 0 {
				act = "deny"
			}
			pf("%s ", act)
			switch r.Intn(12) {
			case 0, 1:
				pf("tcp any host %s eq %s", host(), tcpNames[r.Intn(len(tcpNames))])
			case 2:
				pf("udp %s host %s eq %s", subnet(), host(), udpNames[r.Intn(len(udpNames))])
			case 3, 4:
				pf("tcp object-group ng-%d object-group ng-%d object-group sg-%d", r.Intn(nNet), r.Intn(nNet), r.Intn(nSvc))
			case 5:
				pf("ip host %s %s", host(), subnet())
			case 6:
				pf("object-group mx-%d any object obj-%d", r.Intn(nMixed), r.Intn(nObj))
			case 7:
				if r.Intn(2) == 0 {
					pf("icmp any4 any4 echo")
				} else {
					pf("icmp any object-group ng-%d object-group diag", r.Intn(nNet))
				}
			case 8:
				pf("tcp any6 2001:db8:%x::/64 eq https", r.Intn(0xffff))
			case 9:
				lo := 1024 + r.Intn(50000)
				pf("tcp any host srv-%d range %d %d", r.Intn(nNames), lo, lo+r.Intn(500))
			case 10:
				pf("object svc-%d object-group ng-%d any", r.Intn(nSvcObj), r.Intn(nNet))
			case 11:
				pf("object-group tunnels any interface %s", ifaces[0])
			}
			switch r.Intn(20) {
			case 0:
				pf(" log")
			case 1:
				pf(" log 6 interval 300")
			case 2:
				pf(" inactive")
			case 3:
				pf(" time-range office")
			}
			pf("\n")
		}
		pf("access-list %s extended deny ip any any log\n", name)
	}
	pf("!\n")
	for a := 0; a < nACL; a++ {
		dir := "in"
		if a >= len(ifaces) {
			dir = "out"
		}
		pf("access-group acl-%s-%d %s interface %s\n", ifaces[a%len(ifaces)], a, dir, ifaces[a%len(ifaces)])
	}
	pf("!\nroute outside 0.0.0.0 0.0.0.0 10.200.0.254 1\npolicy-map global_policy\n class inspection_default\n  inspect ftp\n: end\n")
}
