package estate

import (
	"net/netip"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/internal/wire"
	"github.com/fwpol/fwpol/policy"
)

// The cache stores parsed Configs in a compact binary form that decodes far
// faster than re-parsing. Every field of the model must be encoded: the
// codec test fails when the model gains a field this file does not know.

type encoder struct{ wire.Encoder }

// pos omits the file when it is the config's own file (almost always).
func (e *encoder) pos(p policy.Pos, file string) {
	if p.File == file {
		e.B = append(e.B, 0)
	} else {
		e.B = append(e.B, 1)
		e.Str(p.File)
	}
	e.Int(p.Line)
	e.Int(p.Col)
}

func (e *encoder) addr(a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		e.B = append(append(e.B, 4), b[:]...)
	} else {
		b := a.As16()
		e.B = append(append(e.B, 16), b[:]...)
	}
}

func (e *encoder) addrSet(s *policy.AddrSet) {
	if s == nil {
		e.B = append(e.B, 0)
		return
	}
	e.B = append(e.B, 1)
	rr := s.Ranges()
	e.Uvarint(uint64(len(rr)))
	for _, r := range rr {
		e.addr(r.From())
		e.addr(r.To())
	}
	ws := s.Wildcards()
	e.Uvarint(uint64(len(ws)))
	for _, w := range ws {
		e.addr(w.Addr)
		e.addr(w.Mask)
	}
}

func (e *encoder) ranges(r *policy.Ranges) {
	if r == nil {
		e.B = append(e.B, 0)
		return
	}
	e.B = append(e.B, 1)
	e.Uvarint(uint64(len(*r)))
	for _, x := range *r {
		e.Uvarint(uint64(x.Lo))
		e.Uvarint(uint64(x.Hi))
	}
}

func (e *encoder) strMap(m map[string]string) {
	e.Uvarint(uint64(len(m)))
	for k, v := range m {
		e.Str(k)
		e.Str(v)
	}
}

func (e *encoder) addrMatch(m *policy.AddrMatch) {
	e.Bool(m.Any)
	e.addrSet(m.Set)
	e.Bool(m.Negate)
	e.Strs(m.Refs)
	e.Strs(m.Unresolved)
}

func (e *encoder) match(m *policy.Match) {
	e.addrMatch(&m.Src)
	e.addrMatch(&m.Dst)
	e.ranges(m.Protocols)
	e.ranges(m.SrcPorts)
	e.ranges(m.DstPorts)
	e.ranges(m.ICMPTypes)
	e.ranges(m.ICMPCodes)
	e.Str(m.InIface)
	e.Str(m.OutIface)
	e.Bool(m.NegInIface)
	e.Bool(m.NegOutIface)
	e.Bool(m.TCPEstablished)
	e.Str(m.TCPFlags)
	e.Str(m.Fragment)
	e.Strs(m.CtStates)
	e.Bool(m.NotInitial)
	e.Strs(m.ServiceRefs)
	e.Strs(m.Unresolved)
}

func (e *encoder) extras(x *policy.Extras) {
	e.Str(x.Count)
	e.Bool(x.Log)
	e.Str(x.Comment)
	e.Str(x.Policer)
	e.Str(x.RejectWith)
	e.Str(x.TimeRange)
	e.strMap(x.Vendor)
}

