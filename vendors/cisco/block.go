package cisco

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// RenderBlock makes an IOS, NX-OS or EOS device enforce spec with
// configuration-mode lines (a mode line, then its entries indented by one
// space, as they appear in the running configuration).
//
// Where the platform has address groups usable in the ACL, the ranges go
// in object-groups and each protected ACL gets one deny entry per group,
// numbered just below its first entry:
//   - IOS IPv4 extended ACLs: "object-group network NAME" (NAME-DST for
//     destinations) and "deny ip object-group NAME any";
//   - NX-OS: "object-group ip address NAME" / "object-group ipv6 address
//     NAME-V6" and "deny ip addrgroup NAME any".
//
// Elsewhere (IOS IPv6 and standard ACLs, EOS) each range is its own deny
// entry below the ACL's first entry, the first one marked by a "remark
// NAME" at sequence 1; a standard ACL matches sources only, so it blocks
// the source side. Only differences from cfg are emitted, and a group is
// removed once nothing is left in it.
//
// When the new entries do not fit below the first entry that is not ours,
// the ACL is resequenced first ("ip|ipv6 access-list resequence NAME S 10"
// on IOS, "resequence S 10" inside the ACL on EOS, "resequence ip|ipv6
// access-list NAME S 10" on NX-OS), after removals by their old numbers
// and (per-range mode) after removing the marker remark: the kept block
// entries and the rest of the ACL move to S, S+10, ... in order, and the
// marker and new entries are numbered 1, 2, ... below them. S is 10000, or
// the next multiple of 10000 that leaves room for every new entry.
func RenderBlock(cfg *policy.Config, spec vendors.BlockSpec) (vendors.BlockChange, error) {
	r := &blockRender{cfg: cfg, spec: spec, dialect: cfg.Vendor, groupDone: map[string]bool{}}
	seen := map[string]bool{}
	for _, name := range spec.Filters {
		f := cfg.Filter(name)
		if seen[name] {
			continue
		}
		seen[name] = true
		if f == nil || f.Kind != "acl" || (f.Family != policy.FamilyIPv4 && f.Family != policy.FamilyIPv6) {
			continue
		}
		var err error
		if r.groupMode(f) {
			err = r.groupACL(f)
		} else {
			err = r.entriesACL(f)
		}
		if err != nil {
			return vendors.BlockChange{}, err
		}
	}
	// groups no longer referenced by any protected ACL go last
	for _, g := range r.dropGroups {
		r.tail = append(r.tail, "no "+g)
	}
	r.ch.Commands = append(append(r.groups, r.acls...), r.tail...)
	return r.ch, nil
}

type blockRender struct {
	cfg        *policy.Config
	spec       vendors.BlockSpec
	dialect    string
	groups     []string // group creation/changes, before ACL entries
	acls       []string
	tail       []string
	groupDone  map[string]bool
	dropGroups []string
	ch         vendors.BlockChange
}

func (r *blockRender) groupMode(f *policy.Filter) bool {
	switch r.dialect {
	case "nxos":
		return true
	case "ios":
		return f.Family == policy.FamilyIPv4 && f.Meta["type"] != "standard"
	}
	return false
}

// aclHeader is the line entering the ACL's configuration mode.
func (r *blockRender) aclHeader(f *policy.Filter) string {
	v6 := f.Family == policy.FamilyIPv6
	switch {
	case v6:
		return "ipv6 access-list " + f.Name
	case r.dialect == "nxos":
		return "ip access-list " + f.Name
	case f.Meta["type"] == "standard":
		return "ip access-list standard " + f.Name
	case r.dialect == "eos":
		return "ip access-list " + f.Name
	}
	return "ip access-list extended " + f.Name
}

func (r *blockRender) groupHeader(name string, v6 bool) string {
	if r.dialect == "nxos" {
		if v6 {
			return "object-group ipv6 address " + name
		}
		return "object-group ip address " + name
	}
	return "object-group network " + name
}

func (r *blockRender) groupEntry(p netip.Prefix) string {
	if r.dialect == "nxos" {
		return p.String()
	}
	if p.IsSingleIP() {
		return "host " + p.Addr().String()
	}
	return p.Addr().String() + " " + netmask(p)
}

