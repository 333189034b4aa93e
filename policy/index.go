package policy

import (
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
)

// indexMinRules is the filter length from which Decide consults a
// destination index instead of scanning every rule.
const indexMinRules = 32

// dstIndex finds, for a destination address, the rules that could match it:
// rules whose destination is a plain address set covering it, merged in
// order with rules that match any destination (any, negated, wildcard).
// Like Tailscale's packet filter it trades a little memory for skipping
// almost every rule of a long ACL.
type dstIndex struct {
	// bounds[i] starts elementary interval i; cover[i] lists, ascending, the
	// indexed rules covering it. Addresses below bounds[0] are covered by none.
	bounds []netip.Addr
	cover  [][]int32
	// always lists rules that must be checked for every destination.
	always []int32
}

type filterIndex struct {
	uses atomic.Int64
	once sync.Once
	idx  *dstIndex
}

// indexAfterUses is how many linear decisions a filter gets before Decide
// builds its index.
const indexAfterUses = 16

func buildDstIndex(rules []*Rule) *dstIndex {
	type edge struct {
		at    netip.Addr
		rule  int32
		start bool
	}
	var edges []edge
	ix := &dstIndex{}
	for i, r := range rules {
		d := &r.Match.Dst
		switch {
		case d.Any || d.Negate || len(d.Set.Wildcards()) > 0:
			ix.always = append(ix.always, int32(i))
			continue
		}
		for _, rg := range d.Set.Ranges() {
			edges = append(edges, edge{rg.From(), int32(i), true})
			if next := rg.To().Next(); next.IsValid() {
				edges = append(edges, edge{next, int32(i), false})
			}
		}
	}
	sort.Slice(edges, func(a, b int) bool { return edges[a].at.Less(edges[b].at) })
	active := map[int32]int{}
	for k := 0; k < len(edges); {
		at := edges[k].at
		for ; k < len(edges) && edges[k].at == at; k++ {
			if edges[k].start {
				active[edges[k].rule]++
			} else if active[edges[k].rule]--; active[edges[k].rule] == 0 {
				delete(active, edges[k].rule)
			}
		}
		list := make([]int32, 0, len(active))
		for r := range active {
			list = append(list, r)
		}
		sort.Slice(list, func(a, b int) bool { return list[a] < list[b] })
		ix.bounds = append(ix.bounds, at)
		ix.cover = append(ix.cover, list)
	}
	return ix
}

// covering returns, ascending, the indexed rules whose destination covers dst.
func (ix *dstIndex) covering(dst netip.Addr) []int32 {
	if i := sort.Search(len(ix.bounds), func(i int) bool { return dst.Less(ix.bounds[i]) }) - 1; i >= 0 {
		return ix.cover[i]
	}
	return nil
}
