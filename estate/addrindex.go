package estate

import (
	"net/netip"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/internal/wire"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors/registry"
)

// The address index is a second, much smaller encoding of a cached config
// holding exactly what an address search (search.Address) reads: every
// object with addresses (kind, name, position, addresses) and, per filter
// (name, entry flag), every rule field with an address set (rule name,
// position, action, target, inactive flag, which field, negation, the
// objects it was built from, the addresses). A search decodes it instead of
// the whole config and gets the same answers.
//
// A config that another file completes at link time (iptables rules naming
// ipsets) or completes another file (a file of objects only, such as an
// ipset save) has no usable index: it is always decoded whole.

const (
	idxNone   = 0 // no usable index: decode the whole config
	idxUsable = 1

	fieldSrc = 1 << 0
	fieldDst = 1 << 1
)

// indexedField reports whether an address search can ever report m
// without --include-any: a non-any condition with an address set.
func indexedField(m *policy.AddrMatch) bool { return !m.Any && m.Set != nil }

func needsLink(c *policy.Config) bool {
	if len(c.Filters) == 0 {
		return true // a file of objects only: others resolve against it
	}
	v, ok := registry.Lookup(c.Vendor)
	if !ok || v.Link == nil {
		return false
	}
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			for _, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if len(m.Refs) > 0 || len(m.Unresolved) > 0 {
					return true
				}
			}
		}
	}
	return false
}

// effectiveFilters is c.Filters as decodeConfig rebuilds them: a later
// filter of the same name replaces the earlier one in its place.
func effectiveFilters(c *policy.Config) []*policy.Filter {
	at := make(map[string]int, len(c.Filters))
	var out []*policy.Filter
	for _, f := range c.Filters {
		if i, ok := at[f.Name]; ok {
			out[i] = f
			continue
		}
		at[f.Name] = len(out)
		out = append(out, f)
	}
	return out
}

// encodeAddrIndex writes the index. Each record starts with its address
// sets, so a search skips the records far from its query without
// allocating.
func encodeAddrIndex(c *policy.Config) []byte {
	e := &encoder{wire.Encoder{B: make([]byte, 0, 512)}}
	if needsLink(c) {
		e.B = append(e.B, idxNone)
		return e.B
	}
	e.B = append(e.B, idxUsable)
	f := c.File
	e.Str(c.Device)
	e.Str(c.Vendor)
	n := 0
	for _, o := range c.Objects {
		if o.Addrs != nil {
			n++
		}
	}
	e.Uvarint(uint64(n))
	for _, o := range c.Objects {
		if o.Addrs == nil {
			continue
		}
		e.addrSet(o.Addrs)
		e.Str(o.Kind)
		e.Str(o.Name)
		e.pos(o.Pos, f)
	}
	filters := effectiveFilters(c)
	e.Uvarint(uint64(len(filters)))
	for _, fl := range filters {
		e.Str(fl.Name)
		e.Bool(fl.Entry)
		n := 0
		for _, r := range fl.Rules {
			if indexedField(&r.Match.Src) || indexedField(&r.Match.Dst) {
				n++
			}
		}
		e.Uvarint(uint64(n))
		for _, r := range fl.Rules {
			var mask byte
			if indexedField(&r.Match.Src) {
				mask |= fieldSrc
			}
			if indexedField(&r.Match.Dst) {
				mask |= fieldDst
			}
			if mask == 0 {
				continue
			}
			e.B = append(e.B, mask)
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) != 0 {
					e.addrSet(m.Set)
				}
			}
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) != 0 {
					e.Bool(m.Negate)
					e.Strs(m.Refs)
				}
			}
			e.Str(r.Name)
			e.pos(r.Pos, f)
			e.Uvarint(uint64(r.Action))
			e.Str(r.Target)
			e.Bool(r.Inactive)
		}
	}
	return e.B
}

// nearFilter decodes address sets, keeping only those that may share an
// address with a prefix (a set with symbolic wildcards always may).
type nearFilter struct {
	q       netipx.IPRange
	scratch []netipx.IPRange
}

