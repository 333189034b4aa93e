package estate

import (
	"net/netip"

	"go4.org/netipx"

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
	e := &encoder{b: make([]byte, 0, 512)}
	if needsLink(c) {
		e.b = append(e.b, idxNone)
		return e.b
	}
	e.b = append(e.b, idxUsable)
	f := c.File
	e.str(c.Device)
	e.str(c.Vendor)
	n := 0
	for _, o := range c.Objects {
		if o.Addrs != nil {
			n++
		}
	}
	e.uvarint(uint64(n))
	for _, o := range c.Objects {
		if o.Addrs == nil {
			continue
		}
		e.addrSet(o.Addrs)
		e.str(o.Kind)
		e.str(o.Name)
		e.pos(o.Pos, f)
	}
	filters := effectiveFilters(c)
	e.uvarint(uint64(len(filters)))
	for _, fl := range filters {
		e.str(fl.Name)
		e.bool(fl.Entry)
		n := 0
		for _, r := range fl.Rules {
			if indexedField(&r.Match.Src) || indexedField(&r.Match.Dst) {
				n++
			}
		}
		e.uvarint(uint64(n))
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
			e.b = append(e.b, mask)
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) != 0 {
					e.addrSet(m.Set)
				}
			}
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) != 0 {
					e.bool(m.Negate)
					e.strs(m.Refs)
				}
			}
			e.str(r.Name)
			e.pos(r.Pos, f)
			e.uvarint(uint64(r.Action))
			e.str(r.Target)
			e.bool(r.Inactive)
		}
	}
	return e.b
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
	if d.byte() == 0 {
		return nil
	}
	n := d.count()
	rr := nf.scratch[:0]
	near := false
	for i := 0; i < n && d.err == nil; i++ {
		from := d.addr()
		r := netipx.IPRangeFrom(from, d.addr())
		near = near || !(r.To().Less(nf.q.From()) || nf.q.To().Less(r.From()))
		rr = append(rr, r)
	}
	nf.scratch = rr
	var ws []policy.Wildcard
	if m := d.count(); m > 0 {
		near = true
		ws = make([]policy.Wildcard, m)
		for i := range ws {
			ws[i].Addr = d.addr()
			ws[i].Mask = d.addr()
		}
	}
	if !near || d.err != nil {
		return nil
	}
	return policy.NewAddrSetFromRanges(append([]netipx.IPRange(nil), rr...), ws)
}

// skipStr and skipStrs pass over what a far record would have read.
func (d *decoder) skipStr() {
	n := d.count()
	d.b = d.b[n:]
}

func (d *decoder) skipStrs() {
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		d.skipStr()
	}
}

// decodeAddrIndex rebuilds an address skeleton of a config: only the
// objects and rule fields whose addresses may meet near, with what
// search.Address reports of them. ok is false when the entry has no usable
// index.
func decodeAddrIndex(b []byte, file string, near netip.Prefix) (c *policy.Config, ok bool, err error) {
	d := &decoder{b: b}
	if d.byte() != idxUsable {
		return nil, false, d.err
	}
	nf := &nearFilter{q: netipx.RangeOfPrefix(near.Masked())}
	c = &policy.Config{File: file}
	c.Device = d.str()
	c.Vendor = d.str()
	no := d.count()
	for i := 0; i < no && d.err == nil; i++ {
		s := nf.addrSet(d)
		if s == nil {
			d.skipStr()
			d.skipStr()
			d.pos(file)
			continue
		}
		o := &policy.Object{Addrs: s, Kind: d.str(), Name: d.str()}
		o.Pos = d.pos(file)
		c.Objects = append(c.Objects, o)
	}
	nfl := d.count()
	var sets [2]*policy.AddrSet
	for i := 0; i < nfl && d.err == nil; i++ {
		name, entry := d.bytes(), d.bool()
		var fl *policy.Filter
		nr := d.count()
		for j := 0; j < nr && d.err == nil; j++ {
			mask := d.byte()
			if mask&^(fieldSrc|fieldDst) != 0 {
				d.fail()
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
						d.bool()
						d.skipStrs()
					}
				}
				d.skipStr()
				d.pos(file)
				d.uvarint()
				d.skipStr()
				d.bool()
				continue
			}
			r := &policy.Rule{}
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) != 0 {
					m.Set = sets[k]
					m.Negate = d.bool()
					m.Refs = d.strs()
				}
			}
			r.Name = d.str()
			r.Pos = d.pos(file)
			r.Action = policy.Action(d.uvarint())
			r.Target = d.str()
			r.Inactive = d.bool()
			if fl == nil {
				fl = &policy.Filter{Name: string(name), Entry: entry}
				c.Filters = append(c.Filters, fl)
			}
			fl.Rules = append(fl.Rules, r)
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, false, d.err
	}
	return c, true, nil
}