func encodeConfig(c *policy.Config) []byte {
	e := &encoder{wire.Encoder{B: make([]byte, 0, 4096)}}
	f := c.File
	e.Str(c.Device)
	e.Str(c.Site)
	e.Str(c.Role)
	e.Uvarint(uint64(len(c.OwnAddrs)))
	for _, a := range c.OwnAddrs {
		e.addr(a)
	}
	e.Str(c.Vendor)
	e.Str(c.Format)
	e.Uvarint(uint64(len(c.Filters)))
	for _, fl := range c.Filters {
		e.Str(fl.Name)
		e.Str(fl.Kind)
		e.Uvarint(uint64(fl.Family))
		e.Bool(fl.Entry)
		e.Uvarint(uint64(fl.Default))
		e.pos(fl.Pos, f)
		e.strMap(fl.Meta)
		e.Uvarint(uint64(len(fl.Rules)))
		for _, r := range fl.Rules {
			e.Str(r.Name)
			e.pos(r.Pos, f)
			e.match(&r.Match)
			e.Uvarint(uint64(r.Action))
			e.Str(r.Target)
			e.Bool(r.Inactive)
			e.extras(&r.Extras)
		}
	}
	e.Uvarint(uint64(len(c.Objects)))
	for _, o := range c.Objects {
		e.Str(o.Kind)
		e.Str(o.Name)
		e.pos(o.Pos, f)
		e.addrSet(o.Addrs)
		e.Strs(o.Members)
		e.Str(o.Unresolved)
		e.Str(o.Scope)
		e.strMap(o.Meta)
	}
	e.Uvarint(uint64(len(c.Bindings)))
	for _, b := range c.Bindings {
		e.Str(b.Filter)
		e.Str(b.Kind)
		e.Str(b.Target)
		e.Str(b.Direction)
		e.pos(b.Pos, f)
	}
	e.Uvarint(uint64(len(c.Warnings)))
	for _, w := range c.Warnings {
		e.pos(w.Pos, f)
		e.Str(w.Msg)
	}
	e.Uvarint(uint64(len(c.Undefined)))
	for _, u := range c.Undefined {
		e.Str(u.Kind)
		e.Str(u.Name)
		e.pos(u.Pos, f)
	}
	return e.B
}

// decoder reads what encoder wrote; any inconsistency sets err, and every
// read after that returns zero values, so callers check err once at the end.
type decoder struct{ wire.Decoder }

// bytes reads a string without copying it (valid while the input is).
func (d *decoder) bytes() []byte {
	n := d.Count()
	s := d.B[:n:n]
	d.B = d.B[n:]
	return s
}

func (d *decoder) pos(file string) policy.Pos {
	p := policy.Pos{File: file}
	if d.Byte() == 1 {
		p.File = d.Str()
	}
	p.Line = d.Int32()
	p.Col = d.Int32()
	return p
}

