// Package linux builds the Linux half of the push dialect: from the ruleset
// a host runs now and the one it should run, the atomic payloads that apply
// the change and that roll it back. It runs nothing itself (no SSH here): a
// Plan is a list of commands with their standard input, run in order; a
// transport runs them on the host (or, in tests, inside a namespace).
//
//   - nftables: one `nft -f -` transaction that deletes and recreates only
//     the tables whose content changes (tables the desired ruleset does not
//     declare are left alone). nft applies a file atomically: the kernel
//     switches from the old to the new tables at once, or refuses it all.
//   - iptables: an `iptables-restore --noflush` payload per table that
//     flushes and refills only the chains that change (policies included),
//     creates new user chains and deletes dropped ones; each table is
//     committed atomically by the kernel.
//   - ipset: sets that change are filled under a temporary name and
//     swapped in (`ipset restore`: create -exist, add, swap, destroy), so a
//     rule never sees a half-filled set; sets are loaded before the rules
//     that use them.
//
// Rollback restores the saved ruleset: `nft -f` of "flush ruleset" plus the
// saved text; `iptables-restore` of the saved iptables-save text (every
// table it names is restored whole); the saved sets swapped back, and sets
// the apply created destroyed after the rules no longer use them.
package linux

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/iptables"
	"github.com/fwpol/fwpol/vendors/nftables"
)

// Step is one command of a payload: run Name with Args, feeding Stdin.
type Step struct {
	Name  string   `json:"name"`
	Args  []string `json:"args"`
	Stdin []byte   `json:"stdin"`
}

func (s Step) String() string { return strings.Join(append([]string{s.Name}, s.Args...), " ") }

// Plan is what applying a desired ruleset takes, and what undoes it.
type Plan struct {
	Apply    []Step `json:"apply"`
	Rollback []Step `json:"rollback"`
	// Changed names what the apply replaces ("inet filter", "filter/INPUT",
	// "ipset blocklist"); empty when the host already runs the desired
	// ruleset (Apply is then empty too).
	Changed []string `json:"changed"`
}

// NftOptions tune NftPlan.
type NftOptions struct {
	// DeleteMissing also deletes tables the current ruleset has and the
	// desired one does not declare (default: left alone).
	DeleteMissing bool
}

// NftPlan compares the current ruleset (`nft list ruleset` output) with the
// desired one (any nft -f text fwpol parses) table by table, through
// fwpol's canonical rendering, and returns the transaction that replaces
// the tables that differ.
func NftPlan(current, desired []byte, opt NftOptions) (*Plan, error) {
	cur, err := nftTables("current", current, true)
	if err != nil {
		return nil, err
	}
	want, err := nftTables("desired", desired, false)
	if err != nil {
		return nil, err
	}
	p := &Plan{}
	var tx bytes.Buffer
	tx.WriteString("#!/usr/sbin/nft -f\n# fwpol apply: replaces only the tables that change, in one transaction\n")
	for _, t := range want.order {
		if old, ok := cur.blocks[t]; ok && old == want.blocks[t] {
			continue
		}
		p.Changed = append(p.Changed, t)
		// "table F N {}" creates it when missing, so the delete never fails
		fmt.Fprintf(&tx, "table %s {}\ndelete table %s\n%s", t, t, want.blocks[t])
	}
	if opt.DeleteMissing {
		for _, t := range cur.order {
			if _, ok := want.blocks[t]; !ok {
				p.Changed = append(p.Changed, t)
				fmt.Fprintf(&tx, "delete table %s\n", t)
			}
		}
	}
	if len(p.Changed) == 0 {
		return p, nil
	}
	p.Apply = []Step{{Name: "nft", Args: []string{"-f", "-"}, Stdin: tx.Bytes()}}
	var rb bytes.Buffer
	rb.WriteString("#!/usr/sbin/nft -f\n# fwpol rollback: the saved ruleset, in one transaction\nflush ruleset\n")
	rb.Write(current)
	if len(current) > 0 && current[len(current)-1] != '\n' {
		rb.WriteByte('\n')
	}
	p.Rollback = []Step{{Name: "nft", Args: []string{"-f", "-"}, Stdin: rb.Bytes()}}
	return p, nil
}

