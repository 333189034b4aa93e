package blocklist

import (
	"fmt"
	"sort"
	"time"

	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/registry"
)

// ObjectName is the name of the block object (prefix-list, object-group,
// ipset, nft set) on every device.
const ObjectName = "FWPOL-BLOCK"

// DeviceChange is what one device (one config file of it) needs.
type DeviceChange struct {
	Site     string   `json:"site,omitempty"`
	Device   string   `json:"device"`
	Vendor   string   `json:"vendor"`
	File     string   `json:"file"`
	Filters  []string `json:"filters"`
	Src      []string `json:"src"`
	Dst      []string `json:"dst"`
	Commands []string `json:"commands"`
	Added    int      `json:"added"`
	Removed  int      `json:"removed"`
	// Unprotected lists bound filters fwpol cannot put a block in front of
	// (with why).
	Unprotected []string `json:"unprotected,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// supportedKinds are the filter kinds each vendor's RenderBlock protects.
var supportedKinds = map[string]bool{
	"junos-filter": true, "junos-filter-list": true, "acl": true, "iptables-chain": true, "nft-chain": true,
	"srx-policy": true,
}

// BoundFilters are the entry filters of c that are bound somewhere, in
// source order, with the bound filters the renderers cannot protect.
func BoundFilters(c *policy.Config) (names, unprotected []string) {
	bound := map[string]bool{}
	for _, b := range c.Bindings {
		bound[b.Filter] = true
	}
	for _, f := range c.Filters {
		if !f.Entry || !bound[f.Name] {
			continue
		}
		if !supportedKinds[f.Kind] {
			unprotected = append(unprotected, fmt.Sprintf("%s (%s not supported)", f.Name, f.Kind))
			continue
		}
		names = append(names, f.Name)
	}
	return names, unprotected
}

// Render computes every device's change for the active entries at now.
// Configs of kind "ipset" (iptables companions) lend their sets to the
// iptables configs of the same device.
func Render(cfgs []*policy.Config, inv *netdb.Inventory, entries []*Entry, now time.Time) []DeviceChange {
	ipsets := map[string][]*policy.Object{}
	for _, c := range cfgs {
		if c.Vendor == "ipset" {
			ipsets[c.Device] = append(ipsets[c.Device], c.Objects...)
		}
	}
	agg := newAggCache(entries, now)
	var out []DeviceChange
	for _, c := range cfgs {
		v, ok := registry.Lookup(c.Vendor)
		if !ok || v.RenderBlock == nil {
			continue
		}
		role := c.Role
		if inv != nil {
			if d := inv.Device(c.Device); d != nil {
				role = d.Role
			}
		}
		src, dst := agg.get(c.Site, c.Device, role)
		out = append(out, RenderOne(v, c, ipsets[c.Device], src, dst))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Site != out[j].Site {
			return out[i].Site < out[j].Site
		}
		return out[i].Device < out[j].Device
	})
	return out
}

// RenderOne renders one config against exact src/dst sets.
func RenderOne(v vendors.Vendor, c *policy.Config, extra []*policy.Object, src, dst *policy.AddrSet) DeviceChange {
	dc := DeviceChange{Site: c.Site, Device: c.Device, Vendor: c.Vendor, File: c.File, Src: src.Strings(), Dst: dst.Strings(), Commands: []string{}}
	if dc.Src == nil {
		dc.Src = []string{}
	}
	if dc.Dst == nil {
		dc.Dst = []string{}
	}
	dc.Filters, dc.Unprotected = BoundFilters(c)
	if dc.Filters == nil {
		dc.Filters = []string{}
	}
	cfg := c
	if len(extra) > 0 {
		cp := *c
		cp.Objects = append(append([]*policy.Object(nil), c.Objects...), extra...)
		cfg = &cp
	}
	ch, err := v.RenderBlock(cfg, vendors.BlockSpec{Name: ObjectName, Src: src, Dst: dst, Filters: dc.Filters})
	if err != nil {
		dc.Error = err.Error()
		return dc
	}
	if ch.Commands != nil {
		dc.Commands = ch.Commands
	}
	dc.Added, dc.Removed = ch.Added, ch.Removed
	return dc
}

// aggCache shares aggregation between devices that see the same entries
// (all of them when no entry is scoped): entries are grouped by scope and a
// device's result is keyed by the groups it matches.
type aggCache struct {
	now    time.Time
	groups []scopeGroup
	sets   map[string][2]*policy.AddrSet
}

type scopeGroup struct {
	scope   Scope
	entries []*Entry
}

func newAggCache(entries []*Entry, now time.Time) *aggCache {
	a := &aggCache{now: now, sets: map[string][2]*policy.AddrSet{}}
	idx := map[string]int{}
	for _, e := range entries {
		if !e.Active(now) {
			continue
		}
		k := scopeKey(e.Scope, "")
		i, ok := idx[k]
		if !ok {
			i = len(a.groups)
			idx[k] = i
			a.groups = append(a.groups, scopeGroup{scope: e.Scope})
		}
		a.groups[i].entries = append(a.groups[i].entries, e)
	}
	return a
}

func (a *aggCache) get(site, device, role string) (src, dst *policy.AddrSet) {
	key := make([]byte, 0, len(a.groups))
	var in []*Entry
	for _, g := range a.groups {
		if g.scope.Matches(site, device, role) {
			key = append(key, '1')
		} else {
			key = append(key, '0')
		}
	}
	if r, ok := a.sets[string(key)]; ok {
		return r[0], r[1]
	}
	for i, g := range a.groups {
		if key[i] == '1' {
			in = append(in, g.entries...)
		}
	}
	src, dst = Aggregate(in, site, device, role, a.now)
	a.sets[string(key)] = [2]*policy.AddrSet{src, dst}
	return src, dst
}
