package iptables

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
	"go4.org/netipx"
)

// DetectIPSet scores `ipset save` output: 100 when the first statement is
// "create NAME hash:...|bitmap:...|list:set".
func DetectIPSet(data []byte) int {
	if len(data) > detectWindow {
		data = data[:detectWindow]
	}
	score := 0
	forLines(data, func(l []byte) bool {
		if len(l) == 0 || l[0] == '#' {
			return true
		}
		f := bytes.Fields(l)
		if len(f) >= 3 && (string(f[0]) == "create" || string(f[0]) == "-N") &&
			(bytes.HasPrefix(f[2], []byte("hash:")) || bytes.HasPrefix(f[2], []byte("bitmap:")) || bytes.HasPrefix(f[2], []byte("list:"))) {
			score = 100
		}
		return false
	})
	return score
}

type ipsetState struct {
	obj     *policy.Object
	typ     string
	v6      bool
	netmask int // hash:ip/bitmap:ip "netmask N": entries stand for /N networks
	addrOK  bool
	entries []ipsetEntry
}

type ipsetEntry struct {
	p       netip.Prefix
	nomatch bool
}

// ParseIPSet parses `ipset save` output (create/add lines). Each set becomes
// an Object of Kind "ipset" with its address content: the first dimension of
// hash:ip, hash:net, hash:ip,port, hash:net,port, hash:net,iface, ... and
// bitmap:ip; list:set objects name their member sets and hold their union.
// hash:net "nomatch" entries are exceptions: the most specific entry
// decides, as in the kernel.
func ParseIPSet(file string, data []byte) (*policy.Config, error) {
	cfg := &policy.Config{File: file, Vendor: "ipset", Format: "ipset-save"}
	sets := make(map[string]*ipsetState)
	var order []*ipsetState
	var err error
	var buf []tok
	errf := func(line, col int, format string, args ...any) error {
		return parser.Errorf(policy.Pos{File: file, Line: line, Col: col}, format, args...)
	}
	parser.Lines(data, func(l parser.Line) bool {
		text := bytes.TrimLeft(l.Text, " \t")
		if len(text) == 0 || text[0] == '#' {
			return true
		}
		buf, err = tokenize(file, l.Num, l.Text, buf)
		if err != nil {
			return false
		}
		toks := buf
		cmd := toks[0]
		if len(toks) < 2 {
			err = errf(l.Num, cmd.col+len(cmd.s), "%s: missing set name", cmd.s)
			return false
		}
		name := toks[1]
		switch cmd.s {
		case "create", "-N", "-C":
			if len(toks) < 3 {
				err = errf(l.Num, name.col+len(name.s), "create %s: missing set type", name.s)
				return false
			}
			if _, dup := sets[name.s]; dup {
				err = errf(l.Num, name.col, "set %s already exists", name.s)
				return false
			}
			st := &ipsetState{obj: &policy.Object{Kind: "ipset", Name: name.s, Pos: policy.Pos{File: file, Line: l.Num, Col: cmd.col}}, typ: toks[2].s}
			dims := strings.Split(strings.TrimPrefix(strings.TrimPrefix(st.typ, "hash:"), "bitmap:"), ",")
			switch {
			case st.typ == "list:set":
			case strings.HasPrefix(st.typ, "hash:") || strings.HasPrefix(st.typ, "bitmap:"):
				st.addrOK = dims[0] == "ip" || dims[0] == "net"
				if !st.addrOK {
					st.obj.Unresolved = "set type " + st.typ + " holds no addresses"
				} else if len(dims) > 1 {
					cfg.Warnf(st.obj.Pos, "set %s is %s: only its address dimension is evaluated", name.s, st.typ)
				}
			default:
				err = errf(l.Num, toks[2].col, "unknown set type %q", st.typ)
				return false
			}
			for i := 3; i < len(toks); i++ {
				switch toks[i].s {
				case "family":
					if i+1 >= len(toks) || (toks[i+1].s != "inet" && toks[i+1].s != "inet6") {
						err = errf(l.Num, toks[i].col, "family needs inet or inet6")
						return false
					}
					st.v6 = toks[i+1].s == "inet6"
					i++
				case "netmask":
					if i+1 >= len(toks) {
						err = errf(l.Num, toks[i].col, "netmask needs a value")
						return false
					}
					n, e := strconv.Atoi(toks[i+1].s)
					if e != nil || n < 1 || n > 128 {
						err = errf(l.Num, toks[i+1].col, "bad netmask %q", toks[i+1].s)
						return false
					}
					st.netmask = n
					i++
				}
			}
			sets[name.s] = st
			order = append(order, st)
			cfg.Objects = append(cfg.Objects, st.obj)
		case "add", "-A":
			st, ok := sets[name.s]
			if !ok {
				err = errf(l.Num, name.col, "set %s does not exist", name.s)
				return false
			}
			if len(toks) < 3 {
				err = errf(l.Num, name.col+len(name.s), "add %s: missing entry", name.s)
				return false
			}
			ent := toks[2]
			nomatch := false
			for _, t := range toks[3:] {
				if t.s == "nomatch" {
					nomatch = true
				}
			}
			if st.typ == "list:set" {
				if _, ok := sets[ent.s]; !ok {
					err = errf(l.Num, ent.col, "set %s does not exist", ent.s)
					return false
				}
				st.obj.Members = append(st.obj.Members, ent.s)
				return true
			}
			if !st.addrOK {
				return true
			}
			first, _, _ := cut(ent.s, ',')
			ps, e := ipsetPrefixes(first, st)
			if e != "" {
				err = errf(l.Num, ent.col, "%s", e)
				return false
			}
			for _, p := range ps {
				st.entries = append(st.entries, ipsetEntry{p, nomatch})
			}
		case "flush", "-F", "destroy", "-X", "del", "-D", "rename", "-E", "swap", "-W":
			err = errf(l.Num, cmd.col, "unsupported ipset command %q in a save file", cmd.s)
			return false
		default:
			err = errf(l.Num, cmd.col, "unknown ipset command %q", cmd.s)
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	for _, st := range order {
		if st.typ != "list:set" {
			st.obj.Addrs = buildEntries(st.entries)
		}
	}
	for _, st := range order {
		if st.typ == "list:set" {
			var b policy.AddrSetBuilder
			for _, m := range st.obj.Members {
				b.AddSet(sets[m].obj.Addrs)
			}
			st.obj.Addrs = b.Set()
		}
	}
	return cfg, nil
}

func ipsetPrefixes(s string, st *ipsetState) ([]netip.Prefix, string) {
	check := func(a netip.Addr) string {
		if a.Zone() != "" || a.Is6() != st.v6 {
			fam := "inet"
			if st.v6 {
				fam = "inet6"
			}
			return "address " + strconv.Quote(s) + " does not belong to family " + fam
		}
		return ""
	}
	if lo, hi, ok := cut(s, '-'); ok {
		l, err1 := netip.ParseAddr(lo)
		h, err2 := netip.ParseAddr(hi)
		if err1 != nil || err2 != nil || h.Less(l) {
			return nil, "bad address range " + strconv.Quote(s)
		}
		if e := check(l); e != "" {
			return nil, e
		}
		if e := check(h); e != "" {
			return nil, e
		}
		ps := netipx.IPRangeFrom(l, h).Prefixes()
		return maskAll(ps, st.netmask), ""
	}
	a, l, hasLen := cut(s, '/')
	ad, err := netip.ParseAddr(a)
	if err != nil {
		return nil, "bad address " + strconv.Quote(s)
	}
	if e := check(ad); e != "" {
		return nil, e
	}
	bits := ad.BitLen()
	if hasLen {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > ad.BitLen() {
			return nil, "bad prefix " + strconv.Quote(s)
		}
		bits = n
	}
	return maskAll([]netip.Prefix{netip.PrefixFrom(ad, bits).Masked()}, st.netmask), ""
}

// maskAll widens prefixes to a set's netmask (the kernel masks both stored
// entries and looked-up addresses).
func maskAll(ps []netip.Prefix, netmask int) []netip.Prefix {
	if netmask == 0 {
		return ps
	}
	for i, p := range ps {
		if netmask < p.Addr().BitLen() && p.Bits() > netmask {
			ps[i] = netip.PrefixFrom(p.Addr(), netmask).Masked()
		}
	}
	return ps
}

func buildEntries(es []ipsetEntry) *policy.AddrSet {
	hasNomatch := false
	for _, e := range es {
		hasNomatch = hasNomatch || e.nomatch
	}
	var b policy.AddrSetBuilder
	if !hasNomatch {
		for _, e := range es {
			b.AddPrefix(e.p)
		}
		return b.Set()
	}
	// least specific first: a more specific entry overrides (nomatch or not)
	sort.SliceStable(es, func(i, j int) bool { return es[i].p.Bits() < es[j].p.Bits() })
	for _, e := range es {
		if e.nomatch {
			b.RemovePrefix(e.p)
		} else {
			b.AddPrefix(e.p)
		}
	}
	return b.Set()
}

// Link resolves the -m set --match-set references of iptables configs
// against the ipset configs of the same device (equal, non-empty Device),
// or else of the same directory. The first set of that name in configs order
// wins. A set found nowhere stays unresolved: the rule matches nothing and
// the Warning and Undefined reference remain.
func Link(configs []*policy.Config) {
	var ipsets []*policy.Config
	for _, c := range configs {
		if c != nil && c.Vendor == "ipset" {
			ipsets = append(ipsets, c)
		}
	}
	for _, c := range configs {
		if c == nil || c.Vendor != "iptables" || !hasSetRefs(c) {
			continue
		}
		var cands []*policy.Config
		if c.Device != "" {
			for _, s := range ipsets {
				if s.Device == c.Device {
					cands = append(cands, s)
				}
			}
		}
		if len(cands) == 0 {
			dir := filepath.Dir(c.File)
			for _, s := range ipsets {
				if filepath.Dir(s.File) == dir {
					cands = append(cands, s)
				}
			}
		}
		relink(c, func(name string) *policy.Object {
			for _, s := range cands {
				for _, o := range s.Objects {
					if o.Kind == "ipset" && o.Name == name {
						return o
					}
				}
			}
			return nil
		})
	}
}

func hasSetRefs(c *policy.Config) bool {
	for _, f := range c.Filters {
		for _, r := range f.Rules {
			if _, ok := r.Extras.Vendor[vendorRuleKey]; ok {
				return true
			}
		}
	}
	return false
}

// relink rebuilds the matches of every rule referencing ipsets with the
// given resolver, and recomputes the unresolved-set findings.
func relink(c *policy.Config, lookup func(string) *policy.Object) {
	s := &state{file: c.File, cfg: &policy.Config{File: c.File}, addrCache: make(map[string]*policy.AddrSet), sets: lookup, fam: famV4}
	for _, f := range c.Filters {
		if f.Family == policy.FamilyIPv6 {
			s.fam = famV6
		}
	}
	used := make(map[string]*policy.Object)
	var undefined []policy.Reference
	var warns []policy.Warning
	for _, f := range c.Filters {
		for i := 0; i < len(f.Rules); {
			r := f.Rules[i]
			text, ok := r.Extras.Vendor[vendorRuleKey]
			if !ok {
				i++
				continue
			}
			j := i + 1
			for j < len(f.Rules) && f.Rules[j].Pos.Line == r.Pos.Line && f.Rules[j].Extras.Vendor[vendorRuleKey] == text {
				j++
			}
			alts, unresolved, ok := s.reparse(r.Pos.Line, text)
			if ok && len(alts) == j-i {
				for k := range alts {
					f.Rules[i+k].Match = alts[k]
				}
				for _, u := range unresolved {
					p := policy.Pos{File: c.File, Line: r.Pos.Line, Col: u.col}
					warns = append(warns, policy.Warning{Pos: p, Msg: unresolvedSetMsg(u.setName)})
					undefined = append(undefined, policy.Reference{Kind: "ipset", Name: u.setName, Pos: p})
				}
				for _, m := range alts[:1] {
					for _, am := range []policy.AddrMatch{m.Src, m.Dst} {
						for _, ref := range am.Refs {
							if o := lookup(ref); o != nil {
								used[ref] = o
							}
						}
					}
				}
			}
			i = j
		}
	}
	// replace the earlier unresolved-set findings
	keptW := c.Warnings[:0]
	for _, w := range c.Warnings {
		if !(strings.HasPrefix(w.Msg, "ipset ") && strings.HasSuffix(w.Msg, ": the rule matches nothing")) {
			keptW = append(keptW, w)
		}
	}
	c.Warnings = append(keptW, warns...)
	keptU := c.Undefined[:0]
	for _, u := range c.Undefined {
		if u.Kind != "ipset" {
			keptU = append(keptU, u)
		}
	}
	c.Undefined = append(keptU, undefined...)
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if c.Object(n) == nil {
			c.Objects = append(c.Objects, used[n])
		}
	}
}

// reparse parses the options of a stored rule line again.
func (s *state) reparse(line int, text string) ([]policy.Match, []addrCond, bool) {
	toks, err := tokenize(s.file, line, []byte(text), nil)
	if err != nil || len(toks) < 2 {
		return nil, nil, false
	}
	if t := toks[0].s; t[0] == '[' {
		toks = toks[1:]
	}
	if len(toks) < 2 {
		return nil, nil, false
	}
	insert := toks[0].s == "-I" || toks[0].s == "--insert"
	toks = toks[2:]
	if insert && len(toks) > 0 && isNumber(toks[0].s) {
		toks = toks[1:]
	}
	sp, err := s.parseSpec(line, toks)
	if err != nil {
		return nil, nil, false
	}
	alts, unresolved := s.matches(sp)
	return alts, unresolved, true
}
