// Package wire holds the varint encoding shared by fwpol's on-disk caches
// (the parse pack and the inventory cache). A Decoder never panics on
// damaged input: the first inconsistency sets Err, and every later read
// returns zero values, so callers check Err once at the end.
package wire

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrCorrupt reports bytes that are not what an Encoder wrote.
var ErrCorrupt = errors.New("corrupt cache entry")

// Encoder appends values to B.
type Encoder struct{ B []byte }

func (e *Encoder) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }
func (e *Encoder) Varint(v int64)   { e.B = binary.AppendVarint(e.B, v) }
func (e *Encoder) Int(v int)        { e.Varint(int64(v)) }

func (e *Encoder) Bool(v bool) {
	if v {
		e.B = append(e.B, 1)
	} else {
		e.B = append(e.B, 0)
	}
}

func (e *Encoder) Str(s string) { e.Uvarint(uint64(len(s))); e.B = append(e.B, s...) }

func (e *Encoder) Strs(ss []string) {
	e.Uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.Str(s)
	}
}

// Decoder reads what an Encoder wrote from B.
type Decoder struct {
	B   []byte
	Err error
}

// Fail marks the input damaged and stops further reads.
func (d *Decoder) Fail() { d.Err = ErrCorrupt; d.B = nil }

func (d *Decoder) Uvarint() uint64 {
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.B = d.B[n:]
	return v
}

func (d *Decoder) Varint() int64 {
	v, n := binary.Varint(d.B)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Int32 reads a Varint that must fit in 32 bits (lines, columns).
func (d *Decoder) Int32() int {
	v := d.Varint()
	if v > math.MaxInt32 || v < math.MinInt32 {
		d.Fail()
		return 0
	}
	return int(v)
}

// Count reads a length and rejects ones the remaining bytes cannot hold.
func (d *Decoder) Count() int {
	v := d.Uvarint()
	if v > uint64(len(d.B)) {
		d.Fail()
		return 0
	}
	return int(v)
}

func (d *Decoder) Byte() byte {
	if len(d.B) == 0 {
		d.Fail()
		return 0
	}
	c := d.B[0]
	d.B = d.B[1:]
	return c
}

func (d *Decoder) Bool() bool { return d.Byte() == 1 }

func (d *Decoder) Str() string {
	n := d.Count()
	s := string(d.B[:n])
	d.B = d.B[n:]
	return s
}

func (d *Decoder) Strs() []string {
	n := d.Count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.Str()
	}
	return out
}
