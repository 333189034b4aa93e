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
		e.str(o.Kind)
		e.str(o.Name)
		e.pos(o.Pos, f)
		e.addrSet(o.Addrs)
	}
	e.uvarint(uint64(len(c.Filters)))
	for _, fl := range c.Filters {
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
			e.str(r.Name)
			e.pos(r.Pos, f)
			e.uvarint(uint64(r.Action))
			e.str(r.Target)
			e.bool(r.Inactive)
			e.b = append(e.b, mask)
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) == 0 {
					continue
				}
				e.bool(m.Negate)
				e.strs(m.Refs)
				e.addrSet(m.Set)
			}
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
		kind, name := d.str(), d.str()
		pos := d.pos(file)
		if s := nf.addrSet(d); s != nil {
			c.Objects = append(c.Objects, &policy.Object{Kind: kind, Name: name, Pos: pos, Addrs: s})
		}
	}
	nfl := d.count()
	for i := 0; i < nfl && d.err == nil; i++ {
		fl := &policy.Filter{Name: d.str(), Entry: d.bool()}
		nr := d.count()
		for j := 0; j < nr && d.err == nil; j++ {
			var r policy.Rule
			r.Name = d.str()
			r.Pos = d.pos(file)
			r.Action = policy.Action(d.uvarint())
			r.Target = d.str()
			r.Inactive = d.bool()
			mask := d.byte()
			if mask&^(fieldSrc|fieldDst) != 0 {
				d.fail()
			}
			kept := false
			for k, m := range [...]*policy.AddrMatch{&r.Match.Src, &r.Match.Dst} {
				if mask&(1<<k) == 0 {
					continue
				}
				m.Negate = d.bool()
				m.Refs = d.strs()
				if m.Set = nf.addrSet(d); m.Set != nil {
					kept = true
				}
			}
			if kept {
				fl.Rules = append(fl.Rules, &r)
			}
		}
		// same-named filters replace earlier ones, as decodeConfig does
		c.AddFilter(fl)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, false, d.err
	}
	return c, true, nil
}
