package intent

import (
	"fmt"
	"strings"

	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
)

// InventoryNames resolves inventory names: site:NAME (the site's ranges),
// role:NAME and device:NAME (the devices' own addresses), protected (every
// protected range) and blocklist (the active blocklist, from blocked).
type InventoryNames struct {
	Inv *netdb.Inventory
	// Blocked returns the active blocklist's ranges; nil means there is none.
	Blocked func() (*policy.AddrSet, error)
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
		if n.Blocked == nil {
			return nil, false, fmt.Errorf("no blocklist to resolve %q", name)
		}
		return n.blocked()
	default:
		return nil, false, nil
	}
	return b.Set(), true, nil
}

func (n InventoryNames) blocked() (*policy.AddrSet, bool, error) {
	s, err := n.Blocked()
	return s, err == nil, err
}
