package policy

import (
	"encoding/json"
	"math/bits"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"go4.org/netipx"
)

// Wildcard is a Cisco-style address/wildcard pair: bits set in Mask are
// "don't care". Non-contiguous masks (0.0.0.254 = every even address) are
// exact; they are expanded into prefixes when that takes few prefixes and kept
// as a pattern otherwise.
type Wildcard struct {
	Addr netip.Addr
	Mask netip.Addr
}

// Contains reports whether ip matches the pattern.
func (w Wildcard) Contains(ip netip.Addr) bool {
	if ip.Is4() != w.Addr.Is4() {
		return false
	}
	a, m, x := w.Addr.AsSlice(), w.Mask.AsSlice(), ip.AsSlice()
	for i := range a {
		if (a[i]^x[i])&^m[i] != 0 {
			return false
		}
	}
	return true
}

func (w Wildcard) String() string { return w.Addr.String() + " " + w.Mask.String() }

// Prefix returns the wildcard as a prefix when its mask is contiguous.
func (w Wildcard) Prefix() (netip.Prefix, bool) {
	m := w.Mask.AsSlice()
	free := 0 // trailing don't-care bits
	seenCare := false
	for i := len(m)*8 - 1; i >= 0; i-- {
		bit := m[i/8]>>(7-uint(i%8))&1 == 1
		if bit && seenCare {
			return netip.Prefix{}, false
		}
		if !bit {
			seenCare = true
		} else {
			free++
		}
	}
	return netip.PrefixFrom(w.Addr, len(m)*8-free).Masked(), true
}

// expansionSize is how many prefixes the pattern expands into.
func (w Wildcard) expansionBits() int {
	m := w.Mask.AsSlice()
	total := 0
	for _, b := range m {
		total += bits.OnesCount8(b)
	}
	// trailing ones are absorbed into the prefix length
	trailing := 0
	for i := len(m) - 1; i >= 0; i-- {
		t := bits.TrailingZeros8(^m[i])
		trailing += t
		if t < 8 {
			break
		}
	}
	return total - trailing
}

// maxWildcardExpansionBits bounds eager expansion of non-contiguous wildcards
// into prefixes (2^12 prefixes); larger patterns stay symbolic.
const maxWildcardExpansionBits = 12

// prefixes enumerates the prefixes of a pattern; call only when expansionBits is small.
func (w Wildcard) prefixes() []netip.Prefix {
	m := w.Mask.AsSlice()
	base := w.Addr.AsSlice()
	for i := range base {
		base[i] &^= m[i]
	}
	nbits := len(m) * 8
	trailing := 0
	for i := nbits - 1; i >= 0 && m[i/8]>>(7-uint(i%8))&1 == 1; i-- {
		trailing++
	}
	var free []int // bit positions (0 = MSB) that vary above the trailing run
	for i := 0; i < nbits-trailing; i++ {
		if m[i/8]>>(7-uint(i%8))&1 == 1 {
			free = append(free, i)
		}
	}
	out := make([]netip.Prefix, 0, 1<<len(free))
	for combo := 0; combo < 1<<len(free); combo++ {
		b := append([]byte(nil), base...)
		for k, pos := range free {
			if combo>>k&1 == 1 {
				b[pos/8] |= 1 << (7 - uint(pos%8))
			}
		}
		a, _ := netip.AddrFromSlice(b)
		out = append(out, netip.PrefixFrom(a, nbits-trailing))
	}
	return out
}

// AddrSet is an exact set of IPv4 and IPv6 addresses: sorted disjoint
// ranges plus symbolic wildcard patterns. It is immutable once built.
type AddrSet struct {
	rr   []netipx.IPRange
	wild []Wildcard

	ipsOnce sync.Once
	ips     *netipx.IPSet
}

// IPSet returns the contiguous part of the set.
func (s *AddrSet) IPSet() *netipx.IPSet {
	if s == nil {
		var b netipx.IPSetBuilder
		ips, _ := b.IPSet()
		return ips
	}
	s.ipsOnce.Do(func() {
		var b netipx.IPSetBuilder
		for _, r := range s.rr {
			b.AddRange(r)
		}
		s.ips, _ = b.IPSet()
	})
	return s.ips
}

// Ranges returns the contiguous part as sorted, disjoint ranges. The slice
// is shared: do not modify it.
func (s *AddrSet) Ranges() []netipx.IPRange {
	if s == nil {
		return nil
	}
	return s.rr
}

// Wildcards returns the symbolic (unexpanded) patterns.
func (s *AddrSet) Wildcards() []Wildcard {
	if s == nil {
		return nil
	}
	return s.wild
}

// NewAddrSetFromRanges rebuilds a set from the output of Ranges and
// Wildcards (e.g. read back from a cache); rr must be sorted and disjoint.
func NewAddrSetFromRanges(rr []netipx.IPRange, wild []Wildcard) *AddrSet {
	return &AddrSet{rr: rr, wild: wild}
}

