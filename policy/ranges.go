package policy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Range is an inclusive interval of small integers (ports, protocol numbers,
// ICMP types and codes).
type Range struct{ Lo, Hi uint16 }

func (r Range) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Ranges is a normalized set of integers: sorted, non-overlapping, non-adjacent
// intervals. A nil *Ranges in a Match means "any"; an empty one matches nothing.
type Ranges []Range

// NewRanges normalizes rs into a Ranges.
func NewRanges(rs ...Range) Ranges {
	out := make(Ranges, 0, len(rs))
	for _, r := range rs {
		if r.Lo > r.Hi {
			r.Lo, r.Hi = r.Hi, r.Lo
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Lo < out[j].Lo })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && uint32(r.Lo) <= uint32(merged[n-1].Hi)+1 {
			if r.Hi > merged[n-1].Hi {
				merged[n-1].Hi = r.Hi
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// Single is the set holding only v.
func Single(v uint16) Ranges { return Ranges{{v, v}} }

// Contains reports whether v is in the set.
func (rs Ranges) Contains(v uint16) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Hi >= v })
	return i < len(rs) && rs[i].Lo <= v
}

// Union returns rs ∪ o.
func (rs Ranges) Union(o Ranges) Ranges {
	all := make([]Range, 0, len(rs)+len(o))
	all = append(append(all, rs...), o...)
	return NewRanges(all...)
}

// Complement returns [0,max] \ rs.
func (rs Ranges) Complement(max uint16) Ranges {
	var out Ranges
	next := uint32(0)
	for _, r := range rs {
		if uint32(r.Lo) > next {
			out = append(out, Range{uint16(next), r.Lo - 1})
		}
		next = uint32(r.Hi) + 1
	}
	if next <= uint32(max) {
		out = append(out, Range{uint16(next), max})
	}
	if out == nil {
		out = Ranges{}
	}
	return out
}

// Intersect returns rs ∩ o.
func (rs Ranges) Intersect(o Ranges) Ranges {
	out := Ranges{}
	i, j := 0, 0
	for i < len(rs) && j < len(o) {
		lo, hi := max(rs[i].Lo, o[j].Lo), min(rs[i].Hi, o[j].Hi)
		if lo <= hi {
			out = append(out, Range{lo, hi})
		}
		if rs[i].Hi < o[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// IsFull reports whether rs covers [0,max].
func (rs Ranges) IsFull(max uint16) bool {
	return len(rs) == 1 && rs[0].Lo == 0 && rs[0].Hi == max
}

func (rs Ranges) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// Strings renders each interval as "N" or "LO-HI".
func (rs Ranges) Strings() []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// Ptr returns a pointer to rs, for the optional Match fields.
func (rs Ranges) Ptr() *Ranges { return &rs }

const (
	MaxPort  = 65535
	MaxProto = 255
	MaxICMP  = 255
)

// MarshalJSON renders the set as ["80", "1024-65535"].
func (rs Ranges) MarshalJSON() ([]byte, error) { return json.Marshal(rs.Strings()) }

// MarshalYAML renders the set as ["80", "1024-65535"].
func (rs Ranges) MarshalYAML() (any, error) { return rs.Strings(), nil }
