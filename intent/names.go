package intent

import (
	"fmt"
	"strings"
	"time"

	"github.com/fwpol/fwpol/blocklist"

	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
)

// InventoryNames resolves inventory names: site:NAME (the site's ranges),
// role:NAME and device:NAME (the devices' own addresses), protected (every
// protected range) and blocklist (per device: the active entries whose scope
// covers it, as source or destination as the entry's direction says).
type InventoryNames struct {
	Inv       *netdb.Inventory
	Blocklist *blocklist.List
	Now       time.Time
}

// ResolveFor implements DeviceNames for "blocklist".
func (n InventoryNames) ResolveFor(name, field string, c *policy.Config) (*policy.AddrSet, bool, error) {
	if name != "blocklist" {
		return n.Resolve(name)
	}
	if n.Blocklist == nil {
		return nil, false, fmt.Errorf("no blocklist to resolve %q", name)
	}
	src, dst := blocklist.Aggregate(n.Blocklist.Entries, c.Site, c.Device, c.Role, n.Now)
	if field == "dst" {
		return dst, true, nil
	}
	return src, true, nil
}

// Resolve implements Names.
func (n InventoryNames) Resolve(name string) (*policy.AddrSet, bool, error) {
	var b policy.AddrSetBuilder
	kind, arg, _ := strings.Cut(name, ":")
	switch kind {
	case "site":
		s := n.Inv.Site(arg)
		if s == nil {
			return nil, false, nil
		}
		for _, p := range s.Ranges {
			b.AddPrefix(p)
		}
	case "role", "device":
		found := false
		for _, d := range n.Inv.Devices {
			if (kind == "role" && d.Role == arg) || (kind == "device" && d.Name == arg) {
				found = true
				for _, a := range d.OwnAddrs() {
					b.AddAddr(a)
				}
			}
		}
		if !found {
			return nil, false, nil
		}
	case "protected":
		for _, p := range n.Inv.Protected {
			b.AddPrefix(p.Prefix)
		}
	case "blocklist":
		if n.Blocklist == nil {
			return nil, false, fmt.Errorf("no blocklist to resolve %q", name)
		}
		for _, e := range n.Blocklist.Active(n.Now) {
			b.AddSet(e.Set())
		}
	default:
		return nil, false, nil
	}
	return b.Set(), true, nil
}
