// Package blocklist is fwpol's durable incident-response blocklist: a YAML
// file kept beside the inventory (default blocklist.yaml), changed only under
// a lock with atomic writes and an append-only audit log, aggregated with
// exact range math and rendered per device through each vendor's RenderBlock.
package blocklist

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
)

// Direction says which address of a packet an entry blocks.
type Direction string

const (
	// Both drops packets from and to the range (the default).
	Both Direction = "both"
	// Src drops packets whose source is in the range.
	Src Direction = "src"
	// Dst drops packets whose destination is in the range.
	Dst Direction = "dst"
)

// ParseDirection accepts src|source, dst|destination, both ("" = both).
func ParseDirection(s string) (Direction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "both":
		return Both, nil
	case "src", "source":
		return Src, nil
	case "dst", "destination":
		return Dst, nil
	}
	return "", fmt.Errorf("bad direction %q (want src, dst or both)", s)
}

// Scope limits an entry to devices; the zero Scope is every device. As for
// the estate flags, a device is in scope when it matches every kind given
// (sites AND devices AND roles), any value within a kind.
type Scope struct {
	Sites   []string `yaml:"sites,omitempty" json:"sites,omitempty"`
	Devices []string `yaml:"devices,omitempty" json:"devices,omitempty"`
	Roles   []string `yaml:"roles,omitempty" json:"roles,omitempty"`
}

// IsAll reports whether the scope is every device.
func (s Scope) IsAll() bool { return len(s.Sites)+len(s.Devices)+len(s.Roles) == 0 }

// Filter is the scope as an inventory device filter.
func (s Scope) Filter() netdb.Filter {
	return netdb.Filter{Sites: s.Sites, Devices: s.Devices, Roles: s.Roles}
}

// Matches reports whether a device (site, name, role) is in scope.
func (s Scope) Matches(site, device, role string) bool {
	return oneOf(site, s.Sites) && oneOf(device, s.Devices) && oneOf(role, s.Roles)
}

func (s Scope) String() string {
	if s.IsAll() {
		return "all"
	}
	var parts []string
	if len(s.Sites) > 0 {
		parts = append(parts, "site="+strings.Join(s.Sites, ","))
	}
	if len(s.Devices) > 0 {
		parts = append(parts, "device="+strings.Join(s.Devices, ","))
	}
	if len(s.Roles) > 0 {
		parts = append(parts, "role="+strings.Join(s.Roles, ","))
	}
	return strings.Join(parts, " ")
}

func oneOf(v string, set []string) bool {
	if len(set) == 0 {
		return true
	}
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// Entry is one blocklist entry.
type Entry struct {
	ID        string    `json:"id"`
	Ranges    []string  `json:"ranges"`
	Reason    string    `json:"reason"`
	Ticket    string    `json:"ticket"`
	AddedBy   string    `json:"added_by"`
	AddedAt   time.Time `json:"added_at"`
	Expires   time.Time `json:"expires,omitzero"`
	Scope     Scope     `json:"scope"`
	Direction Direction `json:"direction"`
	// Source names the feed an entry was imported from, if any.
	Source string `json:"source,omitempty"`

	// Pos is where the entry starts in the file (zero for new entries).
	Pos policy.Pos `json:"-"`
	// rr are the parsed ranges, in Ranges order.
	rr []netipx.IPRange
}

// IPRanges returns the entry's ranges, parsed.
func (e *Entry) IPRanges() []netipx.IPRange { return e.rr }

// Active reports whether the entry is in force at t: it has no expiry or t
// is strictly before it (at the expiry instant the entry has expired).
func (e *Entry) Active(t time.Time) bool { return e.Expires.IsZero() || t.Before(e.Expires) }

// BlocksSrc and BlocksDst tell which addresses of a packet the entry matches.
func (e *Entry) BlocksSrc() bool { return e.Direction != Dst }
func (e *Entry) BlocksDst() bool { return e.Direction != Src }

// Set returns the entry's addresses as an exact set.
func (e *Entry) Set() *policy.AddrSet {
	var b policy.AddrSetBuilder
	for _, r := range e.rr {
		b.AddRange(r)
	}
	return b.Set()
}

// Contains reports whether ip is in one of the entry's ranges.
func (e *Entry) Contains(ip netip.Addr) bool {
	for _, r := range e.rr {
		if r.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseRange accepts an IPv4/IPv6 CIDR (host bits must be zero), an address
// range "a-b" (same family, a <= b) or a single address.
func ParseRange(s string) (netipx.IPRange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netipx.IPRange{}, fmt.Errorf("empty range")
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		from, err1 := netip.ParseAddr(strings.TrimSpace(a))
		to, err2 := netip.ParseAddr(strings.TrimSpace(b))
		if err1 != nil || err2 != nil {
			return netipx.IPRange{}, fmt.Errorf("bad address range %q (want A-B)", s)
		}
		from, to = from.Unmap(), to.Unmap()
		if from.Is4() != to.Is4() {
			return netipx.IPRange{}, fmt.Errorf("address range %q mixes IPv4 and IPv6", s)
		}
		if to.Less(from) {
			return netipx.IPRange{}, fmt.Errorf("address range %q ends before it starts", s)
		}
		if from.Zone() != "" || to.Zone() != "" {
			return netipx.IPRange{}, fmt.Errorf("address range %q has a zone", s)
		}
		return netipx.IPRangeFrom(from, to), nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netipx.IPRange{}, fmt.Errorf("bad prefix %q", s)
		}
		if p != p.Masked() {
			return netipx.IPRange{}, fmt.Errorf("prefix %q has host bits set (did you mean %s?)", s, p.Masked())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return netipx.RangeOfPrefix(p), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netipx.IPRange{}, fmt.Errorf("bad address %q (want an address, CIDR or A-B range)", s)
	}
	a = a.Unmap()
	return netipx.IPRangeFrom(a, a), nil
}

// FormatRange prints a range as a single address, a CIDR when it is one,
// else "a-b".
func FormatRange(r netipx.IPRange) string {
	if r.From() == r.To() {
		return r.From().String()
	}
	if p, ok := r.Prefix(); ok {
		return p.String()
	}
	return r.From().String() + "-" + r.To().String()
}

// rangeBits returns log2 of how many addresses r holds, rounded up, so a
// width limit can be applied to ranges that are not prefixes.
func rangeBits(r netipx.IPRange) int {
	from, to := r.From().AsSlice(), r.To().AsSlice()
	// number of addresses = to - from + 1; its bit length bounds the width.
	n := len(from)
	diff := make([]byte, n)
	borrow := 0
	for i := n - 1; i >= 0; i-- {
		d := int(to[i]) - int(from[i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		diff[i] = byte(d)
	}
	// bit length of diff (+1 for the inclusive count; exact for powers of 2
	// once we check whether diff+1 is a power of two).
	bitlen := 0
	for i, b := range diff {
		if b != 0 {
			bl := 8
			for b>>(bl-1)&1 == 0 {
				bl--
			}
			bitlen = (n-1-i)*8 + bl
			break
		}
	}
	// count = diff+1 lies in (2^(bitlen-1), 2^bitlen], so bitlen is its
	// log2 rounded up.
	return bitlen
}
