// Package push plans and applies configuration changes (today: the
// blocklist) to devices over SSH, safely: every device's change is shown
// with the exact traffic it changes, applied in the vendor's own
// transactional dialect, verified by fetching and parsing the running
// configuration back, rolled back on any failure, and recorded in an
// append-only log.
package push

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fwpol/fwpol/blocklist"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/registry"
)

// DevicePlan is one device's pending change: the commands (from the
// vendor's RenderBlock) and the traffic they change per bound filter.
type DevicePlan struct {
	blocklist.DeviceChange
	// Traffic is the semantic change per bound filter: the exact verdict
	// difference between the current filter and the intended one.
	Traffic []FilterChange `json:"traffic"`

	// Config is the parsed current config; Extra are companion objects
	// (iptables: the device's ipsets); Spec is what the device must enforce;
	// Intended is Config with every bound filter as it must decide after
	// the change.
	Config    *policy.Config    `json:"-"`
	Extra     []*policy.Object  `json:"-"`
	Spec      vendors.BlockSpec `json:"-"`
	Intended  *policy.Config    `json:"-"`
	Inventory *netdb.Device     `json:"-"`
}

// FilterChange summarizes DiffFilters(current, intended) for one filter.
type FilterChange struct {
	Filter string `json:"filter"`
	// NewlyDenied / NewlyPermitted / Other count changed packet regions.
	NewlyDenied    int `json:"newly_denied"`
	NewlyPermitted int `json:"newly_permitted"`
	Other          int `json:"other"`
	// Denied lists the newly denied regions readably (at most RegionLimit).
	Denied    []policy.Region `json:"denied"`
	Permitted []policy.Region `json:"permitted"`
	Truncated bool            `json:"truncated,omitempty"`
	// Example is one newly denied flow with the rule that permitted it.
	Example *Example `json:"example,omitempty"`
}

// Example is a sample flow of a change.
type Example struct {
	Flow policy.Flow     `json:"flow"`
	Old  policy.DiffSide `json:"old"`
	New  policy.DiffSide `json:"new"`
}

// RegionLimit caps the regions listed per filter.
const RegionLimit = 20

// Changed reports whether the plan has commands to run.
func (p *DevicePlan) Changed() bool { return len(p.Commands) > 0 && p.Error == "" }

// Plan computes every device's change for the active blocklist entries at
// now: configs of kind "ipset" lend their sets to the iptables config of
// the same device. Nothing is applied.
func Plan(cfgs []*policy.Config, inv *netdb.Inventory, entries []*blocklist.Entry, now time.Time) []*DevicePlan {
	ipsets := map[string][]*policy.Object{}
	for _, c := range cfgs {
		if c.Vendor == "ipset" {
			ipsets[c.Device] = append(ipsets[c.Device], c.Objects...)
		}
	}
	var out []*DevicePlan
	for _, c := range cfgs {
		v, ok := registry.Lookup(c.Vendor)
		if !ok || v.RenderBlock == nil {
			continue
		}
		var dev *netdb.Device
		role := c.Role
		if inv != nil {
			if dev = inv.Device(c.Device); dev != nil {
				role = dev.Role
			}
		}
		src, dst := blocklist.Aggregate(entries, c.Site, c.Device, role, now)
		p := &DevicePlan{Config: c, Extra: ipsets[c.Device], Inventory: dev}
		p.DeviceChange = blocklist.RenderOne(v, c, p.Extra, src, dst)
		p.Spec = vendors.BlockSpec{Name: blocklist.ObjectName, Src: src, Dst: dst, Filters: p.Filters}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Site != out[j].Site {
			return out[i].Site < out[j].Site
		}
		return out[i].DeviceChange.Device < out[j].DeviceChange.Device
	})
	// the semantic diffs are independent per device: spread them over the
	// CPUs, and compute them once per distinct (config, spec): estates
	// hold many devices with the same policy
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[[32]byte][]FilterChange{}
	next := make(chan *DevicePlan)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				p.Intended = Intended(p.Config, p.Spec)
				key, ok := trafficKey(p)
				if ok {
					mu.Lock()
					t, hit := seen[key]
					mu.Unlock()
					if hit {
						p.Traffic = t
						continue
					}
				}
				p.Traffic = Traffic(p.Config, p.Intended, p.Filters)
				if ok {
					mu.Lock()
					seen[key] = p.Traffic
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range out {
		if p.Error == "" {
			next <- p
		} else {
			p.Traffic = []FilterChange{}
		}
	}
	close(next)
	wg.Wait()
	return out
}

