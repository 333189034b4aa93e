package nftables

import (
	"net/netip"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// maxMaskPrefixes bounds the exact expansion of an address bitmask match.
const maxMaskBits = 16

// addrMask parses "ip saddr & MASK ==|!= VALUE" (a non-contiguous
// wildcard, as fwpol renders Cisco wildcards): the addresses whose masked
// bits equal VALUE's, expanded exactly into prefixes. A mask with too many
// non-contiguous bits is kept as never matching, with a warning.
func (rp *ruleParser) addrMask(sel selector) error {
	amp := rp.take()
	mt := rp.take()
	mask, err := netip.ParseAddr(mt.text)
	if err != nil || mask.Is4() != (sel.kind == kAddr4) {
		return parser.Errorf(mt.pos(), "bad address mask %q", mt.text)
	}
	op := "=="
	if n := rp.peek(); n.kind == tWord && (n.text == "==" || n.text == "!=" || n.text == "eq" || n.text == "ne") {
		op = n.text
		rp.i++
	}
	vt := rp.take()
	val, err := netip.ParseAddr(vt.text)
	if err != nil || val.Is4() != mask.Is4() {
		return parser.Errorf(vt.pos(), "bad address %q", vt.text)
	}
	m := mask.AsSlice()
	for i := range m {
		m[i] = ^m[i]
	}
	wm, _ := netip.AddrFromSlice(m)
	w := policy.Wildcard{Addr: val, Mask: wm}
	var b policy.AddrSetBuilder
	if p, ok := w.Prefix(); ok {
		b.AddPrefix(p)
	} else {
		free := 0
		for _, x := range m {
			for k := 0; k < 8; k++ {
				free += int(x >> k & 1)
			}
		}
		trailing := 0
		for i := len(m)*8 - 1; i >= 0 && m[i/8]>>(7-uint(i%8))&1 == 1; i-- {
			trailing++
		}
		if free-trailing > maxMaskBits {
			txt := sel.name() + " & " + mt.text + " " + op + " " + vt.text
			rp.c.never = append(rp.c.never, txt)
			rp.vendor = append(rp.vendor, txt)
			rp.b.cfg.Warnf(amp.pos(), "bitmask match %q expands into more than %d prefixes: rule treated as never matching", txt, 1<<maxMaskBits)
			return nil
		}
		base := val.AsSlice()
		var frees []int
		for i := 0; i < len(m)*8-trailing; i++ {
			if m[i/8]>>(7-uint(i%8))&1 == 1 {
				frees = append(frees, i)
			}
		}
		for i := range base {
			base[i] &^= m[i]
		}
		for combo := 0; combo < 1<<len(frees); combo++ {
			x := append([]byte(nil), base...)
			for k, pos := range frees {
				if combo>>k&1 == 1 {
					x[pos/8] |= 1 << (7 - uint(pos%8))
				}
			}
			a, _ := netip.AddrFromSlice(x)
			b.AddPrefix(netip.PrefixFrom(a, len(m)*8-trailing))
		}
	}
	sv := &setValue{kind: sel.kind, ips: ipRanges(b.Set().Ranges())}
	rp.c.apply(sel, op, sv)
	return nil
}
