// Package registry lists every supported vendor. Adding a vendor means adding
// its package and one line here.
package registry

import (
	"sort"
	"strings"

	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/asa"
	"github.com/fwpol/fwpol/vendors/cisco"
	"github.com/fwpol/fwpol/vendors/iptables"
	"github.com/fwpol/fwpol/vendors/junos"
	"github.com/fwpol/fwpol/vendors/nftables"
)

// All returns the supported vendors.
func All() []vendors.Vendor {
	return []vendors.Vendor{
		junos.Vendor,
		iptables.Vendor, iptables.IPSetVendor,
		cisco.IOS, cisco.NXOS, cisco.EOS,
		asa.Vendor,
		nftables.Vendor,
	}
}

// Lookup finds a vendor by name.
func Lookup(name string) (vendors.Vendor, bool) {
	for _, v := range All() {
		if v.Name == name {
			return v, true
		}
	}
	return vendors.Vendor{}, false
}

// Names lists vendor names, sorted, for help texts and errors.
func Names() string {
	var names []string
	for _, v := range All() {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Detect picks the vendor most confident that data is its syntax.
func Detect(data []byte) (vendors.Vendor, bool) {
	best, bestScore := vendors.Vendor{}, 0
	for _, v := range All() {
		if s := v.Detect(data); s > bestScore {
			best, bestScore = v, s
		}
	}
	return best, bestScore > 0
}
