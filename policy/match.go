package policy

import "strings"

// Match is the condition part of a rule. Every set field is ANDed; a nil
// pointer field is unconstrained.
type Match struct {
	Src AddrMatch `json:"src"`
	Dst AddrMatch `json:"dst"`
	// Protocols holds IP protocol numbers (IPv6 next-header). nil = any.
	Protocols *Ranges `json:"protocols,omitempty"`
	// SrcPorts/DstPorts apply to port-carrying protocols only (tcp, udp,
	// sctp, dccp): a flow of another protocol never matches a port condition.
	SrcPorts *Ranges `json:"src_ports,omitempty"`
	DstPorts *Ranges `json:"dst_ports,omitempty"`
	// ICMPTypes/ICMPCodes apply to ICMP and ICMPv6 flows only.
	ICMPTypes *Ranges `json:"icmp_types,omitempty"`
	ICMPCodes *Ranges `json:"icmp_codes,omitempty"`
	// InIface/OutIface are interface names, with iptables' trailing "+"
	// wildcard. A flow that names no interface matches only rules without an
	// interface condition.
	InIface     string `json:"in_iface,omitempty"`
	OutIface    string `json:"out_iface,omitempty"`
	NegInIface  bool   `json:"neg_in_iface,omitempty"`
	NegOutIface bool   `json:"neg_out_iface,omitempty"`

	// Stateful and fragment conditions, kept verbatim for rendering.
	TCPEstablished bool     `json:"tcp_established,omitempty"`
	TCPFlags       string   `json:"tcp_flags,omitempty"`
	Fragment       string   `json:"fragment,omitempty"`
	CtStates       []string `json:"ct_states,omitempty"`
	// NotInitial is set by the parser when the conditions above exclude the
	// first packet of a new connection (established, ACK/RST flags,
	// ESTABLISHED/RELATED only, non-first fragments). Such a rule never
	// decides a flow.
	NotInitial bool `json:"not_initial,omitempty"`

	// ServiceRefs names service/application objects used by the rule.
	ServiceRefs []string `json:"service_refs,omitempty"`
	// Unresolved lists references outside the address fields that could not
	// be resolved; an unresolved service matches nothing.
	Unresolved []string `json:"unresolved,omitempty"`
}

// HasPorts reports whether protocol p carries TCP/UDP-style ports.
func HasPorts(p uint8) bool {
	return p == ProtoTCP || p == ProtoUDP || p == ProtoSCTP || p == ProtoDCCP
}

// IsICMP reports whether p is ICMP or ICMPv6.
func IsICMP(p uint8) bool { return p == ProtoICMP || p == ProtoICMPv6 }

// Matches reports whether the first packet of flow f satisfies m.
func (m *Match) Matches(f *Flow) bool {
	if m.NotInitial || len(m.Unresolved) > 0 {
		return false
	}
	if m.Protocols != nil && !m.Protocols.Contains(uint16(f.Proto)) {
		return false
	}
	if !m.Src.Matches(f.Src) || !m.Dst.Matches(f.Dst) {
		return false
	}
	if m.SrcPorts != nil || m.DstPorts != nil {
		if !HasPorts(f.Proto) {
			return false
		}
		if m.SrcPorts != nil && !m.SrcPorts.Contains(f.SrcPort) {
			return false
		}
		if m.DstPorts != nil && !m.DstPorts.Contains(f.DstPort) {
			return false
		}
	}
	if m.ICMPTypes != nil || m.ICMPCodes != nil {
		if !IsICMP(f.Proto) {
			return false
		}
		if m.ICMPTypes != nil && !m.ICMPTypes.Contains(uint16(f.ICMPType)) {
			return false
		}
		if m.ICMPCodes != nil && !m.ICMPCodes.Contains(uint16(f.ICMPCode)) {
			return false
		}
	}
	if m.InIface != "" && !ifaceMatches(m.InIface, f.InIface, m.NegInIface) {
		return false
	}
	if m.OutIface != "" && !ifaceMatches(m.OutIface, f.OutIface, m.NegOutIface) {
		return false
	}
	return true
}

func ifaceMatches(pattern, name string, negate bool) bool {
	if name == "" {
		return false
	}
	var in bool
	if p, ok := strings.CutSuffix(pattern, "+"); ok {
		in = strings.HasPrefix(name, p)
	} else {
		in = pattern == name
	}
	return in != negate
}
