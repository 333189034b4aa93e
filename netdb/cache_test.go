package netdb

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fwpol/fwpol/internal/wire"
	"github.com/fwpol/fwpol/policy"
)

const cachedInv = good + `    name_prefix: dc2-
    hosts_file: hosts.csv
`

func devName(p string) string { return strings.TrimSuffix(filepath.Base(p), ".rules") }

func invJSON(t *testing.T, inv *Inventory) string {
	t.Helper()
	b, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// settle waits past the file system's timestamp granularity, so a change
// made now shows in the fingerprints recorded before it.
func settle() { time.Sleep(30 * time.Millisecond) }

// Every change to an input of the inventory is seen: the cached load
// answers what a fresh load answers, errors included.
func TestInventoryCacheFollowsChanges(t *testing.T) {
	defer func(w time.Duration) { racyWindow = w }(racyWindow)
	racyWindow = 0
	for _, asDir := range []bool{false, true} {
		dir := writeTree(t, map[string]string{
			"fwpol.yaml": cachedInv, "configs/edge1.conf": "x", "hosts/web1.rules": "x", "hosts/web2.rules": "x",
			"hosts.csv": "name,addresses\ndc2-web1,10.2.0.1\n",
		})
		path := filepath.Join(dir, "fwpol.yaml")
		if asDir {
			path = dir
		}
		cache := t.TempDir()
		opt := Options{KnownVendors: []string{"junos", "iptables"}, DeviceName: devName}
		check := func(step string, wantCached, mayHit bool) {
			t.Helper()
			fresh, ferr := Load(path, opt)
			copt := opt
			copt.CacheDir = cache
			cfile := cachePath(cache, path, copt)
			hit := readCache(cfile, path) != nil
			got, gerr := Load(path, copt)
			if (ferr == nil) != (gerr == nil) || (ferr != nil && ferr.Error() != gerr.Error()) {
				t.Fatalf("%s (dir %v): fresh error %v, cached error %v", step, asDir, ferr, gerr)
			}
			if ferr == nil && invJSON(t, fresh) != invJSON(t, got) {
				t.Fatalf("%s (dir %v): cached inventory differs:\n%s\n%s", step, asDir, invJSON(t, got), invJSON(t, fresh))
			}
			if hit != wantCached && !(ferr != nil && !hit) && !mayHit {
				t.Fatalf("%s (dir %v): cache hit %v, want %v", step, asDir, hit, wantCached)
			}
			if ferr == nil {
				if again := readCache(cfile, path); again == nil || invJSON(t, again) != invJSON(t, fresh) {
					t.Fatalf("%s (dir %v): not cached after loading", step, asDir)
				}
				if got.Device(got.Devices[0].Name) != got.Devices[0] || got.Site("dc1") == nil {
					t.Fatalf("%s: lookups not rebuilt", step)
				}
			}
		}
		check("first load", false, false)
		check("unchanged", true, false)
		type step struct {
			name string
			do   func()
			hit  bool // the cache may still hold this state from before
		}
		steps := []step{
			{"host added", func() { os.WriteFile(filepath.Join(dir, "hosts/web3.rules"), []byte("x"), 0o644) }, false},
			{"host removed", func() { os.Remove(filepath.Join(dir, "hosts/web1.rules")) }, false},
			{"hosts file changed", func() {
				os.WriteFile(filepath.Join(dir, "hosts.csv"), []byte("name,addresses\ndc2-web2,10.2.0.9 10.2.0.10\n"), 0o644)
			}, false},
			{"inventory changed", func() {
				os.WriteFile(filepath.Join(dir, "fwpol.yaml"), []byte(strings.Replace(cachedInv, "Frankfurt", "Berlin", 1)), 0o644)
			}, false},
			{"named config removed", func() { os.Remove(filepath.Join(dir, "configs/edge1.conf")) }, false},
			// the cache still holds the inventory from before the removal,
			// and it is right again: a config's content is not the inventory's
			{"named config back", func() { os.WriteFile(filepath.Join(dir, "configs/edge1.conf"), []byte("y"), 0o644) }, true},
			{"host replaced by a directory", func() {
				os.Remove(filepath.Join(dir, "hosts/web2.rules"))
				os.Mkdir(filepath.Join(dir, "hosts/web2.rules"), 0o755)
			}, false},
		}
		if asDir {
			steps = append(steps, step{"inventory file added", func() {
				os.WriteFile(filepath.Join(dir, "more.yaml"), []byte("devices:\n  - name: extra\n    site: dc1\n    config: configs/edge1.conf\n"), 0o644)
			}, false})
		}
		for _, s := range steps {
			settle()
			s.do()
			check(s.name, false, s.hit)
			check(s.name+", unchanged", true, false)
		}
	}
}

// Inputs changed within the timestamp-granularity window are not cached.
func TestInventoryCacheSkipsRacyInputs(t *testing.T) {
	dir := writeTree(t, map[string]string{"fwpol.yaml": good, "configs/edge1.conf": "x", "hosts/web1.rules": "x"})
	cache := t.TempDir()
	if _, err := Load(filepath.Join(dir, "fwpol.yaml"), Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(cache, "inventory-*")); len(m) != 0 {
		t.Fatalf("inputs written a moment ago were cached: %v", m)
	}
}

// A damaged cache file is rebuilt, never trusted.
func TestInventoryCacheRejectsDamage(t *testing.T) {
	defer func(w time.Duration) { racyWindow = w }(racyWindow)
	racyWindow = 0
	dir := writeTree(t, map[string]string{"fwpol.yaml": good, "configs/edge1.conf": "x", "hosts/web1.rules": "x"})
	path, cache := filepath.Join(dir, "fwpol.yaml"), t.TempDir()
	want, err := Load(path, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	cfile := cachePath(cache, path, Options{})
	data, _ := os.ReadFile(cfile)
	for i := 0; i < len(data); i += 13 {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x20
		os.WriteFile(cfile, bad, 0o600)
		if readCache(cfile, path) != nil {
			t.Fatalf("damage at byte %d not detected", i)
		}
	}
	os.WriteFile(cfile, data[:len(data)/2], 0o600)
	got, err := Load(path, Options{CacheDir: cache})
	if err != nil || invJSON(t, got) != invJSON(t, want) {
		t.Fatalf("rebuild: %v", err)
	}
}

// The cache codec writes every field of the inventory: the test fails when
// the model gains a field the codec does not know.
func TestInventoryCodecEveryField(t *testing.T) {
	p := policy.Pos{File: "inv.yaml", Line: 3, Col: 5}
	pfx := netip.MustParsePrefix("10.1.0.0/16")
	inv := &Inventory{Path: "inv.yaml", Dir: ".",
		Sites:     []*Site{{Name: "dc1", Description: "d", Ranges: []netip.Prefix{pfx, netip.MustParsePrefix("2001:db8::/48")}, Infrastructure: []netip.Prefix{pfx}, Path: []string{"a"}, Pos: p}},
		PathRoles: []string{"core", "edge"},
		Protected: []Protected{{Prefix: pfx, Reason: "r", Pos: p}},
		Devices: []*Device{{Name: "a", Site: "dc1", Role: "edge", Vendor: "junos", Mgmt: netip.MustParseAddr("10.1.0.1"),
			Addresses: []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:10.1.0.2")}, Tags: []string{"t"},
			Config: "c/*.conf", Files: []string{"c/a.conf"}, Pos: p,
			Transport: &Transport{Protocol: "ssh", Port: 22, User: "u", KeyFile: "k", KnownHosts: "kh", Timeout: time.Second}}},
	}
	assertAllSet(t, reflect.ValueOf(inv).Elem(), "Inventory")
	e := &encoder{}
	e.inventory(inv)
	d := &decoder{wire.Decoder{B: e.B}}
	got := d.inventory()
	if d.Err != nil || len(d.B) != 0 {
		t.Fatal(d.Err)
	}
	if invJSON(t, got) != invJSON(t, inv) {
		t.Fatalf("round trip:\n%s\n%s", invJSON(t, got), invJSON(t, inv))
	}
	if got.Devices[0].Addresses[1] != inv.Devices[0].Addresses[1] {
		t.Fatal("mapped address changed")
	}
	for cut := 0; cut < len(e.B); cut++ {
		d := &decoder{wire.Decoder{B: e.B[:cut]}}
		if d.inventory(); d.Err == nil && len(d.B) == 0 {
			t.Fatalf("truncation at %d not detected", cut)
		}
	}
}

func assertAllSet(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is nil: set it so the codec is tested", path)
			return
		}
		assertAllSet(t, v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(netip.Addr{}) || v.Type() == reflect.TypeOf(netip.Prefix{}) {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if v.Field(i).IsZero() {
				t.Errorf("%s.%s is zero: set it so the codec is tested", path, f.Name)
				continue
			}
			assertAllSet(t, v.Field(i), path+"."+f.Name)
		}
	case reflect.Slice:
		if v.Len() > 0 {
			assertAllSet(t, v.Index(0), path)
		}
	}
}