func netmask(p netip.Prefix) string {
	m := ^uint32(0) << (32 - p.Bits())
	if p.Bits() == 0 {
		m = 0
	}
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

func wildcard(p netip.Prefix) string {
	m := ^uint32(0) >> p.Bits()
	if p.Bits() == 0 {
		m = ^uint32(0)
	}
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

func seqOf(rule *policy.Rule) (int, bool) {
	n, err := strconv.Atoi(rule.Name)
	return n, err == nil
}

// blockSide is one direction of the block.
type blockSide struct {
	dst  bool
	set  *policy.AddrSet
	base string // group base name
}

func (r *blockRender) sides() []blockSide {
	return []blockSide{{false, r.spec.Src, r.spec.Name}, {true, r.spec.Dst, r.spec.Name + "-DST"}}
}

// groupACL protects f with group-referencing deny entries.
func (r *blockRender) groupACL(f *policy.Filter) error {
	v6 := f.Family == policy.FamilyIPv6
	ipKw := "ip"
	if v6 {
		ipKw = "ipv6"
	}
	refKw := "object-group"
	if r.dialect == "nxos" {
		refKw = "addrgroup"
	}
	// leading block entries: those referencing our groups
	groupNames := map[string]bool{}
	for _, sd := range r.sides() {
		groupNames[r.groupName(sd, v6)] = true
	}
	first, used := 0, map[int]bool{}
	have := map[string]int{} // "src NAME" -> seq of a correct entry
	var stale []int
	for _, rule := range f.Rules {
		seq, ok := seqOf(rule)
		isBlock := ok && (refsOne(rule.Match.Src, groupNames) || refsOne(rule.Match.Dst, groupNames))
		if !isBlock {
			if ok {
				first = seq
			}
			break
		}
		used[seq] = true
		m, other, key := rule.Match.Src, rule.Match.Dst, "src "
		if !refsOne(m, groupNames) {
			m, other, key = other, m, "dst "
		}
		if rule.Action == policy.Deny && !rule.Inactive && other.Any && !other.Negate && !m.Negate && rule.Match.Protocols == nil {
			if _, dup := have[key+m.Refs[0]]; !dup {
				have[key+m.Refs[0]] = seq
				continue
			}
		}
		stale = append(stale, seq)
	}
	var lines []string
	for _, seq := range stale {
		lines = append(lines, fmt.Sprintf(" no %d", seq))
		delete(used, seq)
	}
	var adds []string
	for _, sd := range r.sides() {
		name := r.groupName(sd, v6)
		want := vendors.BlockPrefixes(sd.set, v6)
		r.syncGroup(name, v6, want)
		key := "src " + name
		if sd.dst {
			key = "dst " + name
		}
		seq, present := have[key]
		switch {
		case len(want) == 0 && present:
			lines = append(lines, fmt.Sprintf(" no %d", seq))
			delete(used, seq)
		case len(want) > 0 && !present:
			src, dst := refKw+" "+name, "any"
			if sd.dst {
				src, dst = dst, src
			}
			adds = append(adds, fmt.Sprintf("deny %s %s %s", ipKw, src, dst))
		}
	}
	// new entries take the highest free numbers below the first entry that
	// is not ours; without room the ACL is resequenced first and they are
	// numbered from 1
	var seqs []int
	for range adds {
		s, err := freeSeq(used, first, 1)
		if err != nil {
			seqs = nil
			break
		}
		used[s] = true
		seqs = append(seqs, s)
	}
	if len(seqs) < len(adds) {
		lines = append(lines, r.resequenceCmd(f, resequenceStart(len(adds))), r.aclHeader(f))
		for i := range adds {
			seqs = append(seqs, 1+i)
		}
	}
	for i, a := range adds {
		lines = append(lines, fmt.Sprintf(" %d %s", seqs[i], a))
	}
	if len(lines) > 0 {
		r.acls = append(r.acls, r.aclHeader(f))
		r.acls = append(r.acls, lines...)
	}
	return nil
}

func (r *blockRender) groupName(sd blockSide, v6 bool) string {
	if v6 {
		return sd.base + "-V6"
	}
	return sd.base
}

func refsOne(m policy.AddrMatch, names map[string]bool) bool {
	return len(m.Refs) == 1 && names[m.Refs[0]]
}

// syncGroup brings the object-group to want (once per render).
func (r *blockRender) syncGroup(name string, v6 bool, want []netip.Prefix) {
	if r.groupDone[name] {
		return
	}
	r.groupDone[name] = true
	var have []netip.Prefix
	var obj *policy.Object
	for _, o := range r.cfg.Objects {
		if o.Kind == "network-group" && o.Name == name {
			obj = o
			have = vendors.BlockPrefixes(o.Addrs, v6)
		}
	}
	if len(want) == 0 {
		if obj != nil {
			r.dropGroups = append(r.dropGroups, r.groupHeader(name, v6))
			r.ch.Removed += len(have)
		}
		return
	}
	add, del := vendors.DiffElems(have, want)
	if len(add)+len(del) == 0 {
		return
	}
	r.groups = append(r.groups, r.groupHeader(name, v6))
	for _, p := range del {
		r.groups = append(r.groups, " no "+r.groupEntry(p))
	}
	for _, p := range add {
		r.groups = append(r.groups, " "+r.groupEntry(p))
	}
	r.ch.Added += len(add)
	r.ch.Removed += len(del)
}

// freeSeq picks the highest unused sequence number in [lo, first) (any
// number above lo when the ACL has no other entry).
func freeSeq(used map[int]bool, first, lo int) (int, error) {
	if first == 0 {
		s := lo
		for used[s] {
			s++
		}
		return s, nil
	}
	for s := first - 1; s >= lo; s-- {
		if !used[s] {
			return s, nil
		}
	}
	return 0, fmt.Errorf("no free sequence number below %d", first)
}

// resequenceStart is the first number a resequence gives the ACL so that
// the marker and n new entries fit below it: 10000, or the next multiple
// of 10000 with room.
func resequenceStart(n int) int {
	s := 10000
	for s < n+2 {
		s += 10000
	}
	return s
}

// resequenceCmd renumbers f from start in steps of 10 (global
// configuration mode; EOS does it inside the ACL).
func (r *blockRender) resequenceCmd(f *policy.Filter, start int) string {
	kw := "ip"
	if f.Family == policy.FamilyIPv6 {
		kw = "ipv6"
	}
	if r.dialect == "nxos" {
		return fmt.Sprintf("resequence %s access-list %s %d 10", kw, f.Name, start)
	}
	return fmt.Sprintf("%s access-list resequence %s %d 10", kw, f.Name, start)
}

// entriesACL protects f with one deny entry per range.
func (r *blockRender) entriesACL(f *policy.Filter) error {
	v6 := f.Family == policy.FamilyIPv6
	std := f.Meta["type"] == "standard"
	want := map[string]bool{}
	var wantKeys []string
	for _, sd := range r.sides() {
		if sd.dst && std {
			continue
		}
		for _, p := range vendors.BlockPrefixes(sd.set, v6) {
			k := entryKey(sd.dst, p)
			want[k] = true
			wantKeys = append(wantKeys, k)
		}
	}
	// the block run: leading plain deny entries, the first carrying the marker remark
	have := map[string]int{}
	used := map[int]bool{}
	first := 0
	marked := len(f.Rules) > 0 && strings.Contains(f.Rules[0].Extras.Comment, r.spec.Name)
	for i, rule := range f.Rules {
		seq, ok := seqOf(rule)
		k, plain := plainDeny(rule, std)
		if !marked || !ok || !plain || (i > 0 && rule.Extras.Comment != "" && !strings.Contains(rule.Extras.Comment, r.spec.Name)) {
			if ok {
				first = seq
			}
			break
		}
		if _, dup := have[k]; dup {
			k = fmt.Sprintf("dup %d", seq)
		}
		have[k] = seq
		used[seq] = true
	}
	var lines []string
	var haveKeys []string
	for k := range have {
		haveKeys = append(haveKeys, k)
	}
	sort.Slice(haveKeys, func(i, j int) bool { return have[haveKeys[i]] < have[haveKeys[j]] })
	removed := 0
	for _, k := range haveKeys {
		if !want[k] {
			lines = append(lines, fmt.Sprintf(" no %d", have[k]))
			delete(used, have[k])
			removed++
		}
	}
	var adds []string
	for _, k := range wantKeys {
		if _, ok := have[k]; !ok {
			adds = append(adds, k)
		}
	}
	kept := len(have) - removed
	// The marker remark is at 1 and new entries take the lowest free
	// numbers above it, below the first entry that is not ours. Without
	// that room the ACL is resequenced first: the marker goes, the kept
	// block entries and the rest of the ACL move to start..., and the
	// marker and the new entries are numbered 1.. below them.
	var slots []int
	reseq := 0
	if len(adds) > 0 {
		used[1] = true
		for s := 2; len(slots) < len(adds); s++ {
			if first != 0 && s >= first {
				slots = nil
				reseq = resequenceStart(len(adds))
				break
			}
			if !used[s] {
				slots = append(slots, s)
			}
		}
	}
	switch {
	case reseq > 0:
		if len(have) > 0 {
			lines = append(lines, " no 1") // the marker, renumbered otherwise
		}
		if r.dialect == "eos" {
			lines = append(lines, fmt.Sprintf(" resequence %d 10", reseq))
		} else {
			lines = append(lines, r.resequenceCmd(f, reseq))
			lines = append(lines, r.aclHeader(f))
		}
		lines = append(lines, " "+r.seqPrefix(f, 1)+"remark "+r.spec.Name+" (fwpol blocklist)")
		for i := range adds {
			slots = append(slots, 2+i)
		}
	case len(have) == 0 && len(adds) > 0:
		lines = append(lines, " "+r.seqPrefix(f, 1)+"remark "+r.spec.Name+" (fwpol blocklist)")
	}
	for i, k := range adds {
		lines = append(lines, " "+r.seqPrefix(f, slots[i])+r.aceFor(k, v6, std))
	}
	if len(have) > 0 && kept == 0 && len(adds) == 0 {
		lines = append(lines, " no 1") // the marker remark
	}
	r.ch.Added += len(adds)
	r.ch.Removed += removed
	if len(lines) > 0 {
		r.acls = append(r.acls, r.aclHeader(f))
		r.acls = append(r.acls, lines...)
	}
	return nil
}

// seqPrefix is how an entry is numbered: IOS IPv6 ACLs use "sequence N".
func (r *blockRender) seqPrefix(f *policy.Filter, seq int) string {
	if r.dialect == "ios" && f.Family == policy.FamilyIPv6 {
		return fmt.Sprintf("sequence %d ", seq)
	}
	return fmt.Sprintf("%d ", seq)
}

func entryKey(dst bool, p netip.Prefix) string {
	if dst {
		return "dst " + p.String()
	}
	return "src " + p.String()
}

// plainDeny recognises "deny ip P any" / "deny ip any P" (standard: "deny
// P") with P one prefix, returning its key.
func plainDeny(rule *policy.Rule, std bool) (string, bool) {
	if rule.Action != policy.Deny || rule.Inactive || rule.Match.Protocols != nil || rule.Match.SrcPorts != nil || rule.Match.DstPorts != nil {
		return "", false
	}
	one := func(m policy.AddrMatch) (netip.Prefix, bool) {
		if m.Any || m.Negate || len(m.Refs) > 0 || len(m.Set.Wildcards()) > 0 {
			return netip.Prefix{}, false
		}
		ps := m.Set.Prefixes()
		if len(ps) != 1 {
			return netip.Prefix{}, false
		}
		return ps[0], true
	}
	src, dst := rule.Match.Src, rule.Match.Dst
	if std {
		// standard ACL addresses are sources on IOS/NX-OS/EOS
		if p, ok := one(src); ok && dst.Any {
			return entryKey(false, p), true
		}
		return "", false
	}
	if p, ok := one(src); ok && dst.Any && !dst.Negate {
		return entryKey(false, p), true
	}
	if p, ok := one(dst); ok && src.Any && !src.Negate {
		return entryKey(true, p), true
	}
	return "", false
}

func (r *blockRender) aceFor(key string, v6, std bool) string {
	side, pfx, _ := strings.Cut(key, " ")
	p := netip.MustParsePrefix(pfx)
	addr := p.String()
	if !v6 && r.dialect == "ios" {
		if p.IsSingleIP() {
			addr = "host " + p.Addr().String()
		} else {
			addr = p.Addr().String() + " " + wildcard(p)
		}
	}
	if std {
		return "deny " + addr
	}
	kw := "ip"
	if v6 {
		kw = "ipv6"
	}
	if side == "dst" {
		return fmt.Sprintf("deny %s any %s", kw, addr)
	}
	return fmt.Sprintf("deny %s %s any", kw, addr)
}
