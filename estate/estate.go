// Package estate finds config files, detects their vendor and parses them in
// parallel into policy Configs.
package estate

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/registry"
)

// Options tune Load.
type Options struct {
	// Vendor forces a vendor instead of detecting it from content.
	Vendor string
	// Workers bounds parallel parsing; 0 means one per CPU.
	Workers int
	// Inventory, when set, supplies devices (name, site, vendor, files).
	Inventory *netdb.Inventory
	// Scope selects devices; it also applies to bare configs by site,
	// device and vendor.
	Scope netdb.Filter
	// CacheDir holds the parse cache; empty disables it.
	CacheDir string
	// Want, when set, skips inventory devices a command does not need (a
	// flow search needs only the hosts that own the flow's addresses); their
	// files are neither read nor parsed.
	Want func(Device) bool
	// Touching, when set, keeps only configs whose footprint (every address
	// their rules and objects name) it accepts; cached configs that fail it
	// are not even decoded. It must not keep the Footprint after returning
	// (its storage is reused).
	Touching func(*Footprint) bool
	// AddressesNear, when valid, asks only for what an address search
	// (search.Address, without IncludeAny) reads of the addresses that may
	// share an address with this prefix. A config whose cache entry has an
	// address index then comes back as a skeleton: File, Device, Site,
	// Vendor, the objects whose addresses may meet the prefix (kind, name,
	// position, addresses) and the filters (name, entry flag) with the rules
	// one of whose src/dst address sets may meet it (name, position, action,
	// target, inactive flag, src/dst Any, Set, Negate, Refs). Every other
	// field is empty. Configs parsed afresh, or without an index, come back
	// whole; the search answers the same either way.
	AddressesNear netip.Prefix
}

// Device is what the inventory says of a device before its configs are read.
type Device struct {
	Name, Site, Role string
	Own              []netip.Addr
}

// Estate is the parsed result of a set of paths.
type Estate struct {
	Configs []*policy.Config
	// Skipped lists files found while walking directories that no vendor
	// recognised (READMEs, inventories, ...).
	Skipped []string
}

// maxFileSize guards against feeding a disk image to a parser by mistake.
const maxFileSize = 512 << 20

// Errors collects the per-file failures of a load, in path order.
type Errors []error

func (e Errors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", e[0], len(e)-1)
}

func (e Errors) Unwrap() []error { return e }

type job struct {
	path     string
	explicit bool // named on the command line, so it must be a config
	vendor   string
	device   string
	site     string
	role     string
	own      []netip.Addr
	abs      string // absolute path: the cache key
}

// files expands paths into the files to parse: files as given, directories
// walked recursively, skipping hidden entries.
func files(paths []string) ([]job, error) {
	var jobs []job
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			jobs = append(jobs, job{path: p, explicit: true, site: siteOfFolder(filepath.Dir(p))})
			continue
		}
		site := siteOfFolder(p)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				jobs = append(jobs, job{path: path, site: site})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return jobs, nil
}

// setAbs fills each job's absolute path with one Getwd for all.
func setAbs(jobs []job) {
	cwd, _ := os.Getwd()
	for i := range jobs {
		if p := jobs[i].path; filepath.IsAbs(p) {
			jobs[i].abs = filepath.Clean(p)
		} else {
			jobs[i].abs = filepath.Join(cwd, p)
		}
	}
}

// siteOfFolder names the one-site estate of a bare folder of configs.
func siteOfFolder(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Base(dir)
}

// inventoryJobs lists the files of every device in scope (all), and of
// those want accepts (wanted; all when want is nil).
func inventoryJobs(inv *netdb.Inventory, scope netdb.Filter, want func(Device) bool) (all, wanted []job) {
	for _, d := range inv.Select(scope) {
		own := d.OwnAddrs()
		ok := want == nil || want(Device{Name: d.Name, Site: d.Site, Role: d.Role, Own: own})
		for _, f := range d.Files {
			j := job{path: f, explicit: true, vendor: d.Vendor, device: d.Name, site: d.Site, role: d.Role, own: own}
			all = append(all, j)
			if ok && want != nil {
				wanted = append(wanted, j)
			}
		}
	}
	if want == nil {
		wanted = all
	}
	return all, wanted
}

