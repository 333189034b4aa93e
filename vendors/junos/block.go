package junos

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// RenderBlock makes a Junos device enforce spec with set commands: the
// source ranges go in prefix-list NAME and the destination ranges in
// NAME-DST (both families in one list; a family inet filter only uses the
// IPv4 entries), and each protected firewall filter gets a term of the
// same name "from source-prefix-list NAME then discard" (destination for
// NAME-DST), inserted before its first term. Only differences from cfg are
// emitted; a filter carries a term only while its family has ranges to
// block, and with nothing left the terms and lists are deleted.
// A filter input-list is protected through its first filter. SRX
// security policies (zone pairs and global) are protected as srxBlock
// describes.
func RenderBlock(cfg *policy.Config, spec vendors.BlockSpec) (vendors.BlockChange, error) {
	var ch vendors.BlockChange
	type side struct {
		name, from string
		set        *policy.AddrSet
		dst        bool
	}
	sides := []side{{spec.Name, "source-prefix-list", spec.Src, false}, {spec.Name + "-DST", "destination-prefix-list", spec.Dst, true}}
	targets := blockTargets(cfg, spec.Filters)
	var objCmds, termCmds, delTerms, delObjs []string
	for _, sd := range sides {
		want := append(vendors.BlockPrefixes(sd.set, false), vendors.BlockPrefixes(sd.set, true)...)
		if len(targets) == 0 {
			want = nil // no firewall filter uses the lists (an SRX with policies only)
		}
		var have []netip.Prefix
		obj := prefixList(cfg, sd.name)
		if obj != nil {
			have = append(vendors.BlockPrefixes(obj.Addrs, false), vendors.BlockPrefixes(obj.Addrs, true)...)
		}
		active := len(want) > 0
		add, del := vendors.DiffElems(have, want)
		if active {
			for _, p := range add {
				objCmds = append(objCmds, fmt.Sprintf("set policy-options prefix-list %s %s", sd.name, p))
			}
			for _, p := range del {
				objCmds = append(objCmds, fmt.Sprintf("delete policy-options prefix-list %s %s", sd.name, p))
			}
			ch.Added += len(add)
			ch.Removed += len(del)
		} else if obj != nil {
			delObjs = append(delObjs, "delete policy-options prefix-list "+sd.name)
			ch.Removed += len(have)
		}
		for _, f := range targets {
			// a filter only gets the term while its family has ranges
			active := len(vendors.BlockPrefixes(sd.set, f.Meta["family"] == "inet6")) > 0
			path := fmt.Sprintf("firewall family %s filter %s", f.Meta["family"], filterName(f))
			state := termState(f, spec.Name, sd.name, sd.dst)
			switch {
			case !active && state != termAbsent:
				delTerms = append(delTerms, "delete "+path+" term "+sd.name)
			case active && state != termAtTop:
				if state == termElsewhere {
					termCmds = append(termCmds, "delete "+path+" term "+sd.name)
				}
				termCmds = append(termCmds,
					fmt.Sprintf("set %s term %s from %s %s", path, sd.name, sd.from, sd.name),
					fmt.Sprintf("set %s term %s then discard", path, sd.name))
				if first := firstOtherTerm(f, spec.Name); first != "" {
					termCmds = append(termCmds, fmt.Sprintf("insert %s term %s before term %s", path, sd.name, first))
				}
			}
		}
	}
	var pols []*policy.Filter
	seen := map[string]bool{}
	for _, n := range spec.Filters {
		if f := cfg.Filter(n); f != nil && f.Kind == "srx-policy" && !seen[n] {
			seen[n] = true
			pols = append(pols, f)
		}
	}
	if len(pols) > 0 {
		o, p, dp, do, a, r := srxBlock(cfg, spec, pols)
		objCmds, termCmds, delTerms, delObjs = append(objCmds, o...), append(termCmds, p...), append(delTerms, dp...), append(delObjs, do...)
		ch.Added += a
		ch.Removed += r
	}
	// lists before the terms using them; terms deleted before their lists
	ch.Commands = append(append(append(append(ch.Commands, objCmds...), termCmds...), delTerms...), delObjs...)
	return ch, nil
}

func prefixList(cfg *policy.Config, name string) *policy.Object {
	for _, o := range cfg.Objects {
		if o.Kind == "prefix-list" && o.Name == name {
			return o
		}
	}
	return nil
}

// filterName is the filter's name as configured (inet6 filters are keyed
// "inet6:NAME" in the model).
func filterName(f *policy.Filter) string {
	if n := f.Meta["name"]; n != "" {
		return n
	}
	return f.Name
}

// blockTargets resolves the protected filters to Junos firewall filters of
// family inet or inet6, once each; an input-list resolves to its first
// filter.
func blockTargets(cfg *policy.Config, names []string) []*policy.Filter {
	var out []*policy.Filter
	seen := map[*policy.Filter]bool{}
	for _, n := range names {
		f := cfg.Filter(n)
		if f == nil {
			continue
		}
		if f.Kind == "junos-filter-list" {
			members := strings.Split(f.Meta["list"], ",")
			f = nil
			if len(members) > 0 && members[0] != "" {
				fam := "inet"
				if g := cfg.Filter(n); g != nil && g.Meta["family"] != "" {
					fam = g.Meta["family"]
				}
				f = cfg.Filter(fam + ":" + members[0])
				if f == nil {
					f = cfg.Filter(members[0])
				}
			}
		}
		if f == nil || f.Kind != "junos-filter" || seen[f] {
			continue
		}
		if fam := f.Meta["family"]; fam != "inet" && fam != "inet6" {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	return out
}

type termPlace int

const (
	termAbsent termPlace = iota
	termAtTop
	termElsewhere
)

// termState tells whether the block term is among the filter's leading
// block terms with the right match and action.
func termState(f *policy.Filter, base, name string, dst bool) termPlace {
	top := true
	state := termAbsent
	for _, r := range f.Rules {
		isBlock := r.Name == base || r.Name == base+"-DST"
		if !isBlock {
			top = false
		}
		if r.Name != name {
			continue
		}
		m, other := &r.Match.Src, &r.Match.Dst
		if dst {
			m, other = other, m
		}
		if top && !r.Inactive && r.Action == policy.Deny && len(m.Refs) == 1 && m.Refs[0] == name && !m.Negate && other.Any && !other.Negate && r.Match.Protocols == nil {
			state = termAtTop
		} else {
			return termElsewhere
		}
	}
	return state
}

// firstOtherTerm is the first term that is not a block term ("" if none).
func firstOtherTerm(f *policy.Filter, base string) string {
	for _, r := range f.Rules {
		if r.Name != base && r.Name != base+"-DST" {
			return r.Name
		}
	}
	return ""
}
