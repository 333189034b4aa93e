package asa

import (
	"fmt"
	"net/netip"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// RenderBlock makes an ASA enforce spec: source ranges in "object-group
// network NAME", destination ranges in NAME-DST (IPv4 and IPv6 together:
// ASA 9.x groups and ACLs mix families), and in each protected ACL a deny
// entry per group at "line 1". Only differences from cfg are emitted; a
// group left empty is removed together with the entries using it (the ASA
// refuses an empty group in an ACL).
func RenderBlock(cfg *policy.Config, spec vendors.BlockSpec) (vendors.BlockChange, error) {
	var ch vendors.BlockChange
	type side struct {
		name string
		set  *policy.AddrSet
		dst  bool
	}
	sides := []side{{spec.Name, spec.Src, false}, {spec.Name + "-DST", spec.Dst, true}}
	var groupCmds, aclCmds, dropCmds []string
	seen := map[string]bool{}
	var acls []*policy.Filter
	for _, n := range spec.Filters {
		if f := cfg.Filter(n); f != nil && f.Kind == "acl" && f.Meta["type"] == "extended" && !seen[n] {
			seen[n] = true
			acls = append(acls, f)
		}
	}
	for _, sd := range sides {
		want := append(vendors.BlockPrefixes(sd.set, false), vendors.BlockPrefixes(sd.set, true)...)
		var have []netip.Prefix
		var obj *policy.Object
		for _, o := range cfg.Objects {
			if o.Kind == "object-group-network" && o.Name == sd.name {
				obj = o
				have = append(vendors.BlockPrefixes(o.Addrs, false), vendors.BlockPrefixes(o.Addrs, true)...)
			}
		}
		active := len(want) > 0
		if active {
			add, del := vendors.DiffElems(have, want)
			if len(add)+len(del) > 0 {
				groupCmds = append(groupCmds, "object-group network "+sd.name)
				for _, p := range del {
					groupCmds = append(groupCmds, " no network-object "+netObj(p))
				}
				for _, p := range add {
					groupCmds = append(groupCmds, " network-object "+netObj(p))
				}
			}
			ch.Added += len(add)
			ch.Removed += len(del)
		} else if obj != nil {
			dropCmds = append(dropCmds, "no object-group network "+sd.name)
			ch.Removed += len(have)
		}
		ace := "deny ip object-group " + sd.name + " any"
		if sd.dst {
			ace = "deny ip any object-group " + sd.name
		}
		for _, f := range acls {
			present, elsewhere := aceState(f, spec.Name, sd.name, sd.dst)
			switch {
			case active && !present:
				if elsewhere {
					aclCmds = append(aclCmds, fmt.Sprintf("no access-list %s extended %s", f.Name, ace))
				}
				aclCmds = append(aclCmds, fmt.Sprintf("access-list %s line 1 extended %s", f.Name, ace))
			case !active && (present || elsewhere):
				aclCmds = append(aclCmds, fmt.Sprintf("no access-list %s extended %s", f.Name, ace))
			}
		}
	}
	ch.Commands = append(append(groupCmds, aclCmds...), dropCmds...)
	return ch, nil
}

func netObj(p netip.Prefix) string {
	if p.Addr().Is6() {
		if p.IsSingleIP() {
			return "host " + p.Addr().String()
		}
		return p.String()
	}
	if p.IsSingleIP() {
		return "host " + p.Addr().String()
	}
	m := uint32(0)
	if p.Bits() > 0 {
		m = ^uint32(0) << (32 - p.Bits())
	}
	return fmt.Sprintf("%s %d.%d.%d.%d", p.Addr(), m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

// aceState reports whether the group's deny entry is among the ACL's
// leading block entries (present), or exists further down (elsewhere).
func aceState(f *policy.Filter, base, name string, dst bool) (present, elsewhere bool) {
	top := true
	for _, r := range f.Rules {
		m, other := r.Match.Src, r.Match.Dst
		if dst {
			m, other = other, m
		}
		isOurs := len(m.Refs) == 1 && m.Refs[0] == name && other.Any && !other.Negate && !m.Negate && r.Action == policy.Deny && r.Match.Protocols == nil && !r.Inactive
		isBlock := isOurs || refsBlock(r, base)
		if !isBlock {
			top = false
		}
		if isOurs {
			if top {
				present = true
			} else {
				elsewhere = true
			}
		}
	}
	return present, elsewhere
}

func refsBlock(r *policy.Rule, base string) bool {
	for _, m := range []policy.AddrMatch{r.Match.Src, r.Match.Dst} {
		if len(m.Refs) == 1 && (m.Refs[0] == base || m.Refs[0] == base+"-DST") {
			return true
		}
	}
	return false
}
