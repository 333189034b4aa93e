package policy

import (
	"fmt"
	"strconv"
)

// IP protocol numbers used by the model.
const (
	ProtoICMP   = 1
	ProtoIGMP   = 2
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoGRE    = 47
	ProtoESP    = 50
	ProtoAH     = 51
	ProtoICMPv6 = 58
	ProtoOSPF   = 89
	ProtoPIM    = 103
	ProtoVRRP   = 112
	ProtoSCTP   = 132
	ProtoDCCP   = 33
)

// protoNames are the IANA keywords shared by every vendor; vendor packages add
// their own aliases (Cisco "eigrp", Junos "egp", ...).
var protoNames = map[string]uint8{
	"icmp": ProtoICMP, "igmp": ProtoIGMP, "ipip": 4, "ipinip": 4, "tcp": ProtoTCP, "egp": 8,
	"udp": ProtoUDP, "rsvp": 46, "gre": ProtoGRE, "esp": ProtoESP, "ah": ProtoAH,
	"icmp6": ProtoICMPv6, "icmpv6": ProtoICMPv6, "ipv6-icmp": ProtoICMPv6,
	"eigrp": 88, "ospf": ProtoOSPF, "pim": ProtoPIM, "vrrp": ProtoVRRP, "sctp": ProtoSCTP,
	"dccp": ProtoDCCP, "l2tp": 115, "ipv6": 41, "nos": 94, "pcp": 108, "udplite": 136,
}

// ProtoNumber resolves an IANA protocol keyword or decimal number.
func ProtoNumber(s string) (uint8, error) {
	if n, ok := protoNames[s]; ok {
		return n, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("unknown protocol %q", s)
	}
	return uint8(n), nil
}

// protoKeyword is the preferred keyword per number, chosen deterministically.
var protoKeyword = func() map[uint8]string {
	m := map[uint8]string{ProtoICMPv6: "icmp6", 4: "ipip"}
	for n, v := range protoNames {
		if cur, ok := m[v]; !ok || (v != ProtoICMPv6 && v != 4 && n < cur) {
			m[v] = n
		}
	}
	return m
}()

// ProtoName is the usual keyword for a protocol number, or the number.
func ProtoName(p uint8) string {
	if n, ok := protoKeyword[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}
