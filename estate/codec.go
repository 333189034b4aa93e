package estate

import (
	"encoding/binary"
	"errors"
	"math"
	"net/netip"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
)

// The cache stores parsed Configs in a compact binary form that decodes far
// faster than re-parsing. Every field of the model must be encoded: the
// codec test fails when the model gains a field this file does not know.

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int)        { e.b = binary.AppendVarint(e.b, int64(v)) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) str(s string) { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// pos omits the file when it is the config's own file (almost always).
func (e *encoder) pos(p policy.Pos, file string) {
	if p.File == file {
		e.b = append(e.b, 0)
	} else {
		e.b = append(e.b, 1)
		e.str(p.File)
	}
	e.int(p.Line)
	e.int(p.Col)
}

func (e *encoder) addr(a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		e.b = append(append(e.b, 4), b[:]...)
	} else {
		b := a.As16()
		e.b = append(append(e.b, 16), b[:]...)
	}
}

func (e *encoder) addrSet(s *policy.AddrSet) {
	if s == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	rr := s.Ranges()
	e.uvarint(uint64(len(rr)))
	for _, r := range rr {
		e.addr(r.From())
		e.addr(r.To())
	}
	ws := s.Wildcards()
	e.uvarint(uint64(len(ws)))
	for _, w := range ws {
		e.addr(w.Addr)
		e.addr(w.Mask)
	}
}

func (e *encoder) ranges(r *policy.Ranges) {
	if r == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.uvarint(uint64(len(*r)))
	for _, x := range *r {
		e.uvarint(uint64(x.Lo))
		e.uvarint(uint64(x.Hi))
	}
}

func (e *encoder) strMap(m map[string]string) {
	e.uvarint(uint64(len(m)))
	for k, v := range m {
		e.str(k)
		e.str(v)
	}
}

func (e *encoder) addrMatch(m *policy.AddrMatch) {
	e.bool(m.Any)
	e.addrSet(m.Set)
	e.bool(m.Negate)
	e.strs(m.Refs)
	e.strs(m.Unresolved)
}

func (e *encoder) match(m *policy.Match) {
	e.addrMatch(&m.Src)
	e.addrMatch(&m.Dst)
	e.ranges(m.Protocols)
	e.ranges(m.SrcPorts)
	e.ranges(m.DstPorts)
	e.ranges(m.ICMPTypes)
	e.ranges(m.ICMPCodes)
	e.str(m.InIface)
	e.str(m.OutIface)
	e.bool(m.NegInIface)
	e.bool(m.NegOutIface)
	e.bool(m.TCPEstablished)
	e.str(m.TCPFlags)
	e.str(m.Fragment)
	e.strs(m.CtStates)
	e.bool(m.NotInitial)
	e.strs(m.ServiceRefs)
	e.strs(m.Unresolved)
}

func (e *encoder) extras(x *policy.Extras) {
	e.str(x.Count)
	e.bool(x.Log)
	e.str(x.Comment)
	e.str(x.Policer)
	e.str(x.RejectWith)
	e.str(x.TimeRange)
	e.strMap(x.Vendor)
}

func encodeConfig(c *policy.Config) []byte {
	e := &encoder{b: make([]byte, 0, 4096)}
	f := c.File
	e.str(c.Device)
	e.str(c.Site)
	e.str(c.Role)
	e.uvarint(uint64(len(c.OwnAddrs)))
	for _, a := range c.OwnAddrs {
		e.addr(a)
	}
	e.str(c.Vendor)
	e.str(c.Format)
	e.uvarint(uint64(len(c.Filters)))
	for _, fl := range c.Filters {
		e.str(fl.Name)
		e.str(fl.Kind)
		e.uvarint(uint64(fl.Family))
		e.bool(fl.Entry)
		e.uvarint(uint64(fl.Default))
		e.pos(fl.Pos, f)
		e.strMap(fl.Meta)
		e.uvarint(uint64(len(fl.Rules)))
		for _, r := range fl.Rules {
			e.str(r.Name)
			e.pos(r.Pos, f)
			e.match(&r.Match)
			e.uvarint(uint64(r.Action))
			e.str(r.Target)
			e.bool(r.Inactive)
			e.extras(&r.Extras)
		}
	}
	e.uvarint(uint64(len(c.Objects)))
	for _, o := range c.Objects {
		e.str(o.Kind)
		e.str(o.Name)
		e.pos(o.Pos, f)
		e.addrSet(o.Addrs)
		e.strs(o.Members)
		e.str(o.Unresolved)
		e.str(o.Scope)
		e.strMap(o.Meta)
	}
	e.uvarint(uint64(len(c.Bindings)))
	for _, b := range c.Bindings {
		e.str(b.Filter)
		e.str(b.Kind)
		e.str(b.Target)
		e.str(b.Direction)
		e.pos(b.Pos, f)
	}
	e.uvarint(uint64(len(c.Warnings)))
	for _, w := range c.Warnings {
		e.pos(w.Pos, f)
		e.str(w.Msg)
	}
	e.uvarint(uint64(len(c.Undefined)))
	for _, u := range c.Undefined {
		e.str(u.Kind)
		e.str(u.Name)
		e.pos(u.Pos, f)
	}
	return e.b
}

var errCorrupt = errors.New("corrupt cache entry")

// decoder reads what encoder wrote; any inconsistency sets err, and every
// read after that returns zero values, so callers check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err = errCorrupt; d.b = nil }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and rejects ones the remaining bytes cannot hold.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) int() int {
	v, n := binary.Varint(d.b)
	if n <= 0 || v > math.MaxInt32 || v < math.MinInt32 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool() bool { return d.byte() == 1 }

