package cisco

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
)

var genTCPNames = []string{"www", "bgp", "telnet", "smtp", "domain", "443", "22", "8080", "ftp"}
var genUDPNames = []string{"domain", "snmp", "ntp", "tftp", "bootps", "syslog", "514", "1812"}

// GenerateConfig writes a deterministic IOS router configuration with about
// rules access-list entries spread over named and numbered ACLs, with
// object-groups, interface bindings and the usual non-firewall sections.
// The same seed always yields the same bytes.
func GenerateConfig(w io.Writer, rules int, seed int64) error {
	return generate(w, rules, seed, dIOS)
}

// GenerateNXOSConfig writes a deterministic NX-OS configuration (CIDR,
// sequence-numbered entries, addrgroup/portgroup objects).
func GenerateNXOSConfig(w io.Writer, rules int, seed int64) error {
	return generate(w, rules, seed, dNXOS)
}

func generate(out io.Writer, rules int, seed int64, d dialect) error {
	r := rand.New(rand.NewSource(seed))
	w := bufio.NewWriterSize(out, 64<<10)
	// Estates reuse their servers and subnets across many entries: draw
	// addresses from a fixed pool sized to the config.
	pool := make([]string, 256+rules/10)
	for i := range pool {
		pool[i] = fmt.Sprintf("10.%d.%d.%d", r.Intn(64), r.Intn(256), 1+r.Intn(254))
	}
	host := func() string { return pool[r.Intn(len(pool))] }
	indent := " "
	if d == dNXOS {
		indent = "  "
		fmt.Fprintf(w, "!Command: show running-config\n!Time: Mon Jan  1 00:00:00 2024\n\nversion 9.3(5)\nhostname gen-nxos-%d\nfeature bgp\n\n", seed)
	} else {
		fmt.Fprintf(w, "!\nversion 15.2\nservice timestamps debug datetime msec\nhostname gen-ios-%d\n!\nbanner motd ^C\nGenerated configuration %d\n^C\n!\n", seed, seed)
	}
	groups := 1 + rules/200
	for g := 0; g < groups; g++ {
		if d == dNXOS {
			fmt.Fprintf(w, "object-group ip address NET-%d\n", g)
			for i := 0; i < 4; i++ {
				fmt.Fprintf(w, "%s%d host %s\n", indent, (i+1)*10, host())
			}
			fmt.Fprintf(w, "%s50 10.%d.%d.0/24\n", indent, r.Intn(64), r.Intn(256))
			fmt.Fprintf(w, "object-group ip port PORTS-%d\n%s10 eq %d\n%s20 range %d %d\n", g, indent, 1+r.Intn(1024), indent, 2000+g, 3000+g)
		} else {
			fmt.Fprintf(w, "object-group network NET-%d\n", g)
			for i := 0; i < 4; i++ {
				fmt.Fprintf(w, " host %s\n", host())
			}
			fmt.Fprintf(w, " 10.%d.%d.0 255.255.255.0\n!\n", r.Intn(64), r.Intn(256))
			fmt.Fprintf(w, "object-group service SVC-%d\n tcp eq www\n tcp eq %d\n udp eq domain\n icmp echo\n!\n", g, 1+r.Intn(65000))
		}
	}
	acls := 1 + rules/500
	per := rules / acls
	if per == 0 {
		per = 1
	}
	n := 0
	for a := 0; a < acls && n < rules; a++ {
		numbered := d == dIOS && a%4 == 3
		name := fmt.Sprintf("ACL-%d", a)
		if numbered {
			name = fmt.Sprint(100 + a%100)
			fmt.Fprintf(w, "no access-list %s\n", name)
		} else if d == dNXOS {
			fmt.Fprintf(w, "ip access-list %s\n%sstatistics per-entry\n", name, indent)
		} else {
			fmt.Fprintf(w, "ip access-list extended %s\n", name)
		}
		for i := 0; i < per && n < rules; i++ {
			n++
			prefix := indent
			if numbered {
				prefix = "access-list " + name + " "
			} else if d == dNXOS {
				prefix = fmt.Sprintf("%s%d ", indent, (i+1)*10)
			}
			act := "permit"
			if r.Intn(5) == 0 {
				act = "deny"
			}
			src := genAddr(r, d, host)
			dst := genAddr(r, d, host)
			switch k := r.Intn(12); {
			case k < 5:
				fmt.Fprintf(w, "%s%s tcp %s %s eq %s\n", prefix, act, src, dst, genTCPNames[r.Intn(len(genTCPNames))])
			case k < 7:
				fmt.Fprintf(w, "%s%s udp %s range %d %d %s eq %s\n", prefix, act, src, 1024+r.Intn(1000), 3000+r.Intn(1000), dst, genUDPNames[r.Intn(len(genUDPNames))])
			case k == 7:
				fmt.Fprintf(w, "%s%s icmp %s %s echo-reply\n", prefix, act, src, dst)
			case k == 8:
				fmt.Fprintf(w, "%s%s tcp any %s established\n", prefix, act, dst)
			case k == 9 && d == dNXOS:
				fmt.Fprintf(w, "%s%s tcp %s addrgroup NET-%d portgroup PORTS-%d log\n", prefix, act, src, r.Intn(groups), r.Intn(groups))
			case k == 9 && !numbered:
				fmt.Fprintf(w, "%s%s object-group SVC-%d %s object-group NET-%d log\n", prefix, act, r.Intn(groups), src, r.Intn(groups))
			case k == 10 && !numbered && d == dIOS:
				fmt.Fprintf(w, "%sremark generated entry %d\n", prefix, n)
				fmt.Fprintf(w, "%s%s ip %s %s\n", prefix, act, src, dst)
			default:
				fmt.Fprintf(w, "%s%s ip %s %s log\n", prefix, act, src, dst)
			}
		}
		if d == dIOS && !numbered {
			fmt.Fprintf(w, "!\n")
		}
	}
	for a := 0; a < acls; a++ {
		name := fmt.Sprintf("ACL-%d", a)
		if d == dIOS && a%4 == 3 {
			name = fmt.Sprint(100 + a%100)
		}
		fmt.Fprintf(w, "interface Ethernet1/%d\n%sdescription generated\n%sip access-group %s in\n%sno shutdown\n", a, indent, indent, name, indent)
		if d == dIOS {
			fmt.Fprintf(w, "!\n")
		}
	}
	if d == dIOS {
		fmt.Fprintf(w, "router ospf 1\n network 10.0.0.0 0.255.255.255 area 0\n!\nline vty 0 4\n access-class ACL-0 in\n!\nend\n")
	}
	return w.Flush()
}

func genAddr(r *rand.Rand, d dialect, host func() string) string {
	switch r.Intn(4) {
	case 0:
		return "any"
	case 1:
		return "host " + host()
	}
	// subnets come from a pool of a few hundred
	k := r.Intn(320)
	h := uint32(k)*2654435761 + 12345
	a, b, m := int(h>>8)%64, int(h>>16)%256, int(h>>4)%4
	if d == dNXOS {
		return fmt.Sprintf("10.%d.%d.0/%d", a, b, 22+m)
	}
	if k%100 == 7 {
		// a non-contiguous wildcard: every even address of a /24
		return fmt.Sprintf("10.%d.%d.0 0.0.0.254", a, b)
	}
	return fmt.Sprintf("10.%d.%d.0 0.0.%d.255", a, b, (1<<m)-1)
}
