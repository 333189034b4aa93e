package render

import (
	"strconv"

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
