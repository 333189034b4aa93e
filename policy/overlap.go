package policy

import "go4.org/netipx"

// MayOverlap reports whether some first packet may match both a and b. It
// errs on the side of true (negations, wildcard patterns, conditions the
// boxes do not see), so "false" is exact: the algebra's sets of a and b are
// disjoint. It costs a few comparisons where an intersection of decision
// diagrams walks both, which is why linting and intent checks ask it first.
func MayOverlap(a, b *Match) bool {
	// no first packet matches these (the algebra maps them to the empty set)
	if a.NotInitial || b.NotInitial || a.InIface != "" || a.OutIface != "" || b.InIface != "" || b.OutIface != "" {
		return false
	}
	ca, cb := protoClasses(a), protoClasses(b)
	both := ca & cb
	if both == 0 || !rangesMeet(a.Protocols, b.Protocols) {
		return false
	}
	// port (ICMP) conditions constrain every shared packet only when the
	// shared protocols all carry ports (ICMP types)
	if both == classPort && (!rangesMeet(a.DstPorts, b.DstPorts) || !rangesMeet(a.SrcPorts, b.SrcPorts)) {
		return false
	}
	if both == classICMP && (!rangesMeet(a.ICMPTypes, b.ICMPTypes) || !rangesMeet(a.ICMPCodes, b.ICMPCodes)) {
		return false
	}
	return addrsMeet(&a.Src, &b.Src) && addrsMeet(&a.Dst, &b.Dst)
}

const (
	classPort  = 1 << iota // tcp, udp, sctp, dccp
	classICMP              // icmp, icmpv6
	classOther             // every other protocol
)

// protoClasses is the set of protocol classes a match may admit.
func protoClasses(m *Match) int {
	c := 0
	if m.Protocols == nil {
		c = classPort | classICMP | classOther
	} else {
		for _, r := range *m.Protocols {
			for p := int(r.Lo); p <= int(r.Hi) && c != classPort|classICMP|classOther; p++ {
				switch {
				case HasPorts(uint8(p)):
					c |= classPort
				case IsICMP(uint8(p)):
					c |= classICMP
				default:
					c |= classOther
				}
			}
		}
	}
	if m.SrcPorts != nil || m.DstPorts != nil {
		c &= classPort
	}
	if m.ICMPTypes != nil || m.ICMPCodes != nil {
		c &= classICMP
	}
	return c
}

// MayAdmitOther reports whether m may admit a protocol that carries neither
// ports nor ICMP types.
func MayAdmitOther(m *Match) bool { return protoClasses(m)&classOther != 0 }

// MatchesNoProtocol reports whether m's protocol, port and ICMP conditions
// exclude every protocol.
func MatchesNoProtocol(m *Match) bool { return protoClasses(m) == 0 }

func rangesMeet(a, b *Ranges) bool {
	if a == nil || b == nil {
		return true
	}
	x, y := *a, *b
	for i, j := 0, 0; i < len(x) && j < len(y); {
		switch {
		case x[i].Hi < y[j].Lo:
			i++
		case y[j].Hi < x[i].Lo:
			j++
		default:
			return true
		}
	}
	return false
}

func addrsMeet(a, b *AddrMatch) bool {
	if a.Negate || b.Negate || a.Any || b.Any {
		return true
	}
	if a.Set == nil || b.Set == nil {
		return false
	}
	if len(a.Set.Wildcards()) > 0 || len(b.Set.Wildcards()) > 0 {
		return true
	}
	return ipRangesMeet(a.Set.Ranges(), b.Set.Ranges())
}

func ipRangesMeet(x, y []netipx.IPRange) bool {
	for i, j := 0, 0; i < len(x) && j < len(y); {
		switch {
		case x[i].To().Less(y[j].From()):
			i++
		case y[j].To().Less(x[i].From()):
			j++
		default:
			return true
		}
	}
	return false
}
