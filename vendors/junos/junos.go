// Package junos parses Juniper Junos configurations, in both the
// hierarchical ("show configuration") and the set ("display set") format,
// into the policy model: firewall filters (family inet, inet6, any), prefix
// lists, interface filter bindings, and SRX security policies with their
// address books and applications.
//
// Semantics documented here and in the code:
//   - A filter ends in an implicit discard. A term without a terminating
//     action accepts; "next term" continues (policy.Next).
//   - Address conditions of one direction (source-address with
//     source-prefix-list, destination-*, and address/prefix-list for either
//     direction) form one longest-prefix-match table where "except" entries
//     exclude: 10/8 + 10.1/16 except + 10.1.1/24 matches 10.1.1.5 but not
//     10.1.2.5.
//   - "address", "prefix-list" and "port" match the source OR the
//     destination; such a term becomes one rule per direction (same name and
//     position, Extras.Vendor["variant"] says which).
//   - tcp-established, is-fragment and non-zero fragment offsets never match
//     the first packet (Match.NotInitial); tcp-flags are evaluated against a
//     bare SYN; tcp-initial matches it.
//   - A filter named in both family inet and inet6 keeps its name for inet;
//     the inet6 one is named "inet6:NAME" (Meta["family"] always says which).
//   - input-list/output-list bindings get a synthesized filter named like
//     Junos' own "<ifl>-i" / "<ifl>-o" that jumps to each member in order;
//     only the end of the whole list discards.
//   - SRX: each zone pair is a filter "<from>><to>" holding its policies and
//     then the global ones; "global" holds the global policies for pairs
//     without policies; the default policy (deny-all unless permit-all)
//     is the filter default.
//   - inactive: terms and policies are kept with Inactive=true; inactive
//     conditions are ignored; inactive filters are dropped with a warning.
package junos

