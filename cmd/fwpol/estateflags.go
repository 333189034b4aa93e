package main

import (
	"errors"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/vendors/registry"
)

// estateFlags are the flags every estate-wide command shares: where the
// configs come from and which devices are in scope.
type estateFlags struct {
	inventory string
	scope     netdb.Filter
	noCache   bool
}

func (e *estateFlags) register(f *pflag.FlagSet) {
	f.StringVar(&e.inventory, "inventory", "", "inventory file or directory (default: ./"+netdb.DefaultFile+" when present)")
	f.StringSliceVar(&e.scope.Sites, "site", nil, "only devices at these sites")
	f.StringSliceVar(&e.scope.Devices, "device", nil, "only these devices")
	f.StringSliceVar(&e.scope.Vendors, "vendor", nil, "only devices of these vendors")
	f.StringSliceVar(&e.scope.Roles, "role", nil, "only devices with these roles (inventory)")
	f.StringSliceVar(&e.scope.Tags, "tag", nil, "only devices with these tags (inventory)")
	f.BoolVar(&e.noCache, "no-cache", false, "parse every file instead of using the parse cache")
}

// inventoryPath is the inventory named by --inventory, or the default file
// in the working directory, or "" when there is none.
func (e *estateFlags) inventoryPath() string {
	if e.inventory != "" {
		return e.inventory
	}
	if _, err := os.Stat(netdb.DefaultFile); err != nil {
		return ""
	}
	return netdb.DefaultFile
}

// loadInventory returns the inventory named by --inventory, or the default
// file in the working directory, or nil when there is none.
func (e *estateFlags) loadInventory() (*netdb.Inventory, error) {
	path := e.inventoryPath()
	if path == "" {
		return nil, nil
	}
	return loadInventoryFile(path, !e.noCache)
}

func loadInventoryFile(path string, cache bool) (*netdb.Inventory, error) {
	var names []string
	for _, v := range registry.All() {
		names = append(names, v.Name)
	}
	opt := netdb.Options{KnownVendors: names, DeviceName: estate.DeviceName}
	if cache {
		opt.CacheDir = estate.DefaultCacheDir()
	}
	return netdb.Load(path, opt)
}

// load parses the estate: inventory devices in scope plus any PATHs.
func (e *estateFlags) load(paths []string) (*estate.Estate, error) {
	return e.loadWanted(paths, nil)
}

// loadWanted loads only the inventory devices want accepts.
func (e *estateFlags) loadWanted(paths []string, want func(estate.Device) bool) (*estate.Estate, error) {
	return e.loadWith(paths, estate.Options{Want: want})
}

// loadWith loads the estate with extra load options (Want, Touching).
func (e *estateFlags) loadWith(paths []string, extra estate.Options) (*estate.Estate, error) {
	inv, err := e.loadInventory()
	if err != nil {
		return nil, err
	}
	if inv == nil && len(paths) == 0 {
		return nil, usageError{errors.New("no configs: give PATHs, --inventory, or run where " + netdb.DefaultFile + " is")}
	}
	if inv == nil && (len(e.scope.Roles) > 0 || len(e.scope.Tags) > 0) {
		return nil, usageErrorf("--role and --tag need an inventory")
	}
	for _, v := range e.scope.Vendors {
		if _, ok := registry.Lookup(v); !ok {
			return nil, usageErrorf("unknown vendor %q (one of: %s)", v, strings.ReplaceAll(registry.Names(), " ", ""))
		}
	}
	opt := extra
	opt.Inventory, opt.Scope = inv, e.scope
	if !e.noCache {
		opt.CacheDir = estate.DefaultCacheDir()
	}
	return estate.Load(paths, opt)
}

// loadAt loads the same selection from another tree (a git revision):
// inventory and paths as given there ("" for none), the scope of the
// flags, without the parse cache (temporary paths would only pollute it).
func (e *estateFlags) loadAt(inventory string, paths []string) (*estate.Estate, error) {
	opt := estate.Options{Scope: e.scope}
	if inventory != "" {
		inv, err := loadInventoryFile(inventory, false)
		if err != nil {
			return nil, err
		}
		opt.Inventory = inv
	}
	if opt.Inventory == nil && len(paths) == 0 {
		return &estate.Estate{}, nil
	}
	return estate.Load(paths, opt)
}
