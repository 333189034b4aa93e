package render

import (
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
)

// LinuxProtoWord is the protocol's name as iptables and nft write it (a
// number when it has none they both know).
func LinuxProtoWord(p uint16) string {
	switch p {
	case policy.ProtoTCP:
		return "tcp"
	case policy.ProtoUDP:
		return "udp"
	case policy.ProtoICMP:
		return "icmp"
	case policy.ProtoICMPv6:
		return "ipv6-icmp"
	case policy.ProtoSCTP:
		return "sctp"
	case policy.ProtoDCCP:
		return "dccp"
	case policy.ProtoESP:
		return "esp"
	case policy.ProtoAH:
		return "ah"
	case policy.ProtoGRE:
		return "gre"
	}
	return strconv.Itoa(int(p))
}

// renderMark starts what the Cisco-family and ASA renderers write, so their
// output is detected as the dialect it was written for: an ASA, NX-OS or
// EOS access-list without other markers reads as IOS (and ASA netmasks as
// IOS wildcards).
const renderMark = "! fwpol render for "

// Mark is the first line of a rendering for vendor.
func Mark(vendor string) string { return renderMark + vendor + "\n" }

// MarkedVendor reads the vendor from a Mark line.
func MarkedVendor(line []byte) (string, bool) {
	if len(line) <= len(renderMark) || string(line[:len(renderMark)]) != renderMark {
		return "", false
	}
	v := line[len(renderMark):]
	for len(v) > 0 && (v[len(v)-1] == '\r' || v[len(v)-1] == ' ') {
		v = v[:len(v)-1]
	}
	return string(v), true
}

// Entries writes the ACL entries (Cisco family, ASA) of one protocol: one
// per combination of source, source port, destination, destination port
// and ICMP condition, words joined by single spaces ("" words left out).
func Entries(act, proto string, srcs, sports, dsts, dports, icmps []string, opts string) []string {
	var out []string
	for _, s := range srcs {
		for _, sp := range sports {
			for _, d := range dsts {
				for _, dp := range dports {
					for _, ic := range icmps {
						out = append(out, joinWords(act, proto, s, sp, d, dp, ic, opts))
					}
				}
			}
		}
	}
	return out
}

func joinWords(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// UniqueName returns n, or n with the lowest "_2", "_3"... suffix not in
// used, cut so the result stays within max bytes (max ≤ 0: no limit), and
// records it in used: filter names become chain/identifier names.
func UniqueName(n string, max int, used map[string]bool) string {
	base := n
	for k := 2; used[n]; k++ {
		suf := "_" + strconv.Itoa(k)
		if max > 0 && len(base)+len(suf) > max {
			n = base[:max-len(suf)] + suf
		} else {
			n = base + suf
		}
	}
	used[n] = true
	return n
}
