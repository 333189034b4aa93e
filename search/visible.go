package search

import "github.com/fwpol/fwpol/policy"

// Visible is the set of packets filter f of device c can ever see: all of
// its family, except on a device with inventory addresses, whose input
// filters see only packets to those addresses and output filters only
// packets from them; a host (role "host") routes nothing, so ok is false
// for its forward filters. It is the exact counterpart of FlowIndex.
func Visible(m *policy.Manager, c *policy.Config, f *policy.Filter) (set policy.PacketSet, ok bool) {
	all := m.Universe(f.Family)
	if len(c.OwnAddrs) == 0 {
		return all, true
	}
	var b policy.AddrSetBuilder
	for _, a := range c.OwnAddrs {
		b.AddAddr(a)
	}
	own := policy.AddrMatch{Set: b.Set()}
	switch Direction(f) {
	case "input":
		return m.MatchSet(&policy.Match{Src: policy.AnyAddr(), Dst: own}, f.Family), true
	case "output":
		return m.MatchSet(&policy.Match{Src: own, Dst: policy.AnyAddr()}, f.Family), true
	case "forward":
		return all, c.Role != "host"
	}
	return all, true
}