// Contains reports whether ip is in the set.
func (s *AddrSet) Contains(ip netip.Addr) bool {
	if s == nil {
		return false
	}
	rr := s.rr
	i := sort.Search(len(rr), func(i int) bool { return !rr[i].To().Less(ip) })
	if i < len(rr) && !ip.Less(rr[i].From()) {
		return true
	}
	for _, w := range s.wild {
		if w.Contains(ip) {
			return true
		}
	}
	return false
}

// IsEmpty reports whether the set holds no address.
func (s *AddrSet) IsEmpty() bool {
	return s == nil || (len(s.wild) == 0 && len(s.rr) == 0)
}

// Prefixes lists the contiguous part as minimal prefixes.
func (s *AddrSet) Prefixes() []netip.Prefix { return s.IPSet().Prefixes() }

// Strings renders the set: CIDRs, then "addr wildcard" patterns.
func (s *AddrSet) Strings() []string {
	var out []string
	for _, p := range s.Prefixes() {
		out = append(out, p.String())
	}
	for _, w := range s.Wildcards() {
		out = append(out, w.String())
	}
	return out
}

func (s *AddrSet) String() string { return strings.Join(s.Strings(), ",") }

// AddrSetBuilder accumulates an AddrSet. The zero value is ready to use.
// Operations apply in order (a later add re-adds what an earlier remove
// took out). Add-only builds, by far the most common, skip netipx.
type AddrSetBuilder struct {
	ops     []rangeOp
	removes bool
	wild    []Wildcard
}

type rangeOp struct {
	r      netipx.IPRange
	remove bool
}

// Invalid (zero) inputs are ignored: parsers validate addresses first.
func (b *AddrSetBuilder) add(r netipx.IPRange, remove bool) {
	if r.IsValid() {
		b.ops = append(b.ops, rangeOp{r, remove})
		b.removes = b.removes || remove
	}
}

func (b *AddrSetBuilder) AddPrefix(p netip.Prefix) {
	if p.IsValid() {
		b.add(netipx.RangeOfPrefix(p.Masked()), false)
	}
}
func (b *AddrSetBuilder) AddAddr(a netip.Addr)      { b.add(netipx.IPRangeFrom(a, a), false) }
func (b *AddrSetBuilder) AddRange(r netipx.IPRange) { b.add(r, false) }

// AddWildcard adds a Cisco address/wildcard pattern exactly.
func (b *AddrSetBuilder) AddWildcard(w Wildcard) {
	if p, ok := w.Prefix(); ok {
		b.AddPrefix(p)
		return
	}
	if w.expansionBits() <= maxWildcardExpansionBits {
		for _, p := range w.prefixes() {
			b.AddPrefix(p)
		}
		return
	}
	b.wild = append(b.wild, w)
}

// AddSet adds every address of s.
func (b *AddrSetBuilder) AddSet(s *AddrSet) {
	if s == nil {
		return
	}
	for _, r := range s.rr {
		b.add(r, false)
	}
	b.wild = append(b.wild, s.wild...)
}

// RemovePrefix removes p from the contiguous part. Symbolic wildcard patterns
// are never combined with exclusions by any supported vendor syntax.
func (b *AddrSetBuilder) RemovePrefix(p netip.Prefix) {
	if p.IsValid() {
		b.add(netipx.RangeOfPrefix(p.Masked()), true)
	}
}

// RemoveSet removes the contiguous part of s.
func (b *AddrSetBuilder) RemoveSet(s *AddrSet) {
	if s != nil {
		for _, r := range s.rr {
			b.add(r, true)
		}
	}
}

// Set returns the built set.
func (b *AddrSetBuilder) Set() *AddrSet {
	wild := append([]Wildcard(nil), b.wild...)
	if !b.removes {
		return &AddrSet{rr: mergeRanges(b.ops), wild: wild}
	}
	var nb netipx.IPSetBuilder
	for _, op := range b.ops {
		if op.remove {
			nb.RemoveRange(op.r)
		} else {
			nb.AddRange(op.r)
		}
	}
	ips, _ := nb.IPSet() // inputs are valid: add filtered them
	return &AddrSet{rr: ips.Ranges(), wild: wild}
}