type nftSet struct {
	order  []string          // "family name"
	blocks map[string]string // rendered "table ... { ... }\n"
}

// nftTables renders a ruleset canonically and splits it into table blocks.
// A current table holding what the model cannot render is marked as
// always different (it is replaced, never assumed equal).
func nftTables(what string, data []byte, lenient bool) (*nftSet, error) {
	cfg, err := nftables.Parse(what, data)
	if err != nil {
		return nil, fmt.Errorf("%s ruleset: %w", what, err)
	}
	format := ""
	if lenient {
		format = "skip-unmodelled"
	}
	r, err := nftables.RenderRuleset(cfg, vendors.RenderOptions{Format: format})
	if err != nil {
		return nil, fmt.Errorf("%s ruleset: %w", what, err)
	}
	s := &nftSet{blocks: map[string]string{}}
	lines := strings.SplitAfter(string(r.Text), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "table ") {
			continue
		}
		f := strings.Fields(l)
		key := f[1] + " " + f[2]
		var b strings.Builder
		for ; i < len(lines); i++ {
			b.WriteString(lines[i])
			if lines[i] == "}\n" {
				break
			}
		}
		block := b.String()
		if lenient && strings.Contains(block, "# fwpol: rule ") && strings.Contains(block, " not rendered: ") {
			block += "# unmodelled content: always replaced\n"
		}
		s.order = append(s.order, key)
		s.blocks[key] = block
	}
	// tables without chains are not filters: keep them out of the plan
	return s, nil
}

