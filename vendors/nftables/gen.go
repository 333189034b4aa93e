package nftables

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
)

// GenerateConfig writes a deterministic, nft-valid ruleset of about rules
// rules (an inet table with address and port sets, an input base chain that
// dispatches to regular chains of up to 100 rules, vmaps, ct state, counters
// and comments). The same (rules, seed) always gives the same bytes.
func GenerateConfig(w io.Writer, rules int, seed int64) error {
	r := rand.New(rand.NewSource(seed))
	bw := bufio.NewWriter(w)
	pr := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	addr := func() string {
		return fmt.Sprintf("10.%d.%d.%d", r.Intn(256), r.Intn(256), r.Intn(256))
	}
	prefix := func() string {
		l := 16 + r.Intn(17)
		a := r.Uint32() & ^uint32(0) << (32 - l)
		if l == 32 {
			a = r.Uint32()
		}
		return fmt.Sprintf("%d.%d.%d.%d/%d", a>>24, a>>16&255, a>>8&255, a&255, l)
	}
	pr("#!/usr/sbin/nft -f\n# generated ruleset: %d rules, seed %d\nflush ruleset\n\n", rules, seed)
	pr("table inet gen {\n")
	nsets := 1 + rules/500
	for i := 0; i < nsets; i++ {
		pr("\tset blk%d {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { ", i)
		seen := map[string]bool{}
		for j := 0; j < 20; j++ {
			a := addr()
			if seen[a] {
				continue
			}
			seen[a] = true
			if j > 0 {
				pr(", ")
			}
			pr("%s", a)
		}
		pr(" }\n\t}\n\n")
		pr("\tset svc%d {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements = { %d, %d-%d }\n\t}\n\n", i, 1000+i, 20000+i*10, 20005+i*10)
	}
	const perChain = 100
	nchains := (rules + perChain - 1) / perChain
	pr("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n")
	pr("\t\tct state established,related accept\n\t\tiifname \"lo\" accept\n")
	for c := 0; c < nchains; c++ {
		pr("\t\tip saddr 10.%d.0.0/16 jump c%d\n", c%256, c)
	}
	pr("\t}\n\n")
	left := rules
	for c := 0; c < nchains; c++ {
		pr("\tchain c%d {\n", c)
		n := min(perChain, left)
		left -= n
		for i := 0; i < n; i++ {
			verdict := [...]string{"accept", "drop", "reject", "counter accept", "counter drop"}[r.Intn(5)]
			switch r.Intn(8) {
			case 0:
				pr("\t\tip saddr %s tcp dport %d %s\n", prefix(), 1+r.Intn(65535), verdict)
			case 1:
				pr("\t\tip daddr %s udp dport { %d, %d } %s\n", prefix(), 1+r.Intn(1024), 2000+r.Intn(1000), verdict)
			case 2:
				pr("\t\tip saddr @blk%d counter drop\n", r.Intn(nsets))
			case 3:
				pr("\t\ttcp dport @svc%d ip saddr != %s %s\n", r.Intn(nsets), prefix(), verdict)
			case 4:
				pr("\t\tip saddr vmap { %s : accept, %s : drop }\n", addr(), addr())
			case 5:
				pr("\t\tiifname \"eth%d\" ip6 saddr 2001:db8:%x::/48 tcp dport %d-%d %s\n", r.Intn(4), r.Intn(65536), 1000, 1000+r.Intn(5000), verdict)
			case 6:
				pr("\t\tct state new tcp dport %d log prefix \"gen %d \" %s comment \"rule %d\"\n", 1+r.Intn(65535), c, verdict, i)
			default:
				pr("\t\tmeta l4proto icmp icmp type echo-request ip saddr %s limit rate %d/second %s\n", prefix(), 1+r.Intn(100), verdict)
			}
		}
		pr("\t}\n\n")
	}
	pr("}\n")
	return bw.Flush()
}