func (d *decoder) addr() netip.Addr {
	n := int(d.Byte())
	if (n != 4 && n != 16) || len(d.B) < n {
		d.Fail()
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(d.B[:n])
	d.B = d.B[n:]
	return a
}

func (d *decoder) addrSet() *policy.AddrSet {
	if d.Byte() == 0 {
		return nil
	}
	n := d.Count()
	rr := make([]netipx.IPRange, n)
	for i := range rr {
		from := d.addr()
		rr[i] = netipx.IPRangeFrom(from, d.addr())
	}
	var ws []policy.Wildcard
	if m := d.Count(); m > 0 {
		ws = make([]policy.Wildcard, m)
		for i := range ws {
			ws[i].Addr = d.addr()
			ws[i].Mask = d.addr()
		}
	}
	return policy.NewAddrSetFromRanges(rr, ws)
}

func (d *decoder) ranges() *policy.Ranges {
	if d.Byte() == 0 {
		return nil
	}
	n := d.Count()
	r := make(policy.Ranges, n)
	for i := range r {
		r[i].Lo = uint16(d.Uvarint())
		r[i].Hi = uint16(d.Uvarint())
	}
	return &r
}

func (d *decoder) strMap() map[string]string {
	n := d.Count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n; i++ {
		k := d.Str()
		m[k] = d.Str()
	}
	return m
}

func (d *decoder) addrMatch(m *policy.AddrMatch) {
	m.Any = d.Bool()
	m.Set = d.addrSet()
	m.Negate = d.Bool()
	m.Refs = d.Strs()
	m.Unresolved = d.Strs()
}

func (d *decoder) match(m *policy.Match) {
	d.addrMatch(&m.Src)
	d.addrMatch(&m.Dst)
	m.Protocols = d.ranges()
	m.SrcPorts = d.ranges()
	m.DstPorts = d.ranges()
	m.ICMPTypes = d.ranges()
	m.ICMPCodes = d.ranges()
	m.InIface = d.Str()
	m.OutIface = d.Str()
	m.NegInIface = d.Bool()
	m.NegOutIface = d.Bool()
	m.TCPEstablished = d.Bool()
	m.TCPFlags = d.Str()
	m.Fragment = d.Str()
	m.CtStates = d.Strs()
	m.NotInitial = d.Bool()
	m.ServiceRefs = d.Strs()
	m.Unresolved = d.Strs()
}

func (d *decoder) extras(x *policy.Extras) {
	x.Count = d.Str()
	x.Log = d.Bool()
	x.Comment = d.Str()
	x.Policer = d.Str()
	x.RejectWith = d.Str()
	x.TimeRange = d.Str()
	x.Vendor = d.strMap()
}

// decodeConfig rebuilds a Config parsed from file (positions in other files
// keep their own names).
func decodeConfig(b []byte, file string) (*policy.Config, error) {
	d := &decoder{wire.Decoder{B: b}}
	c := &policy.Config{File: file}
	f := file
	c.Device = d.Str()
	c.Site = d.Str()
	c.Role = d.Str()
	if n := d.Count(); n > 0 {
		c.OwnAddrs = make([]netip.Addr, n)
		for i := range c.OwnAddrs {
			c.OwnAddrs[i] = d.addr()
		}
	}
	c.Vendor = d.Str()
	c.Format = d.Str()
	nf := d.Count()
	for i := 0; i < nf && d.Err == nil; i++ {
		fl := &policy.Filter{}
		fl.Name = d.Str()
		fl.Kind = d.Str()
		fl.Family = policy.Family(d.Uvarint())
		fl.Entry = d.Bool()
		fl.Default = policy.Action(d.Uvarint())
		fl.Pos = d.pos(f)
		fl.Meta = d.strMap()
		nr := d.Count()
		// one backing array for the filter's rules: fewer allocations
		rules := make([]policy.Rule, nr)
		fl.Rules = make([]*policy.Rule, nr)
		for j := range rules {
			r := &rules[j]
			r.Name = d.Str()
			r.Pos = d.pos(f)
			d.match(&r.Match)
			r.Action = policy.Action(d.Uvarint())
			r.Target = d.Str()
			r.Inactive = d.Bool()
			d.extras(&r.Extras)
			fl.Rules[j] = r
		}
		c.AddFilter(fl)
	}
	no := d.Count()
	for i := 0; i < no && d.Err == nil; i++ {
		o := &policy.Object{Kind: d.Str(), Name: d.Str()}
		o.Pos = d.pos(f)
		o.Addrs = d.addrSet()
		o.Members = d.Strs()
		o.Unresolved = d.Str()
		o.Scope = d.Str()
		o.Meta = d.strMap()
		c.Objects = append(c.Objects, o)
	}
	nb := d.Count()
	for i := 0; i < nb && d.Err == nil; i++ {
		b := policy.Binding{Filter: d.Str(), Kind: d.Str(), Target: d.Str(), Direction: d.Str()}
		b.Pos = d.pos(f)
		c.Bindings = append(c.Bindings, b)
	}
	nw := d.Count()
	for i := 0; i < nw && d.Err == nil; i++ {
		p := d.pos(f)
		c.Warnings = append(c.Warnings, policy.Warning{Pos: p, Msg: d.Str()})
	}
	nu := d.Count()
	for i := 0; i < nu && d.Err == nil; i++ {
		u := policy.Reference{Kind: d.Str(), Name: d.Str()}
		u.Pos = d.pos(f)
		c.Undefined = append(c.Undefined, u)
	}
	if d.Err == nil && len(d.B) != 0 {
		d.Fail()
	}
	return c, d.Err
}
