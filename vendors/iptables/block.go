package iptables

import (
	"fmt"
	"net/netip"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// RenderBlock makes an iptables host enforce spec with shell commands:
// hash:net ipsets NAME (sources) and NAME-DST (destinations), "-V6"
// suffixed for ip6tables configs, and in each protected built-in chain of
// the filter table a rule "-I CHAIN 1 -m set --match-set NAME src -j
// DROP" (dst for NAME-DST). The device's sets are read from cfg.Objects
// (its "ipset save" file, merged in by the caller); only differences are
// emitted, and create/add/del use -exist so a rerun never fails. With
// nothing left to block the rules are deleted and the sets destroyed.
func RenderBlock(cfg *policy.Config, spec vendors.BlockSpec) (vendors.BlockChange, error) {
	var ch vendors.BlockChange
	var chains []*policy.Filter
	seen := map[string]bool{}
	v6 := false
	for _, n := range spec.Filters {
		f := cfg.Filter(n)
		if f == nil || f.Kind != "iptables-chain" || f.Meta["table"] != "filter" || f.Meta["builtin"] != "true" || seen[n] {
			continue
		}
		seen[n] = true
		chains = append(chains, f)
		v6 = f.Family == policy.FamilyIPv6
	}
	if len(chains) == 0 {
		return ch, nil
	}
	tool, fam, suffix := "iptables", "inet", ""
	if v6 {
		tool, fam, suffix = "ip6tables", "inet6", "-V6"
	}
	type side struct {
		name, dir string
		set       *policy.AddrSet
	}
	sides := []side{{spec.Name + suffix, "src", spec.Src}, {spec.Name + "-DST" + suffix, "dst", spec.Dst}}
	var setCmds, ruleCmds, dropCmds []string
	for _, sd := range sides {
		want := hashNetPrefixes(vendors.BlockPrefixes(sd.set, v6))
		var have []netip.Prefix
		var obj *policy.Object
		for _, o := range cfg.Objects {
			if o.Kind == "ipset" && o.Name == sd.name {
				obj = o
				have = hashNetPrefixes(vendors.BlockPrefixes(o.Addrs, v6))
			}
		}
		active := len(want) > 0
		rule := fmt.Sprintf("-m set --match-set %s %s -j DROP", sd.name, sd.dir)
		if active {
			if obj == nil {
				setCmds = append(setCmds, fmt.Sprintf("ipset create %s hash:net family %s maxelem 1048576 -exist", sd.name, fam))
			}
			add, del := vendors.DiffElems(have, want)
			for _, p := range del {
				setCmds = append(setCmds, fmt.Sprintf("ipset del %s %s -exist", sd.name, p))
			}
			for _, p := range add {
				setCmds = append(setCmds, fmt.Sprintf("ipset add %s %s -exist", sd.name, p))
			}
			ch.Added += len(add)
			ch.Removed += len(del)
		}
		for _, f := range chains {
			chain := f.Meta["chain"]
			present, elsewhere := setRuleState(f, spec.Name, sd.name, sd.dir == "dst")
			switch {
			case active && !present:
				if elsewhere {
					ruleCmds = append(ruleCmds, fmt.Sprintf("%s -D %s %s", tool, chain, rule))
				}
				ruleCmds = append(ruleCmds, fmt.Sprintf("%s -I %s 1 %s", tool, chain, rule))
			case !active && (present || elsewhere):
				ruleCmds = append(ruleCmds, fmt.Sprintf("%s -D %s %s", tool, chain, rule))
			}
		}
		if !active && obj != nil {
			dropCmds = append(dropCmds, "ipset destroy "+sd.name)
			ch.Removed += len(have)
		}
	}
	ch.Commands = append(append(setCmds, ruleCmds...), dropCmds...)
	return ch, nil
}

// hashNetPrefixes splits /0 (which hash:net cannot hold) into two halves.
func hashNetPrefixes(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if p.Bits() == 0 {
			lo := netip.PrefixFrom(p.Addr(), 1)
			b := p.Addr().AsSlice()
			b[0] |= 0x80
			hi, _ := netip.AddrFromSlice(b)
			out = append(out, lo, netip.PrefixFrom(hi, 1))
			continue
		}
		out = append(out, p)
	}
	return out
}

// setRuleState reports whether the chain's leading block rules include the
// set's DROP rule (present), or whether it sits further down (elsewhere).
func setRuleState(f *policy.Filter, base, name string, dst bool) (present, elsewhere bool) {
	top := true
	for _, r := range f.Rules {
		m, other := r.Match.Src, r.Match.Dst
		if dst {
			m, other = other, m
		}
		ours := len(m.Refs) == 1 && m.Refs[0] == name && !m.Negate && other.Any && !other.Negate &&
			r.Action == policy.Deny && r.Match.Protocols == nil && r.Match.InIface == "" && r.Match.OutIface == "" && len(r.Match.CtStates) == 0
		if !ours && !refsBase(r, base) {
			top = false
		}
		if ours {
			if top {
				present = true
			} else {
				elsewhere = true
			}
		}
	}
	return present, elsewhere
}

func refsBase(r *policy.Rule, base string) bool {
	for _, m := range []policy.AddrMatch{r.Match.Src, r.Match.Dst} {
		for _, ref := range m.Refs {
			switch ref {
			case base, base + "-DST", base + "-V6", base + "-DST-V6":
				return true
			}
		}
	}
	return false
}