// Traffic diffs each named filter of cur against its version in want.
func Traffic(cur, want *policy.Config, filters []string) []FilterChange {
	out := []FilterChange{}
	var m *policy.Manager // one per device: the filters share objects
	for _, name := range filters {
		a, b := cur.Filter(name), want.Filter(name)
		if a == nil || b == nil {
			continue
		}
		if m == nil {
			m = policy.NewManager(1 << 16)
		}
		d := m.DiffFilters(cur, a, want, b, policy.DiffOptions{RegionLimit: RegionLimit})
		fc := FilterChange{Filter: name, Denied: []policy.Region{}, Permitted: []policy.Region{}}
		for _, ch := range d.Changes {
			switch {
			case ch.New.Action == policy.Permit:
				fc.NewlyPermitted += len(ch.Regions)
				fc.Permitted = appendLimited(fc.Permitted, ch.Regions, &fc.Truncated)
			case ch.Old.Action == policy.Permit:
				fc.NewlyDenied += len(ch.Regions)
				fc.Denied = appendLimited(fc.Denied, ch.Regions, &fc.Truncated)
				if fc.Example == nil {
					fc.Example = &Example{Flow: ch.Sample, Old: ch.Old, New: ch.New}
				}
			default:
				fc.Other += len(ch.Regions)
			}
			fc.Truncated = fc.Truncated || ch.Truncated
		}
		out = append(out, fc)
	}
	return out
}

func appendLimited(dst, src []policy.Region, trunc *bool) []policy.Region {
	for _, r := range src {
		if len(dst) >= RegionLimit {
			*trunc = true
			break
		}
		dst = append(dst, r)
	}
	return dst
}

// Intended returns cfg with each of spec's filters as it must decide once
// the device enforces spec: the block rules fwpol owns (rules deciding on
// the block objects, or named/marked after them) are removed and one drop
// rule for the source ranges and one for the destination ranges are put
// first. Other filters are shared with cfg.
func Intended(cfg *policy.Config, spec vendors.BlockSpec) *policy.Config {
	out := &policy.Config{File: cfg.File, Device: cfg.Device, Site: cfg.Site, Role: cfg.Role, OwnAddrs: cfg.OwnAddrs,
		Vendor: cfg.Vendor, Format: cfg.Format, Objects: cfg.Objects, Bindings: cfg.Bindings}
	protect := map[string]bool{}
	for _, f := range spec.Filters {
		protect[f] = true
	}
	for _, f := range cfg.Filters {
		if !protect[f.Name] {
			out.AddFilter(f)
			continue
		}
		nf := &policy.Filter{Name: f.Name, Kind: f.Kind, Family: f.Family, Entry: f.Entry, Default: f.Default, Pos: f.Pos, Meta: f.Meta}
		if spec.Src != nil && !spec.Src.IsEmpty() {
			nf.Rules = append(nf.Rules, &policy.Rule{Name: spec.Name, Action: policy.Deny,
				Match: policy.Match{Src: policy.AddrMatch{Set: spec.Src}, Dst: policy.AnyAddr()}})
		}
		// standard ACLs match the source only: they get no destination block
		if spec.Dst != nil && !spec.Dst.IsEmpty() && f.Meta["type"] != "standard" {
			nf.Rules = append(nf.Rules, &policy.Rule{Name: spec.Name + "-DST", Action: policy.Deny,
				Match: policy.Match{Src: policy.AnyAddr(), Dst: policy.AddrMatch{Set: spec.Dst}}})
		}
		nf.Rules = append(nf.Rules, withoutBlock(f.Rules, spec.Name)...)
		out.AddFilter(nf)
	}
	return out
}

// withoutBlock drops the leading rules a previous block put in a filter.
// Ours: a drop deciding on the block objects only, a term named after
// them, or (Cisco ACLs without object-groups) the run of plain
// address-only denies that starts with the entry carrying the marker remark.
func withoutBlock(rules []*policy.Rule, name string) []*policy.Rule {
	var out []*policy.Rule
	marked := false
	for i, r := range rules {
		m := r.Match
		addrOnly := m.Protocols == nil && m.SrcPorts == nil && m.DstPorts == nil && m.ICMPTypes == nil &&
			m.InIface == "" && m.OutIface == "" && !m.NotInitial && len(m.CtStates) == 0 && !m.Src.Negate && !m.Dst.Negate
		ours := false
		if r.Action == policy.Deny && !r.Inactive && addrOnly {
			switch {
			case strings.HasPrefix(r.Name, name):
				ours = true
			case refsOnly(m.Src.Refs, name) && m.Dst.Any, refsOnly(m.Dst.Refs, name) && m.Src.Any:
				ours = true
			case strings.Contains(r.Extras.Comment, name) && (i == 0 || marked):
				ours, marked = true, true
			case marked && r.Extras.Comment == "" && (m.Src.Any != m.Dst.Any):
				ours = true
			}
		}
		if !ours {
			marked = false
			out = append(out, r)
		}
	}
	return out
}

func refsOnly(refs []string, name string) bool {
	if len(refs) == 0 {
		return false
	}
	for _, r := range refs {
		if !strings.HasPrefix(r, name) {
			return false
		}
	}
	return true
}

// trafficKey identifies what Traffic depends on: the config file's bytes
// (the parsed model also records the file's name, so it cannot serve),
// the objects lent by companion files, and the spec.
func trafficKey(p *DevicePlan) ([32]byte, bool) {
	data, err := os.ReadFile(p.Config.File)
	if err != nil {
		return [32]byte{}, false
	}
	h := sha256.New()
	h.Write([]byte(p.Vendor + "\x00"))
	h.Write(data)
	enc := json.NewEncoder(h)
	for _, v := range []any{p.Extra, p.Spec.Filters, p.Spec.Src, p.Spec.Dst} {
		if err := enc.Encode(v); err != nil {
			return [32]byte{}, false
		}
	}
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k, true
}