// IptablesPlan compares the current iptables-save (or ip6tables-save)
// output with a desired iptables-restore ruleset, and the current `ipset
// save` output with the desired sets (either may be nil), and returns the
// payloads: ipset restore, then iptables-restore --noflush for the chains
// that change. Rollback restores the saved ruleset and sets.
func IptablesPlan(current, desired, currentSets, desiredSets []byte) (*Plan, error) {
	cur, _, err := iptRuleset("current", current, currentSets)
	if err != nil {
		return nil, err
	}
	// every set the host has (not only those its rules use)
	curSets := &ipsetState{sets: map[string]*ipsetContent{}}
	if len(bytes.TrimSpace(currentSets)) > 0 {
		if err := readSets("current", currentSets, curSets); err != nil {
			return nil, err
		}
	}
	want, wantSets, err := iptRuleset("desired", desired, desiredSets)
	if err != nil {
		return nil, err
	}
	if cur.v6 != want.v6 && len(cur.tables) > 0 {
		return nil, fmt.Errorf("current ruleset is %s, desired is %s", famName(cur.v6), famName(want.v6))
	}
	p := &Plan{}
	// sets the desired rules use that are new or differ
	var setApply, setRollback, setDestroy bytes.Buffer
	for _, name := range wantSets.order {
		w := wantSets.sets[name]
		old, existed := curSets.sets[name]
		if existed && old.entries == w.entries {
			continue
		}
		p.Changed = append(p.Changed, "ipset "+name)
		swapIn(&setApply, name, w, want.v6)
		if existed {
			swapIn(&setRollback, name, old, want.v6)
		} else {
			fmt.Fprintf(&setDestroy, "destroy %s\n", name)
		}
	}
	var apply bytes.Buffer
	for _, tn := range want.order {
		wt := want.tables[tn]
		ct := cur.tables[tn]
		var changed []*iptChain
		for _, cn := range wt.order {
			wc := wt.chains[cn]
			if ct != nil {
				if cc, ok := ct.chains[cn]; ok && cc.policy == wc.policy && cc.rules == wc.rules {
					continue
				}
			}
			changed = append(changed, wc)
		}
		var dropped []string
		if ct != nil {
			for _, cn := range ct.order {
				if _, ok := wt.chains[cn]; !ok && !ct.chains[cn].builtin {
					dropped = append(dropped, cn)
				}
			}
		}
		if len(changed) == 0 && len(dropped) == 0 {
			continue
		}
		fmt.Fprintf(&apply, "*%s\n", tn)
		for _, c := range changed {
			p.Changed = append(p.Changed, tn+"/"+c.name)
			fmt.Fprintf(&apply, ":%s %s [0:0]\n", c.name, c.policy)
		}
		for _, c := range changed {
			fmt.Fprintf(&apply, "-F %s\n", c.name)
		}
		for _, cn := range dropped {
			// rules jumping to it are in changed chains, flushed above
			fmt.Fprintf(&apply, "-F %s\n", cn)
		}
		for _, c := range changed {
			apply.WriteString(c.rules)
		}
		for _, cn := range dropped {
			p.Changed = append(p.Changed, tn+"/"+cn+" (deleted)")
			fmt.Fprintf(&apply, "-X %s\n", cn)
		}
		apply.WriteString("COMMIT\n")
	}
	if len(p.Changed) == 0 {
		return p, nil
	}
	bin := "iptables-restore"
	if want.v6 {
		bin = "ip6tables-restore"
	}
	if setApply.Len() > 0 {
		p.Apply = append(p.Apply, Step{Name: "ipset", Args: []string{"restore"}, Stdin: setApply.Bytes()})
	}
	if apply.Len() > 0 {
		p.Apply = append(p.Apply, Step{Name: bin, Args: []string{"--noflush"}, Stdin: apply.Bytes()})
	}
	// rollback: sets the old rules use first, then the rules, then drop
	// the sets only the new rules used
	if setRollback.Len() > 0 {
		p.Rollback = append(p.Rollback, Step{Name: "ipset", Args: []string{"restore"}, Stdin: setRollback.Bytes()})
	}
	if apply.Len() > 0 {
		p.Rollback = append(p.Rollback, Step{Name: bin, Stdin: iptRollback(current, cur, want)})
	}
	if setDestroy.Len() > 0 {
		p.Rollback = append(p.Rollback, Step{Name: "ipset", Args: []string{"restore"}, Stdin: setDestroy.Bytes()})
	}
	return p, nil
}

// iptRollback is the saved ruleset, plus (for tables only the desired
// ruleset had) the empty table, so a plain iptables-restore undoes all.
func iptRollback(current []byte, cur, want *iptRules) []byte {
	var b bytes.Buffer
	b.Write(current)
	if len(current) > 0 && current[len(current)-1] != '\n' {
		b.WriteByte('\n')
	}
	for _, tn := range want.order {
		if _, ok := cur.tables[tn]; ok {
			continue
		}
		fmt.Fprintf(&b, "*%s\n", tn)
		for _, cn := range want.tables[tn].order {
			if c := want.tables[tn].chains[cn]; c.builtin {
				fmt.Fprintf(&b, ":%s ACCEPT [0:0]\n", cn)
			}
		}
		b.WriteString("COMMIT\n")
	}
	return b.Bytes()
}

