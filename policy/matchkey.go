package policy

import (
	"encoding/binary"
	"net/netip"
)

// AppendMatchKey appends an unambiguous binary encoding of m to b: equal
// keys mean equal conditions, field by field (normalized address sets and
// ranges), so equal keys match the same packets. With names false, the
// object names a condition was built from (Refs, ServiceRefs) are left out:
// they do not change what matches. It is a cheap stand-in for comparing
// JSON encodings (rule alignment in diffs, lint memo keys, fingerprints);
// TestMatchKeyCoversMatch fails when Match gains a field.
func AppendMatchKey(b []byte, m *Match, names bool) []byte {
	b = appendAddrKey(b, &m.Src, names)
	b = appendAddrKey(b, &m.Dst, names)
	for _, r := range [...]*Ranges{m.Protocols, m.SrcPorts, m.DstPorts, m.ICMPTypes, m.ICMPCodes} {
		if r == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(*r)))
		for _, x := range *r {
			b = binary.AppendUvarint(b, uint64(x.Lo))
			b = binary.AppendUvarint(b, uint64(x.Hi))
		}
	}
	b = appendKeyStr(b, m.InIface)
	b = appendKeyStr(b, m.OutIface)
	b = append(b, flags(m.NegInIface, m.NegOutIface, m.TCPEstablished, m.NotInitial))
	b = appendKeyStr(b, m.TCPFlags)
	b = appendKeyStr(b, m.Fragment)
	b = appendKeyStrs(b, m.CtStates)
	if names {
		b = appendKeyStrs(b, m.ServiceRefs)
	}
	return appendKeyStrs(b, m.Unresolved)
}

// AppendRuleKey appends the key of what evaluation reads of r: action,
// target, inactive flag and match (not its name, position or extras).
func AppendRuleKey(b []byte, r *Rule, names bool) []byte {
	b = append(b, byte(r.Action), flags(r.Inactive))
	b = appendKeyStr(b, r.Target)
	return AppendMatchKey(b, &r.Match, names)
}

func appendAddrKey(b []byte, a *AddrMatch, names bool) []byte {
	b = append(b, flags(a.Any, a.Negate, a.Set != nil))
	if names {
		b = appendKeyStrs(b, a.Refs)
	}
	b = appendKeyStrs(b, a.Unresolved)
	if a.Set == nil {
		return b
	}
	rs := a.Set.Ranges()
	b = binary.AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = appendKeyAddr(b, r.From())
		b = appendKeyAddr(b, r.To())
	}
	ws := a.Set.Wildcards()
	b = binary.AppendUvarint(b, uint64(len(ws)))
	for _, w := range ws {
		b = appendKeyAddr(b, w.Addr)
		b = appendKeyAddr(b, w.Mask)
	}
	return b
}

func appendKeyAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		x := a.As4()
		return append(append(b, 4), x[:]...)
	}
	x := a.As16()
	return append(append(b, 16), x[:]...)
}

func appendKeyStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendKeyStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendKeyStr(b, s)
	}
	return b
}

func flags(bs ...bool) byte {
	var f byte
	for i, v := range bs {
		if v {
			f |= 1 << i
		}
	}
	return f
}

// RuleKeyIDs numbers rules by content (AppendRuleKey): rules of any of the
// lists get the same number exactly when their keys are equal, so lists
// can be aligned by content (AlignSeqs).
func RuleKeyIDs(names bool, lists ...[]*Rule) [][]int32 {
	ids := map[string]int32{}
	var key []byte
	out := make([][]int32, len(lists))
	for k, rs := range lists {
		out[k] = make([]int32, len(rs))
		for i, r := range rs {
			key = AppendRuleKey(key[:0], r, names)
			id, ok := ids[string(key)]
			if !ok {
				id = int32(len(ids))
				ids[string(key)] = id
			}
			out[k][i] = id
		}
	}
	return out
}