// statResult is a file's fingerprint, taken before it is read.
type statResult struct {
	fp  fingerprint
	err error
}

// parallel calls fn(w, i) for every i < n on up to workers goroutines
// (w numbers the goroutine), which take chunk indexes at a time.
func parallel(n, workers, chunk int, fn func(w, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers && w*chunk < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				start := int(next.Add(int64(chunk))) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					fn(w, i)
				}
			}
		}(w)
	}
	wg.Wait()
}

type result struct {
	cfg       *policy.Config
	skipped   bool
	untouched bool // rejected by Options.Touching
	err       error
}

// Load parses every config file under paths, and of every inventory device
// in scope.
func Load(paths []string, opt Options) (*Estate, error) {
	jobs, err := files(paths)
	if err != nil {
		return nil, err
	}
	cacheKey := jobs
	if opt.Inventory != nil {
		// The pack is keyed by every device in scope, so commands that load
		// different subsets of the same estate share one pack.
		all, wanted := inventoryJobs(opt.Inventory, opt.Scope, opt.Want)
		if opt.CacheDir != "" {
			setAbs(all)
			setAbs(jobs)
			if opt.Want != nil {
				setAbs(wanted)
			}
		}
		cacheKey = append(all, jobs...)
		if opt.Want == nil {
			jobs = cacheKey
		} else {
			jobs = append(wanted, jobs...)
		}
	} else if opt.CacheDir != "" {
		setAbs(jobs)
	}
	var forced *vendors.Vendor
	if opt.Vendor != "" {
		v, ok := registry.Lookup(opt.Vendor)
		if !ok {
			return nil, fmt.Errorf("unknown vendor %q (supported: %s)", opt.Vendor, registry.Names())
		}
		forced = &v
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]result, len(jobs))
	var old *pack
	var stats []statResult
	if opt.CacheDir != "" {
		// Every file is checked against its cache entry: stat them all
		// while the pack is read.
		packRead := make(chan struct{})
		go func() {
			defer close(packRead)
			old = readPack(packPath(opt.CacheDir, cacheKey))
		}()
		stats = make([]statResult, len(jobs))
		statters := make([]*statter, workers)
		for w := range statters {
			statters[w] = newStatter()
		}
		parallel(len(jobs), workers, 64, func(w, i int) {
			stats[i].fp, stats[i].err = statters[w].stat(jobs[i].path)
		})
		for _, s := range statters {
			s.close()
		}
		<-packRead
		defer old.close() // after the new pack, which copies its entries, is written
	}
	resumeGC := func() {}
	if old != nil && old.size > 0 && len(old.entries) >= len(jobs)/2 {
		// most configs will be decoded from the pack, whose size then
		// bounds what they take (gcpause.go)
		resumeGC = pauseGC(old.size)
	}
	keys := make([]string, len(jobs))
	entries := make([]cacheEntry, len(jobs))
	hits := make([]bool, len(jobs))
	scratches := make([]Footprint, workers) // reused for every cached footprint
	parallel(len(jobs), workers, 1, func(w, i int) {
		j := jobs[i]
		var r result
		if old != nil {
			keys[i] = j.abs
			r.cfg, r.skipped, entries[i], hits[i], r.err = cachedParse(j, stats[i], forced, old.entries[keys[i]], opt.Touching, opt.AddressesNear, &scratches[w])
		} else {
			r.cfg, r.skipped, r.err = parseFile(j, forced)
			if r.cfg != nil && opt.Touching != nil {
				if fp := footprintOf(r.cfg); !opt.Touching(&fp) {
					r.cfg, r.untouched = nil, true
				}
			}
		}
		if r.cfg != nil {
			if j.device != "" {
				r.cfg.Device = j.device
			}
			r.cfg.Site, r.cfg.Role, r.cfg.OwnAddrs = j.site, j.role, j.own
		}
		results[i] = r
	})
	resumeGC()
	if old != nil && packDirty(old, cacheKey, results, hits) {
		fresh := &pack{path: old.path, entries: make(map[string]cacheEntry, len(cacheKey))}
		// Keep entries of devices this command skipped; drop stale ones.
		inScope := make(map[string]bool, len(cacheKey))
		for _, j := range cacheKey {
			inScope[j.abs] = true
		}
		for k, ent := range old.entries {
			if inScope[k] {
				fresh.entries[k] = ent
			}
		}
		for i, r := range results {
			if r.err == nil {
				fresh.entries[keys[i]] = entries[i]
			}
		}
		// The cache only accelerates: failing to write it is not an error.
		_ = fresh.write()
	}

	est := &Estate{}
	var errs Errors
	for i, r := range results {
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case r.skipped:
			est.Skipped = append(est.Skipped, jobs[i].path)
		case r.untouched || r.cfg == nil:
		case jobs[i].device != "" || inScope(opt.Scope, r.cfg):
			est.Configs = append(est.Configs, r.cfg)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	link(est.Configs)
	SortConfigs(est.Configs)
	return est, nil
}

