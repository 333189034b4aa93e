package nftables

import (
	"fmt"
	"strings"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// RenderBlock makes an nftables host enforce spec with nft commands (one
// script for "nft -f", applied as one transaction): in each table holding
// a protected base chain, named interval sets NAME / NAME-V6 (sources) and
// NAME-DST / NAME-DST-V6 (destinations) with the exact ranges as elements,
// and a rule "ip saddr @NAME drop" (ip6/daddr alike) inserted at the top
// of the chain. Only element differences are emitted.
//
// nft deletes rules only by handle. When cfg was read from "nft -a list
// ruleset" (rule names are handles), a set with nothing left to block is
// deleted with its drop rules ("delete rule FAMILY TABLE CHAIN handle N",
// then "delete set ..."), unless some other rule uses the set. Without
// handles a rule once added stays: its set is emptied and it matches
// nothing.
func RenderBlock(cfg *policy.Config, spec vendors.BlockSpec) (vendors.BlockChange, error) {
	var ch vendors.BlockChange
	type tableKey struct{ family, table string }
	type side struct {
		name, field string
		v6, dst     bool
		set         *policy.AddrSet
	}
	var sides []side
	for _, v6 := range []bool{false, true} {
		sfx, kw := "", "ip"
		if v6 {
			sfx, kw = "-V6", "ip6"
		}
		sides = append(sides, side{spec.Name + sfx, kw + " saddr", v6, false, spec.Src}, side{spec.Name + "-DST" + sfx, kw + " daddr", v6, true, spec.Dst})
	}
	var setCmds, ruleCmds, ruleDels, setDels []string
	done := map[string]bool{}
	// with "nft -a" handles, rules can be deleted: an emptied set goes
	// with its drop rules
	handles := cfg.Format == "ruleset-handles"
	seen := map[string]bool{}
	for _, n := range spec.Filters {
		f := cfg.Filter(n)
		if f == nil || f.Kind != "nft-chain" || f.Meta["hook"] == "" || f.Meta["type"] != "filter" || seen[n] {
			continue
		}
		seen[n] = true
		tk := tableKey{f.Meta["family"], f.Meta["table"]}
		for _, sd := range sides {
			if (sd.v6 && tk.family == "ip") || (!sd.v6 && tk.family == "ip6") || (tk.family != "ip" && tk.family != "ip6" && tk.family != "inet") {
				continue
			}
			want := vendors.BlockRanges(sd.set, sd.v6)
			obj := setObject(cfg, tk.table, sd.name)
			var have []netipx.IPRange
			if obj != nil {
				have = vendors.BlockRanges(obj.Addrs, sd.v6)
			}
			if len(want) == 0 && obj == nil {
				continue
			}
			ref := tk.family + " " + tk.table + " " + sd.name
			if key := ref; !done[key] {
				done[key] = true
				if len(want) == 0 && handles {
					if dels, ok := dropRules(cfg, tk.family, tk.table, spec.Name, sd.name, sd.dst); ok {
						ruleDels = append(ruleDels, dels...)
						setDels = append(setDels, "delete set "+ref)
						ch.Removed += len(have)
						continue
					}
				}
				if obj == nil {
					typ := "ipv4_addr"
					if sd.v6 {
						typ = "ipv6_addr"
					}
					setCmds = append(setCmds, fmt.Sprintf("add set %s { type %s; flags interval; }", ref, typ))
				}
				add, del := vendors.DiffElems(have, want)
				setCmds = append(setCmds, elementCmds("delete element "+ref, del)...)
				setCmds = append(setCmds, elementCmds("add element "+ref, add)...)
				ch.Added += len(add)
				ch.Removed += len(del)
			}
			if len(want) > 0 && !ruleAtTop(f, spec.Name, sd.name, sd.dst) {
				ruleCmds = append(ruleCmds, fmt.Sprintf("insert rule %s %s %s %s @%s drop", tk.family, tk.table, f.Meta["chain"], sd.field, sd.name))
			}
		}
	}
	ch.Commands = append(append(append(setCmds, ruleCmds...), ruleDels...), setDels...)
	return ch, nil
}

// dropRules returns "delete rule ... handle N" for every rule of the table
// that uses set name, when all of them are block drop rules (then the set
// can go too); ok is false when another rule uses the set.
func dropRules(cfg *policy.Config, family, table, base, name string, dst bool) (cmds []string, ok bool) {
	seen := map[string]bool{}
	for _, f := range cfg.Filters {
		if f.Kind != "nft-chain" || f.Meta["family"] != family || f.Meta["table"] != table {
			continue
		}
		for _, r := range f.Rules {
			m, other := r.Match.Src, r.Match.Dst
			if dst {
				m, other = other, m
			}
			if !hasRef(r.Match.Src, name) && !hasRef(r.Match.Dst, name) {
				continue
			}
			if !hasRef(m, name) || m.Negate || !familyWide(other) || r.Action != policy.Deny || r.Match.Protocols != nil || r.Match.NotInitial || !isHandle(r.Name) {
				return nil, false
			}
			k := f.Meta["chain"] + " " + r.Name
			if !seen[k] {
				seen[k] = true
				cmds = append(cmds, fmt.Sprintf("delete rule %s %s %s handle %s", family, table, f.Meta["chain"], r.Name))
			}
		}
	}
	return cmds, true
}

func isHandle(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func setObject(cfg *policy.Config, table, name string) *policy.Object {
	for _, o := range cfg.Objects {
		if o.Kind == "nft-set" && o.Name == name && o.Scope == table {
			return o
		}
	}
	return nil
}

// elementCmds batches elements, 512 to a command.
func elementCmds(prefix string, rs []netipx.IPRange) []string {
	var out []string
	for len(rs) > 0 {
		n := min(len(rs), 512)
		parts := make([]string, n)
		for i, r := range rs[:n] {
			parts[i] = elem(r)
		}
		out = append(out, prefix+" { "+strings.Join(parts, ", ")+" }")
		rs = rs[n:]
	}
	return out
}

func elem(r netipx.IPRange) string {
	if r.From() == r.To() {
		return r.From().String()
	}
	if p, ok := r.Prefix(); ok {
		return p.String()
	}
	return r.From().String() + "-" + r.To().String()
}

// ruleAtTop reports whether the set's drop rule is among the chain's
// leading block rules.
func ruleAtTop(f *policy.Filter, base, name string, dst bool) bool {
	for _, r := range f.Rules {
		m, other := r.Match.Src, r.Match.Dst
		if dst {
			m, other = other, m
		}
		if hasRef(m, name) && !m.Negate && familyWide(other) && r.Action == policy.Deny && r.Match.Protocols == nil && !r.Match.NotInitial {
			return true
		}
		if !refsBlock(r, base) {
			return false
		}
	}
	return false
}

func hasRef(m policy.AddrMatch, name string) bool {
	for _, ref := range m.Refs {
		if strings.TrimPrefix(ref, "@") == name {
			return true
		}
	}
	return false
}

func refsBlock(r *policy.Rule, base string) bool {
	for _, m := range []policy.AddrMatch{r.Match.Src, r.Match.Dst} {
		for _, ref := range m.Refs {
			if strings.HasPrefix(strings.TrimPrefix(ref, "@"), base) {
				return true
			}
		}
	}
	return false
}

// familyWide reports whether an address condition is "any" or all of one
// family (how "ip daddr @S" in an inet chain restricts the other address).
func familyWide(m policy.AddrMatch) bool {
	if m.Any {
		return !m.Negate
	}
	if m.Negate || m.Set == nil {
		return false
	}
	ps := m.Set.Prefixes()
	return len(ps) == 1 && ps[0].Bits() == 0
}
