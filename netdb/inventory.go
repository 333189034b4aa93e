// Package netdb is the inventory: sites, devices, where their configs come
// from, and ranges that must never be blocked. It is a YAML file (or a
// directory of YAML files) that a team keeps in git.
package netdb

import (
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/fwpol/fwpol/policy"
)

// Inventory is a loaded and validated inventory.
type Inventory struct {
	// Path is the file or directory it was loaded from; Dir resolves
	// relative config paths.
	Path string `json:"path"`
	Dir  string `json:"-"`

	Sites     []*Site     `json:"sites"`
	Devices   []*Device   `json:"devices"`
	Protected []Protected `json:"protected,omitempty"`
	// PathRoles orders the roles a flow crosses leaving a site that lists
	// no Path, host side first (default DefaultPathRoles).
	PathRoles []string `json:"path_roles,omitempty"`

	siteByName   map[string]*Site
	deviceByName map[string]*Device
}

// Site is a data center with its address ranges.
type Site struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Ranges      []netip.Prefix `json:"ranges,omitempty"`
	// Infrastructure ranges (management, loopbacks, transit) must not be
	// blocked without --force.
	Infrastructure []netip.Prefix `json:"infrastructure,omitempty"`
	// Path names the devices a flow crosses leaving the site, host side
	// first (core, firewall, edge); entering, it crosses them in reverse.
	Path []string   `json:"path,omitempty"`
	Pos  policy.Pos `json:"pos"`
}

// Device is one firewall, router, switch or host.
type Device struct {
	Name   string     `json:"name"`
	Site   string     `json:"site"`
	Role   string     `json:"role,omitempty"`
	Vendor string     `json:"vendor,omitempty"`
	Mgmt   netip.Addr `json:"mgmt,omitempty"`
	// Addresses the device owns besides Mgmt (a host's service addresses).
	Addresses []netip.Addr `json:"addresses,omitempty"`
	Tags      []string     `json:"tags,omitempty"`
	// Config is the path or glob as written in the inventory; Files are the
	// matching files, resolved against the inventory directory.
	Config    string     `json:"config"`
	Files     []string   `json:"files"`
	Transport *Transport `json:"transport,omitempty"`
	Pos       policy.Pos `json:"pos"`
}

// Transport holds how fwpol reaches the device to push changes. Secrets are
// never stored here: keys are file paths, passwords come from an agent.
type Transport struct {
	Protocol   string        `json:"protocol,omitempty" yaml:"protocol"`
	Port       int           `json:"port,omitempty" yaml:"port"`
	User       string        `json:"user,omitempty" yaml:"user"`
	KeyFile    string        `json:"key_file,omitempty" yaml:"key_file"`
	KnownHosts string        `json:"known_hosts,omitempty" yaml:"known_hosts"`
	Timeout    time.Duration `json:"timeout,omitempty" yaml:"timeout"`
}

// Protected is a range that must never be blocked (partners, resolvers, ...).
type Protected struct {
	Prefix netip.Prefix `json:"prefix"`
	Reason string       `json:"reason"`
	Pos    policy.Pos   `json:"pos"`
}

// Site returns the named site, or nil.
func (inv *Inventory) Site(name string) *Site { return inv.siteByName[name] }

// Device returns the named device, or nil.
func (inv *Inventory) Device(name string) *Device { return inv.deviceByName[name] }

// Filter selects devices; empty fields match everything.
type Filter struct {
	Sites, Devices, Vendors, Roles, Tags []string
}

func oneOf(v string, set []string) bool {
	if len(set) == 0 {
		return true
	}
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// Matches reports whether d is in scope.
func (f Filter) Matches(d *Device) bool {
	if !oneOf(d.Site, f.Sites) || !oneOf(d.Name, f.Devices) || !oneOf(d.Vendor, f.Vendors) || !oneOf(d.Role, f.Roles) {
		return false
	}
	if len(f.Tags) == 0 {
		return true
	}
	for _, t := range d.Tags {
		if oneOf(t, f.Tags) {
			return true
		}
	}
	return false
}

// Select returns the devices in scope, ordered by site then name.
func (inv *Inventory) Select(f Filter) []*Device {
	var out []*Device
	for _, d := range inv.Devices {
		if f.Matches(d) {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Site != out[j].Site {
			return out[i].Site < out[j].Site
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// DefaultPathRoles is the order of roles a flow crosses leaving a site.
var DefaultPathRoles = []string{"core", "firewall", "edge"}

// SitePath returns the devices a flow crosses leaving the site, host side
// first: the site's Path, or else its devices of the path roles, by role
// order then inventory order.
func (inv *Inventory) SitePath(site string) []*Device {
	s := inv.Site(site)
	if s == nil {
		return nil
	}
	var out []*Device
	if len(s.Path) > 0 {
		for _, n := range s.Path {
			out = append(out, inv.Device(n))
		}
		return out
	}
	roles := inv.PathRoles
	if len(roles) == 0 {
		roles = DefaultPathRoles
	}
	for _, r := range roles {
		for _, d := range inv.Devices {
			if d.Site == site && d.Role == r {
				out = append(out, d)
			}
		}
	}
	return out
}

// SiteOf returns the site whose ranges hold a, the most specific range
// winning, or nil.
func (inv *Inventory) SiteOf(a netip.Addr) *Site {
	var best *Site
	bits := -1
	for _, s := range inv.Sites {
		for _, p := range s.Ranges {
			if p.Contains(a) && p.Bits() > bits {
				best, bits = s, p.Bits()
			}
		}
	}
	return best
}

// DeviceOwning returns the device that owns address a (Mgmt or Addresses),
// preferring a host, or nil.
func (inv *Inventory) DeviceOwning(a netip.Addr) *Device {
	var found *Device
	for _, d := range inv.Devices {
		if d.Mgmt == a || slices.Contains(d.Addresses, a) {
			if d.Role == "host" {
				return d
			}
			if found == nil {
				found = d
			}
		}
	}
	return found
}

// OwnAddrs are the addresses the device answers on: Mgmt and Addresses.
func (d *Device) OwnAddrs() []netip.Addr {
	var out []netip.Addr
	if d.Mgmt.IsValid() {
		out = append(out, d.Mgmt)
	}
	for _, a := range d.Addresses {
		if a != d.Mgmt {
			out = append(out, a)
		}
	}
	return out
}