// packDirty reports whether the pack must be rewritten: some file was
// parsed afresh, or the pack holds entries no longer in scope.
func packDirty(old *pack, cacheKey []job, results []result, hits []bool) bool {
	for i, r := range results {
		if r.err == nil && !hits[i] {
			return true
		}
	}
	// Stale entries are only dead weight (every entry is checked against
	// its file before use), and a pack is named after its set of keys, so
	// they are rare: counting the in-scope keys found is enough (a key
	// listed twice can hide a stale entry until the next rewrite).
	n := 0
	for _, j := range cacheKey {
		if _, ok := old.entries[j.abs]; ok {
			n++
		}
	}
	return n < len(old.entries)
}

// link lets vendors resolve references across files (ipset save files).
func link(cfgs []*policy.Config) {
	for _, v := range registry.All() {
		if v.Link != nil {
			v.Link(cfgs)
		}
	}
}

// inScope applies the scope's site, device and vendor filters to a bare config.
func inScope(f netdb.Filter, c *policy.Config) bool {
	in := func(v string, set []string) bool {
		for _, s := range set {
			if s == v {
				return true
			}
		}
		return len(set) == 0
	}
	return in(c.Site, f.Sites) && in(c.Device, f.Devices) && in(c.Vendor, f.Vendors) && len(f.Roles) == 0 && len(f.Tags) == 0
}

// cachedParse reuses a cache entry whose fingerprint still matches, else
// parses and returns the entry to store. hit reports reuse.
func cachedParse(j job, st statResult, forced *vendors.Vendor, ent cacheEntry, touching func(*Footprint) bool, near netip.Prefix, scratch *Footprint) (cfg *policy.Config, skipped bool, out cacheEntry, hit bool, err error) {
	if st.err != nil {
		return nil, false, out, false, st.err
	}
	vendorKey := j.vendor
	if forced != nil {
		vendorKey = forced.Name
	}
	fp := st.fp
	// a file skipped while walking a directory must still fail when it is
	// named explicitly, so a cached "skipped" is only reused for walks
	if (ent.skipped && !j.explicit) || (!ent.skipped && ent.blob != nil) {
		if ent.fp == fp && ent.vendor == vendorKey {
			if ent.skipped {
				return nil, true, ent, true, nil
			}
			var decoded, keep bool
			faulted := guardMapped(func() {
				if touching != nil && !touching(ent.footprintInto(scratch)) {
					decoded, keep = true, false
					return
				}
				if near.IsValid() && len(ent.idx) > 0 {
					if c, ok, err := decodeAddrIndex(ent.idx, j.path, near); ok && err == nil {
						cfg, decoded, keep = c, true, true
						return
					}
				}
				if c, err := ent.config(j.path); err == nil {
					cfg, decoded, keep = c, true, true
				}
			})
			if decoded && !faulted {
				if !keep {
					return nil, false, ent, true, nil
				}
				return cfg, false, ent, true, nil
			}
			cfg = nil
		}
	}
	cfg, skipped, err = parseFile(j, forced)
	if err != nil {
		return nil, false, out, false, err
	}
	out = cacheEntry{fp: fp, vendor: vendorKey, skipped: skipped}
	if cfg != nil {
		out.blob = encodeConfig(cfg)
		out.blobCRC = crc32.Checksum(out.blob, crcTable)
		out.idx = encodeAddrIndex(cfg)
		fp := footprintOf(cfg)
		out.footprint = &fp
		if touching != nil && !touching(out.footprint) {
			cfg = nil
		}
	}
	return cfg, skipped, out, false, nil
}