// mergeRanges sorts ranges and joins overlapping or adjacent ones.
func mergeRanges(ops []rangeOp) []netipx.IPRange {
	rr := make([]netipx.IPRange, len(ops))
	sorted := true
	for i, op := range ops {
		rr[i] = op.r
		if i > 0 && rr[i].From().Less(rr[i-1].From()) {
			sorted = false
		}
	}
	if !sorted {
		sort.Slice(rr, func(i, j int) bool { return rr[i].From().Less(rr[j].From()) })
	}
	out := rr[:0]
	for _, r := range rr {
		if n := len(out); n > 0 {
			last := out[n-1]
			if next := last.To().Next(); !last.To().Less(r.From()) || next == r.From() {
				if last.To().Less(r.To()) {
					out[n-1] = netipx.IPRangeFrom(last.From(), r.To())
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// SetOfPrefixes builds a set from prefixes.
func SetOfPrefixes(ps ...netip.Prefix) *AddrSet {
	var b AddrSetBuilder
	for _, p := range ps {
		b.AddPrefix(p)
	}
	return b.Set()
}

// MustParseSet builds a set from CIDR strings; for tests and constants.
func MustParseSet(cidrs ...string) *AddrSet {
	var b AddrSetBuilder
	for _, c := range cidrs {
		if strings.Contains(c, "/") {
			b.AddPrefix(netip.MustParsePrefix(c))
		} else {
			b.AddAddr(netip.MustParseAddr(c))
		}
	}
	return b.Set()
}

// AddrMatch is one address condition of a rule.
type AddrMatch struct {
	// Any matches every address of either family. When Any is false, Set holds
	// the addresses matched (nil or empty matches nothing).
	Any bool     `json:"any"`
	Set *AddrSet `json:"set,omitempty"`
	// Negate inverts the condition (iptables "! -s", nft "!=").
	Negate bool `json:"negate,omitempty"`
	// Refs names the objects (prefix-lists, address-books, object-groups, sets)
	// the condition was built from, for search and rendering.
	Refs []string `json:"refs,omitempty"`
	// Unresolved names references that could not be resolved (undefined
	// objects, apply-path, DNS names, unknown ipsets). They contribute no
	// addresses, so a positive match on them matches nothing.
	Unresolved []string `json:"unresolved,omitempty"`
}

// AnyAddr is the unconstrained condition.
func AnyAddr() AddrMatch { return AddrMatch{Any: true} }

// Matches reports whether ip satisfies the condition.
func (m *AddrMatch) Matches(ip netip.Addr) bool {
	in := m.Any || m.Set.Contains(ip)
	return in != m.Negate
}

// Constrained reports whether the condition restricts anything.
func (m *AddrMatch) Constrained() bool { return !m.Any || m.Negate }

// MarshalJSON renders the set as CIDR strings (and wildcard patterns).
func (s *AddrSet) MarshalJSON() ([]byte, error) { return json.Marshal(s.Strings()) }

// MarshalYAML renders the set as CIDR strings (and wildcard patterns).
func (s *AddrSet) MarshalYAML() (any, error) { return s.Strings(), nil }

// rangesOf is the contiguous part as sorted, disjoint ranges.
func (s *AddrSet) rangesOf() []netipx.IPRange { return s.rr }

// OverlapsPrefix reports whether any address of p is in the set.
func (s *AddrSet) OverlapsPrefix(p netip.Prefix) bool {
	if s == nil {
		return false
	}
	q := netipx.RangeOfPrefix(p.Masked())
	rs := s.rangesOf()
	// first range ending at or after q's start
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].To().Less(q.From()) })
	if i < len(rs) && !q.To().Less(rs[i].From()) {
		return true
	}
	for _, w := range s.wild {
		if w.overlapsPrefix(p) {
			return true
		}
	}
	return false
}

// ContainsPrefix reports whether every address of p is in the set.
func (s *AddrSet) ContainsPrefix(p netip.Prefix) bool {
	if s == nil {
		return false
	}
	q := netipx.RangeOfPrefix(p.Masked())
	rs := s.rangesOf()
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].To().Less(q.From()) })
	if i < len(rs) && !q.From().Less(rs[i].From()) && !rs[i].To().Less(q.To()) {
		return true
	}
	for _, w := range s.wild {
		if w.containsPrefix(p) {
			return true
		}
	}
	return false
}

// WithinPrefix reports whether the set is non-empty and inside p.
func (s *AddrSet) WithinPrefix(p netip.Prefix) bool {
	if s.IsEmpty() || len(s.wild) > 0 {
		return false
	}
	q := netipx.RangeOfPrefix(p.Masked())
	rs := s.rangesOf()
	return !rs[0].From().Less(q.From()) && !q.To().Less(rs[len(rs)-1].To())
}

// bitAt returns bit i (0 = most significant) of b.
func bitAt(b []byte, i int) byte { return b[i/8] >> (7 - uint(i%8)) & 1 }

// overlapsPrefix: within p's fixed bits, the pattern's cared-for bits agree.
func (w Wildcard) overlapsPrefix(p netip.Prefix) bool {
	if p.Addr().Is4() != w.Addr.Is4() {
		return false
	}
	a, m, q := w.Addr.AsSlice(), w.Mask.AsSlice(), p.Addr().AsSlice()
	for i := 0; i < p.Bits(); i++ {
		if bitAt(m, i) == 0 && bitAt(a, i) != bitAt(q, i) {
			return false
		}
	}
	return true
}

// containsPrefix: the pattern agrees on p's fixed bits and ignores the rest.
func (w Wildcard) containsPrefix(p netip.Prefix) bool {
	if !w.overlapsPrefix(p) {
		return false
	}
	m := w.Mask.AsSlice()
	for i := p.Bits(); i < len(m)*8; i++ {
		if bitAt(m, i) == 0 {
			return false
		}
	}
	return true
}
