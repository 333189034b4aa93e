package junos

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// srxBlock protects SRX security policies: each blocked prefix is an
// address NAME_<prefix> of the global address book ("/" written "_", ":"
// written "-"), the source side is the address-set NAME and the
// destination side NAME-DST, and each protected zone pair gets a deny
// policy per side, named like the set, inserted before its first policy:
//
//	set security policies from-zone A to-zone B policy NAME match source-address NAME
//	set security policies from-zone A to-zone B policy NAME match destination-address any
//	set security policies from-zone A to-zone B policy NAME match application any
//	set security policies from-zone A to-zone B policy NAME then deny
//	insert security policies from-zone A to-zone B policy NAME before policy FIRST
//
// Global policies (the "global" filter: zone pairs without policies of
// their own) get the same under "security policies global" with the
// names NAME-GLOBAL and NAME-DST-GLOBAL (global policies also follow each
// zone pair's own policies, where they must not pass for the pair's
// block). Destination matching sees the address after destination NAT,
// as SRX policies do. Only differences are emitted; with a side empty its
// policies, set and addresses are deleted.
func srxBlock(cfg *policy.Config, spec vendors.BlockSpec, pols []*policy.Filter) (objCmds, polCmds, delPols, delObjs []string, added, removed int) {
	const book = "security address-book global"
	type side struct {
		set   string
		addrs *policy.AddrSet
		dst   bool
	}
	sides := []side{{spec.Name, spec.Src, false}, {spec.Name + "-DST", spec.Dst, true}}
	// the addresses both sets need, and those the device has
	need := map[string]netip.Prefix{}
	for _, sd := range sides {
		for _, p := range allPrefixes(sd.addrs) {
			need[srxAddrName(spec.Name, p)] = p
		}
	}
	haveAddr := map[string]*policy.Object{}
	for _, o := range cfg.Objects {
		if o.Kind == "address" && o.Scope == "global" && strings.HasPrefix(o.Name, spec.Name+"_") {
			haveAddr[o.Name] = o
		}
	}
	for _, n := range sortedKeys(need) {
		p := need[n]
		if o := haveAddr[n]; o == nil || o.Addrs == nil || len(o.Addrs.Prefixes()) != 1 || o.Addrs.Prefixes()[0] != p {
			objCmds = append(objCmds, fmt.Sprintf("set %s address %s %s", book, n, p))
		}
	}
	for _, sd := range sides {
		var want []string
		for _, p := range allPrefixes(sd.addrs) {
			want = append(want, srxAddrName(spec.Name, p))
		}
		var have []string
		var obj *policy.Object
		for _, o := range cfg.Objects {
			if o.Kind == "address-set" && o.Scope == "global" && o.Name == sd.set {
				obj, have = o, o.Members
			}
		}
		active := len(want) > 0
		if active {
			add, del := vendors.DiffElems(have, want)
			for _, n := range add {
				objCmds = append(objCmds, fmt.Sprintf("set %s address-set %s address %s", book, sd.set, n))
			}
			for _, n := range del {
				objCmds = append(objCmds, fmt.Sprintf("delete %s address-set %s address %s", book, sd.set, n))
			}
			added += len(add)
			removed += len(del)
		} else if obj != nil {
			delObjs = append(delObjs, fmt.Sprintf("delete %s address-set %s", book, sd.set))
			removed += len(have)
		}
		for _, f := range pols {
			ctx, name := "from-zone "+f.Meta["from-zone"]+" to-zone "+f.Meta["to-zone"], sd.set
			if f.Meta["scope"] == "global" {
				ctx, name = "global", sd.set+"-GLOBAL"
			}
			path := "security policies " + ctx + " policy " + name
			state := srxPolicyState(f, spec.Name, name, sd.set, sd.dst)
			switch {
			case !active && state != termAbsent:
				delPols = append(delPols, "delete "+path)
			case active && state != termAtTop:
				if state == termElsewhere {
					polCmds = append(polCmds, "delete "+path)
				}
				src, dst := sd.set, "any"
				if sd.dst {
					src, dst = dst, src
				}
				polCmds = append(polCmds,
					fmt.Sprintf("set %s match source-address %s", path, src),
					fmt.Sprintf("set %s match destination-address %s", path, dst),
					fmt.Sprintf("set %s match application any", path),
					fmt.Sprintf("set %s then deny", path))
				if first := firstOtherPolicy(f, spec.Name); first != "" {
					polCmds = append(polCmds, fmt.Sprintf("insert security policies %s policy %s before policy %s", ctx, name, first))
				}
			}
		}
	}
	// addresses no set uses any more go after the sets
	for _, n := range sortedKeys(haveAddr) {
		if _, ok := need[n]; !ok {
			delObjs = append(delObjs, fmt.Sprintf("delete %s address %s", book, n))
		}
	}
	return objCmds, polCmds, delPols, delObjs, added, removed
}

func allPrefixes(s *policy.AddrSet) []netip.Prefix {
	return append(vendors.BlockPrefixes(s, false), vendors.BlockPrefixes(s, true)...)
}

// srxAddrName names the address of prefix p: letters, digits, ".", "-"
// and "_" only (IPv6 colons become "-", the length separator "_").
func srxAddrName(base string, p netip.Prefix) string {
	return base + "_" + strings.ReplaceAll(p.Addr().String(), ":", "-") + fmt.Sprintf("_%d", p.Bits())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// isBlockPolicy reports whether a rule is one of the block policies of a
// zone pair or of the global policies.
func isBlockPolicy(name, base string) bool {
	switch name {
	case base, base + "-DST", base + "-GLOBAL", base + "-DST-GLOBAL":
		return true
	}
	return false
}

// srxPolicyState tells whether policy name is among f's leading block
// policies, denying exactly the set on its side. (The copies of the
// global policies that end a zone pair's filter carry the -GLOBAL names.)
func srxPolicyState(f *policy.Filter, base, name, set string, dst bool) termPlace {
	top := true
	state := termAbsent
	for _, r := range f.Rules {
		if !isBlockPolicy(r.Name, base) {
			top = false
		}
		if r.Name != name {
			continue
		}
		m, other := &r.Match, r.Match.Dst
		addr := m.Src
		if dst {
			addr, other = m.Dst, m.Src
		}
		if top && state == termAbsent && !r.Inactive && r.Action == policy.Deny && len(addr.Refs) == 1 && addr.Refs[0] == set && !addr.Negate &&
			other.Any && !other.Negate && m.Protocols == nil && len(m.ServiceRefs) == 0 {
			state = termAtTop
			continue
		}
		return termElsewhere
	}
	return state
}

// firstOtherPolicy is the first policy that is not a block policy.
func firstOtherPolicy(f *policy.Filter, base string) string {
	for _, r := range f.Rules {
		if !isBlockPolicy(r.Name, base) {
			return r.Name
		}
	}
	return ""
}