// addrSet reads an encoded set and returns it when it may meet the prefix,
// else nil. It allocates only for the sets it keeps.
func (nf *nearFilter) addrSet(d *decoder) *policy.AddrSet {
	if d.Byte() == 0 {
		return nil
	}
	n := d.Count()
	rr := nf.scratch[:0]
	near := false
	for i := 0; i < n && d.Err == nil; i++ {
		from := d.addr()
		r := netipx.IPRangeFrom(from, d.addr())
		near = near || !(r.To().Less(nf.q.From()) || nf.q.To().Less(r.From()))
		rr = append(rr, r)
	}
	nf.scratch = rr
	var ws []policy.Wildcard
	if m := d.Count(); m > 0 {
		near = true
		ws = make([]policy.Wildcard, m)
		for i := range ws {
			ws[i].Addr = d.addr()
			ws[i].Mask = d.addr()
		}
	}
	if !near || d.Err != nil {
		return nil
	}
	return policy.NewAddrSetFromRanges(append([]netipx.IPRange(nil), rr...), ws)
}

// skipStr and skipStrs pass over what a far record would have read.
func (d *decoder) skipStr() {
	n := d.Count()
	d.B = d.B[n:]
}

func (d *decoder) skipStrs() {
	n := d.Count()
	for i := 0; i < n && d.Err == nil; i++ {
		d.skipStr()
	}
}

// decodeAddrIndex rebuilds an address skeleton of a config: only the
// objects and rule fields whose addresses may meet near, with what
// search.Address reports of them. ok is false when the entry has no usable
// index.
func decodeAddrIndex(b []byte, file string, near netip.Prefix) (c *policy.Config, ok bool, err error) {
	d := &decoder{wire.Decoder{B: b}}
	if d.Byte() != idxUsable {
		return nil, false, d.Err
	}
	nf := &nearFilter{q: netipx.RangeOfPrefix(near.Masked())}
	c = &policy.Config{File: file}
	c.Device = d.Str()
	c.Vendor = d.Str()
	no := d.Count()
	for i := 0; i < no && d.Err == nil; i++ {
		s := nf.addrSet(d)
		if s == nil {
			d.skipStr()
			d.skipStr()
			d.pos(file)
			continue
		}
		o := &policy.Object{Addrs: s, Kind: d.Str(), Name: d.Str()}
		o.Pos = d.pos(file)
		c.Objects = append(c.Objects, o)
	}
	nfl := d.Count()
	var sets [2]*policy.AddrSet
	for i := 0; i < nfl && d.Err == nil; i++ {
		name, entry := d.bytes(), d.Bool()
		var fl *policy.Filter
		nr := d.Count()
		for j := 0; j < nr && d.Err == nil; j++ {
			mask := d.Byte()
			if mask&^(fieldSrc|fieldDst) != 0 {
				d.Fail()
			}
			kept := false
			for k := range sets {
				sets[k] = nil
				if mask&(1<<k) != 0 {
					sets[k] = nf.addrSet(d)
					kept = kept || sets[k] != nil
				}
			}
			if !kept {
				for k := range sets {
					if mask&(1<<k) != 0 {
						d.Bool()
						d.skipStrs()
					}
				}
				d.skipStr()
				d.pos(file)
				d.Uvarint()
				d.skipStr()
				d.Bool()
				continue
			}
			r := &policy.Rule{}
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) != 0 {
					m.Set = sets[k]
					m.Negate = d.Bool()
					m.Refs = d.Strs()
				}
			}
			r.Name = d.Str()
			r.Pos = d.pos(file)
			r.Action = policy.Action(d.Uvarint())
			r.Target = d.Str()
			r.Inactive = d.Bool()
			if fl == nil {
				fl = &policy.Filter{Name: string(name), Entry: entry}
				c.Filters = append(c.Filters, fl)
			}
			fl.Rules = append(fl.Rules, r)
		}
	}
	if d.Err == nil && len(d.B) != 0 {
		d.Fail()
	}
	if d.Err != nil {
		return nil, false, d.Err
	}
	return c, true, nil
}