func famName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// swapIn fills a temporary set and swaps it with name: the swap is atomic
// for the rules using the set.
func swapIn(b *bytes.Buffer, name string, s *ipsetContent, v6 bool) {
	tmp := "fwpol-tmp-" + fmt.Sprintf("%08x", fnv32(name))
	fam := "inet"
	if v6 {
		fam = "inet6"
	}
	fmt.Fprintf(b, "create %s hash:net family %s hashsize 1024 maxelem %d -exist\n", tmp, fam, s.maxelem)
	fmt.Fprintf(b, "flush %s\n", tmp)
	for _, e := range strings.Split(strings.TrimSpace(s.entries), "\n") {
		if e != "" {
			fmt.Fprintf(b, "add %s %s\n", tmp, e)
		}
	}
	fmt.Fprintf(b, "create %s hash:net family %s hashsize 1024 maxelem %d -exist\n", name, fam, s.maxelem)
	fmt.Fprintf(b, "swap %s %s\n", tmp, name)
	fmt.Fprintf(b, "destroy %s\n", tmp)
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

type iptRules struct {
	v6     bool
	order  []string
	tables map[string]*iptTable
}

type iptTable struct {
	order  []string
	chains map[string]*iptChain
}

type iptChain struct {
	name, policy string
	builtin      bool
	rules        string // canonical "-A ..." lines
}

type ipsetContent struct {
	entries string // canonical sorted "add" values, one a line
	maxelem int
}

type ipsetState struct {
	order []string
	sets  map[string]*ipsetContent
}

// iptRuleset parses and canonically renders a ruleset (with its sets).
func iptRuleset(what string, rules, sets []byte) (*iptRules, *ipsetState, error) {
	st := &ipsetState{sets: map[string]*ipsetContent{}}
	out := &iptRules{tables: map[string]*iptTable{}}
	if len(bytes.TrimSpace(rules)) == 0 {
		if len(sets) > 0 {
			if err := readSets(what, sets, st); err != nil {
				return nil, nil, err
			}
		}
		return out, st, nil
	}
	cfg, err := iptables.Parse(what, rules)
	if err != nil {
		return nil, nil, fmt.Errorf("%s ruleset: %w", what, err)
	}
	cfg.Device = what
	configs := []*policy.Config{cfg}
	if len(sets) > 0 {
		sc, err := iptables.ParseIPSet(what+".ipset", sets)
		if err != nil {
			return nil, nil, fmt.Errorf("%s sets: %w", what, err)
		}
		sc.Device = what
		configs = append(configs, sc)
		iptables.Link(configs)
	}
	r, err := iptables.RenderRuleset(cfg, vendors.RenderOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s ruleset: %w", what, err)
	}
	out.v6 = r.V6
	if err := readSets(what, r.IPSets, st); err != nil {
		return nil, nil, err
	}
	var t *iptTable
	for _, l := range strings.SplitAfter(string(r.Rules), "\n") {
		switch {
		case strings.HasPrefix(l, "*"):
			name := strings.TrimSpace(l[1:])
			t = &iptTable{chains: map[string]*iptChain{}}
			out.tables[name] = t
			out.order = append(out.order, name)
		case strings.HasPrefix(l, ":"):
			f := strings.Fields(l[1:])
			c := &iptChain{name: f[0], policy: f[1], builtin: f[1] != "-"}
			t.chains[c.name] = c
			t.order = append(t.order, c.name)
		case strings.HasPrefix(l, "-A "):
			f := strings.SplitN(l, " ", 3)
			t.chains[f[1]].rules += l
		}
	}
	return out, st, nil
}

// readSets reads rendered (hash:net) `ipset restore` text.
func readSets(what string, data []byte, st *ipsetState) error {
	sc, err := iptables.ParseIPSet(what+".ipset", data)
	if err != nil {
		return fmt.Errorf("%s sets: %w", what, err)
	}
	for _, o := range sc.Objects {
		var es []string
		for _, p := range o.Addrs.Prefixes() {
			if p.Bits() == 0 {
				return fmt.Errorf("%s sets: set %s holds a /0, which hash:net cannot", what, o.Name)
			}
			es = append(es, p.String())
		}
		sort.Strings(es)
		n := 65536
		for n < len(es) {
			n *= 2
		}
		if _, dup := st.sets[o.Name]; !dup {
			st.order = append(st.order, o.Name)
		}
		st.sets[o.Name] = &ipsetContent{entries: strings.Join(es, "\n"), maxelem: n}
	}
	return nil
}