import (
	"bytes"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// Vendor is the Junos syntax family.
var Vendor = vendors.Vendor{Name: "junos", Detect: Detect, Parse: Parse, Render: Render,
	RenderBlock: RenderBlock}

// Parse parses one Junos configuration file.
func Parse(file string, data []byte) (*policy.Config, error) {
	src := string(data)
	cfg := &policy.Config{File: file, Vendor: "junos", Filters: []*policy.Filter{}}
	b := &builder{cfg: cfg, fidx: map[fkey]*fbuild{}, plists: map[string]*plist{},
		bidx: map[bkey]*bindState{}, srx: newSRX(), modelFn: map[fkey]string{}, sets: map[string]*policy.AddrSet{}}
	if isSetFormat(src) {
		f, err := flattenSet(file, src)
		if err != nil {
			return nil, err
		}
		b.f = f
		cfg.Warnings = append(cfg.Warnings, f.warnings...)
		if err := b.collect(); err != nil {
			return nil, err
		}
	} else {
		// hierarchical statements stream straight into the builder
		b.f = &flat{file: file, sink: b.handle}
		f, err := flattenHier(b.f, src)
		if err != nil {
			return nil, err
		}
		f.sink = nil
		cfg.Warnings = append(cfg.Warnings, f.warnings...)
	}
	cfg.Format = b.f.format
	if err := b.finish(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (b *builder) finish() error {
	// model names: inet keeps the plain name; another family's filter of
	// the same name is qualified with its family
	plain := map[string]bool{}
	for _, fb := range b.filters {
		if fb.fam == "inet" && !fb.inactive {
			plain[fb.name] = true
		}
	}
	for _, fb := range b.filters {
		if fb.inactive {
			b.warnf(fb.pos, "family %s filter %q is inactive: dropped", fb.fam, fb.name)
			continue
		}
		name := fb.name
		if fb.fam != "inet" && plain[name] {
			name = fb.fam + ":" + name
		}
		b.modelFn[fkey{fb.fam, fb.name}] = name
	}
	for _, pl := range b.plOrder {
		o := &policy.Object{Kind: "prefix-list", Name: pl.name, Pos: b.pos(pl.pos), Addrs: policy.SetOfPrefixes(pl.prefixes...)}
		if pl.applyPath != "" {
			o.Unresolved = "apply-path " + pl.applyPath
		}
		b.cfg.Objects = append(b.cfg.Objects, o)
	}
	for _, fb := range b.filters {
		if fb.inactive {
			continue
		}
		fam := policy.FamilyIPv4
		switch fb.fam {
		case "inet6":
			fam = policy.FamilyIPv6
		case "any":
			fam = policy.FamilyAny
		}
		fl := &policy.Filter{Name: b.modelFn[fkey{fb.fam, fb.name}], Kind: "junos-filter", Family: fam, Entry: true,
			Default: policy.Deny, Pos: b.pos(fb.pos), Rules: []*policy.Rule{},
			Meta: map[string]string{"family": fb.fam}}
		if fl.Name != fb.name {
			fl.Meta["name"] = fb.name
		}
		if fb.comment != "" {
			fl.Meta["comment"] = fb.comment
		}
		for _, tb := range fb.terms {
			rs, err := b.compileTerm(fb, tb)
			if err != nil {
				return err
			}
			fl.Rules = append(fl.Rules, rs...)
		}
		b.cfg.AddFilter(fl)
	}
	b.finishBindings()
	return b.finishSRX()
}

func (b *builder) filterRef(fam string, w word) string {
	if n, ok := b.modelFn[fkey{fam, w.s}]; ok {
		return n
	}
	if fb := b.fidx[fkey{fam, w.s}]; fb != nil && fb.inactive {
		b.warnf(w, "family %s filter %q is inactive", fam, w.s)
	} else {
		b.warnf(w, "family %s filter %q is not defined", fam, w.s)
	}
	b.undefined("filter", w.s, w)
	return w.s
}

func (b *builder) finishBindings() {
	for _, bs := range b.binds {
		if len(bs.names) == 0 {
			continue
		}
		k := bs.key
		if !bs.list {
			b.cfg.Bindings = append(b.cfg.Bindings, policy.Binding{Filter: b.filterRef(k.fam, bs.names[0]), Kind: "interface",
				Target: k.target, Direction: k.dir, Pos: b.pos(bs.pos)})
			continue
		}
		// A filter list behaves as one filter: each member's terms in
		// turn, one implicit discard at the very end.
		name := k.target + "-" + k.dir[:1]
		if k.dir == "out" {
			name = k.target + "-o"
		}
		if k.fam != "inet" {
			name = k.fam + ":" + name
		}
		fam := policy.FamilyIPv4
		switch k.fam {
		case "inet6":
			fam = policy.FamilyIPv6
		case "any":
			fam = policy.FamilyAny
		}
		fl := &policy.Filter{Name: name, Kind: "junos-filter-list", Family: fam, Entry: true, Default: policy.Deny,
			Pos: b.pos(bs.pos), Meta: map[string]string{"family": k.fam}}
		var members []string
		for _, w := range bs.names {
			t := b.filterRef(k.fam, w)
			members = append(members, t)
			fl.Rules = append(fl.Rules, &policy.Rule{Name: t, Pos: b.pos(w), Match: policy.Match{Src: policy.AnyAddr(), Dst: policy.AnyAddr()},
				Action: policy.Jump, Target: t})
		}
		fl.Meta["list"] = joinStrings(members)
		b.cfg.AddFilter(fl)
		b.cfg.Bindings = append(b.cfg.Bindings, policy.Binding{Filter: name, Kind: "interface", Target: k.target, Direction: k.dir, Pos: b.pos(bs.pos)})
	}
}

func joinStrings(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// Detect scores Junos syntax in the first 64 KiB: 100 for a Junos header
// ("## Last commit", "version X;", "set version"), 80 for set commands or
// brace stanzas naming Junos hierarchy, 50 for bare filter/term snippets.
func Detect(data []byte) int {
	if len(data) > 64<<10 {
		data = data[:64<<10]
	}
	score := 0
	setLines, hier, snippet := 0, 0, 0
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimRight(line, "\r")
		if bytes.HasPrefix(line, []byte("## Last commit:")) || bytes.HasPrefix(line, []byte("## Last changed:")) {
			return 100
		}
		if bytes.HasPrefix(line, []byte("set version ")) {
			return 100
		}
		if bytes.HasPrefix(line, []byte("version ")) && bytes.HasSuffix(bytes.TrimSpace(line), []byte(";")) {
			return 100
		}
		if rest, ok := bytes.CutPrefix(line, []byte("set ")); ok {
			sp := bytes.IndexByte(rest, ' ')
			if sp > 0 && topLevel[string(rest[:sp])] {
				setLines++
			}
			continue
		}
		if rest, ok := bytes.CutPrefix(line, []byte("deactivate ")); ok {
			sp := bytes.IndexByte(rest, ' ')
			if sp > 0 && topLevel[string(rest[:sp])] {
				setLines++
			}
			continue
		}
		t := bytes.TrimSpace(line)
		// a whole stanza on one line: "firewall { family inet { ... } }"
		if len(t) > 0 && line[0] != ' ' && line[0] != '\t' {
			if sp := bytes.Index(t, []byte(" {")); sp > 0 && topLevel[string(bytes.TrimPrefix(t[:sp], []byte("inactive: ")))] && t[len(t)-1] == '}' {
				hier++
				continue
			}
		}
		if len(t) < 3 || t[len(t)-1] != '{' {
			continue
		}
		t = bytes.TrimSpace(t[:len(t)-1])
		t = bytes.TrimPrefix(t, []byte("inactive: "))
		if line[0] != ' ' && line[0] != '\t' && topLevel[string(t)] {
			hier++
			continue
		}
		first := t
		if sp := bytes.IndexByte(t, ' '); sp > 0 {
			first = t[:sp]
		}
		switch string(first) {
		case "term", "from", "then", "filter", "family", "from-zone", "security-zone", "unit":
			snippet++
		}
	}
	switch {
	case setLines >= 2 || hier >= 1:
		score = 80
	case setLines == 1 || snippet >= 2:
		score = 50
	}
	return score
}

// topLevel are Junos configuration root statements.
var topLevel = map[string]bool{
	"system": true, "interfaces": true, "firewall": true, "security": true,
	"policy-options": true, "applications": true, "routing-options": true,
	"protocols": true, "snmp": true, "chassis": true, "groups": true, "apply-groups": true,
	"vlans": true, "routing-instances": true, "class-of-service": true,
	"forwarding-options": true, "services": true, "logical-systems": true,
	"access": true, "event-options": true, "bridge-domains": true, "poe": true,
	"switch-options": true, "ethernet-switching-options": true, "virtual-chassis": true, "schedulers": true,
}