func parseFile(j job, forced *vendors.Vendor) (*policy.Config, bool, error) {
	if forced == nil && j.vendor != "" {
		v, ok := registry.Lookup(j.vendor)
		if !ok {
			return nil, false, fmt.Errorf("%s: unknown vendor %q (supported: %s)", j.path, j.vendor, registry.Names())
		}
		forced = &v
	}
	st, err := os.Stat(j.path)
	if err != nil {
		return nil, false, err
	}
	if st.Size() > maxFileSize {
		if j.explicit {
			return nil, false, fmt.Errorf("%s: file is %d MB, larger than any config fwpol reads", j.path, st.Size()>>20)
		}
		return nil, true, nil
	}
	data, err := os.ReadFile(j.path)
	if err != nil {
		return nil, false, err
	}
	return ParseData(j.path, data, forced, j.explicit)
}

// ParseData parses one file's content. With forced nil the vendor is
// detected; an undetectable file is an error when required, else skipped.
func ParseData(path string, data []byte, forced *vendors.Vendor, required bool) (*policy.Config, bool, error) {
	var v vendors.Vendor
	if forced != nil {
		v = *forced
	} else {
		var ok bool
		v, ok = registry.Detect(data)
		if !ok {
			if required {
				return nil, false, &parser.Error{Pos: parser.Pos{File: path}, Msg: fmt.Sprintf("cannot tell which vendor syntax this is (one of: %s); name it with the device's vendor: in the inventory, or fwpol parse --vendor", registry.Names())}
			}
			return nil, true, nil
		}
	}
	cfg, err := v.Parse(path, data)
	if err != nil {
		return nil, false, err
	}
	if cfg.File == "" {
		cfg.File = path
	}
	if cfg.Vendor == "" {
		cfg.Vendor = v.Name
	}
	if cfg.Device == "" {
		cfg.Device = DeviceName(path)
	}
	return cfg, false, nil
}

// DeviceName derives a device name from a file path: the base name without
// common config extensions.
func DeviceName(path string) string {
	base := filepath.Base(path)
	for _, ext := range []string{".cfg", ".conf", ".txt", ".rules", ".nft", ".v4", ".v6", ".iptables", ".ipset", ".set", ".junos"} {
		if b, ok := strings.CutSuffix(base, ext); ok && b != "" {
			return b
		}
	}
	return base
}

// SortConfigs orders configs by site, device, then file, for stable reports.
func SortConfigs(cfgs []*policy.Config) {
	sort.SliceStable(cfgs, func(i, j int) bool {
		if cfgs[i].Site != cfgs[j].Site {
			return cfgs[i].Site < cfgs[j].Site
		}
		if cfgs[i].Device != cfgs[j].Device {
			return cfgs[i].Device < cfgs[j].Device
		}
		return cfgs[i].File < cfgs[j].File
	})
}

// IsNotExist reports whether err says a path is missing.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