func (d *decoder) str() string {
	n := d.count()
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// bytes reads a string without copying it (valid while the input is).
func (d *decoder) bytes() []byte {
	n := d.count()
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) pos(file string) policy.Pos {
	p := policy.Pos{File: file}
	if d.byte() == 1 {
		p.File = d.str()
	}
	p.Line = d.int()
	p.Col = d.int()
	return p
}

func (d *decoder) addr() netip.Addr {
	n := int(d.byte())
	if (n != 4 && n != 16) || len(d.b) < n {
		d.fail()
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(d.b[:n])
	d.b = d.b[n:]
	return a
}

func (d *decoder) addrSet() *policy.AddrSet {
	if d.byte() == 0 {
		return nil
	}
	n := d.count()
	rr := make([]netipx.IPRange, n)
	for i := range rr {
		from := d.addr()
		rr[i] = netipx.IPRangeFrom(from, d.addr())
	}
	var ws []policy.Wildcard
	if m := d.count(); m > 0 {
		ws = make([]policy.Wildcard, m)
		for i := range ws {
			ws[i].Addr = d.addr()
			ws[i].Mask = d.addr()
		}
	}
	return policy.NewAddrSetFromRanges(rr, ws)
}

func (d *decoder) ranges() *policy.Ranges {
	if d.byte() == 0 {
		return nil
	}
	n := d.count()
	r := make(policy.Ranges, n)
	for i := range r {
		r[i].Lo = uint16(d.uvarint())
		r[i].Hi = uint16(d.uvarint())
	}
	return &r
}

func (d *decoder) strMap() map[string]string {
	n := d.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n; i++ {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *decoder) addrMatch(m *policy.AddrMatch) {
	m.Any = d.bool()
	m.Set = d.addrSet()
	m.Negate = d.bool()
	m.Refs = d.strs()
	m.Unresolved = d.strs()
}

func (d *decoder) match(m *policy.Match) {
	d.addrMatch(&m.Src)
	d.addrMatch(&m.Dst)
	m.Protocols = d.ranges()
	m.SrcPorts = d.ranges()
	m.DstPorts = d.ranges()
	m.ICMPTypes = d.ranges()
	m.ICMPCodes = d.ranges()
	m.InIface = d.str()
	m.OutIface = d.str()
	m.NegInIface = d.bool()
	m.NegOutIface = d.bool()
	m.TCPEstablished = d.bool()
	m.TCPFlags = d.str()
	m.Fragment = d.str()
	m.CtStates = d.strs()
	m.NotInitial = d.bool()
	m.ServiceRefs = d.strs()
	m.Unresolved = d.strs()
}

func (d *decoder) extras(x *policy.Extras) {
	x.Count = d.str()
	x.Log = d.bool()
	x.Comment = d.str()
	x.Policer = d.str()
	x.RejectWith = d.str()
	x.TimeRange = d.str()
	x.Vendor = d.strMap()
}

// decodeConfig rebuilds a Config parsed from file (positions in other files
// keep their own names).
func decodeConfig(b []byte, file string) (*policy.Config, error) {
	d := &decoder{b: b}
	c := &policy.Config{File: file}
	f := file
	c.Device = d.str()
	c.Site = d.str()
	c.Role = d.str()
	if n := d.count(); n > 0 {
		c.OwnAddrs = make([]netip.Addr, n)
		for i := range c.OwnAddrs {
			c.OwnAddrs[i] = d.addr()
		}
	}
	c.Vendor = d.str()
	c.Format = d.str()
	nf := d.count()
	for i := 0; i < nf && d.err == nil; i++ {
		fl := &policy.Filter{}
		fl.Name = d.str()
		fl.Kind = d.str()
		fl.Family = policy.Family(d.uvarint())
		fl.Entry = d.bool()
		fl.Default = policy.Action(d.uvarint())
		fl.Pos = d.pos(f)
		fl.Meta = d.strMap()
		nr := d.count()
		// one backing array for the filter's rules: fewer allocations
		rules := make([]policy.Rule, nr)
		fl.Rules = make([]*policy.Rule, nr)
		for j := range rules {
			r := &rules[j]
			r.Name = d.str()
			r.Pos = d.pos(f)
			d.match(&r.Match)
			r.Action = policy.Action(d.uvarint())
			r.Target = d.str()
			r.Inactive = d.bool()
			d.extras(&r.Extras)
			fl.Rules[j] = r
		}
		c.AddFilter(fl)
	}
	no := d.count()
	for i := 0; i < no && d.err == nil; i++ {
		o := &policy.Object{Kind: d.str(), Name: d.str()}
		o.Pos = d.pos(f)
		o.Addrs = d.addrSet()
		o.Members = d.strs()
		o.Unresolved = d.str()
		o.Scope = d.str()
		o.Meta = d.strMap()
		c.Objects = append(c.Objects, o)
	}
	nb := d.count()
	for i := 0; i < nb && d.err == nil; i++ {
		b := policy.Binding{Filter: d.str(), Kind: d.str(), Target: d.str(), Direction: d.str()}
		b.Pos = d.pos(f)
		c.Bindings = append(c.Bindings, b)
	}
	nw := d.count()
	for i := 0; i < nw && d.err == nil; i++ {
		p := d.pos(f)
		c.Warnings = append(c.Warnings, policy.Warning{Pos: p, Msg: d.str()})
	}
	nu := d.count()
	for i := 0; i < nu && d.err == nil; i++ {
		u := policy.Reference{Kind: d.str(), Name: d.str()}
		u.Pos = d.pos(f)
		c.Undefined = append(c.Undefined, u)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return c, d.err
}
