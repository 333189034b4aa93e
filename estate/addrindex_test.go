package estate

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/gen"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/search"
)

// indexEstate is a generated estate (every vendor, hosts from device
// groups), the fixtures, and the corpus files that parse.
func indexEstate(t *testing.T) (paths []string, inv *netdb.Inventory) {
	t.Helper()
	root := t.TempDir()
	spec := gen.Demo
	spec.Hosts = 120
	if _, err := gen.Write(root, spec); err != nil {
		t.Fatal(err)
	}
	inv, err := netdb.Load(filepath.Join(root, "fwpol.yaml"), netdb.Options{DeviceName: DeviceName})
	if err != nil {
		t.Fatal(err)
	}
	paths = []string{"../testdata"}
	corpus := "../../shared/corpus"
	if _, err := os.Stat(corpus); err == nil {
		filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if _, err := Load([]string{p}, Options{}); err == nil {
					paths = append(paths, p)
				}
			}
			return nil
		})
	} else {
		t.Log("corpus absent: generated estate and fixtures only")
	}
	return paths, inv
}

// queries are prefixes named by the configs (a sample), their
// neighbourhoods, and a few fixed ones.
func queries(cfgs []*policy.Config) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	add := func(p netip.Prefix) { seen[p.Masked()] = true }
	for _, p := range []string{"0.0.0.0/0", "::/0", "10.0.0.0/8", "10.1.255.0/24", "192.0.2.0/24", "10.1.16.1/32", "2001:db8::/32", "203.0.113.0/24"} {
		add(netip.MustParsePrefix(p))
	}
	n := 0
	for _, c := range cfgs {
		for _, f := range c.Filters {
			for _, r := range f.Rules {
				if r.Match.Src.Set == nil || n > 400 {
					continue
				}
				n++
				if n%7 != 0 {
					continue
				}
				for _, p := range r.Match.Src.Set.Prefixes() {
					add(p)
					if p.Bits() > 4 {
						add(netip.PrefixFrom(p.Addr(), p.Bits()-4))
					}
					add(netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
					break
				}
			}
		}
	}
	var out []netip.Prefix
	for p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// The address index answers exactly what the whole configs answer, for
// every relation, on every vendor.
func TestAddressIndexMatchesFullConfigs(t *testing.T) {
	paths, inv := indexEstate(t)
	cache := t.TempDir()
	base := Options{CacheDir: cache, Inventory: inv}
	full, err := Load(paths, base) // parses and fills the cache
	if err != nil {
		t.Fatal(err)
	}
	if full, err = Load(paths, base); err != nil { // whole configs from the cache
		t.Fatal(err)
	}
	nocache, err := Load(paths, Options{Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	qs := queries(full.Configs)
	if len(qs) < 20 {
		t.Fatalf("only %d queries", len(qs))
	}
	skeletons := 0
	for _, q := range qs {
		opt := base
		opt.Touching = func(fp *Footprint) bool { return fp.Overlaps(q) }
		opt.AddressesNear = q
		skel, err := Load(paths, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range skel.Configs {
			if len(c.Filters) > 0 && c.Filters[0].Kind == "" { // vendors always set it
				skeletons++
			}
		}
		for _, rel := range []search.Relation{search.Overlap, search.Contains, search.Exact, search.Within} {
			ao := search.AddressOptions{Relation: rel}
			want, _ := json.Marshal(search.Address(full.Configs, q, ao))
			got, _ := json.Marshal(search.Address(skel.Configs, q, ao))
			if string(want) != string(got) {
				t.Fatalf("%s relation %d: index answers\n%s\nwhole configs answer\n%s", q, rel, got, want)
			}
			if rel == search.Overlap {
				if nc, _ := json.Marshal(search.Address(nocache.Configs, q, ao)); string(nc) != string(want) {
					t.Fatalf("%s: cached and uncached answers differ", q)
				}
			}
		}
	}
	if skeletons == 0 {
		t.Fatal("no config came back as a skeleton: the index was never used")
	}
	t.Logf("%d queries, %d skeleton configs", len(qs), skeletons)
}

// An ipset save file is loaded by an address search even when none of its
// sets is near the query: an iptables rule that subtracts the set from a
// range near the query needs it resolved.
func TestAddressSearchKeepsIpsetProviders(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fw.rules"), []byte(`*filter
:INPUT DROP [0:0]
-A INPUT -s 10.1.255.0/24 -m set ! --match-set FAR src -j ACCEPT
COMMIT
`), 0o644)
	os.WriteFile(filepath.Join(dir, "fw.ipset"), []byte("create FAR hash:net family inet\nadd FAR 192.0.2.0/24\n"), 0o644)
	q := netip.MustParsePrefix("10.1.255.0/24")
	for _, cache := range []string{"", t.TempDir()} {
		for round := 0; round < 2; round++ {
			est, err := Load([]string{dir}, Options{CacheDir: cache, Touching: func(fp *Footprint) bool { return fp.Overlaps(q) }, AddressesNear: q})
			if err != nil {
				t.Fatal(err)
			}
			hits := search.Address(est.Configs, q, search.AddressOptions{})
			if len(hits) != 1 || hits[0].Rule == "" || hits[0].Field != "src" {
				t.Fatalf("cache %q round %d: %+v", cache, round, hits)
			}
		}
	}
}

// A config whose bytes in the pack are damaged is parsed again, not
// decoded; the pack's index section alone is checksummed as a whole.
func TestPackDamagedConfigIsReparsed(t *testing.T) {
	cache := t.TempDir()
	paths := []string{"../testdata/junos/policy.conf"}
	want, err := Load(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(paths, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(cache, "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs: %v", packs)
	}
	data, _ := os.ReadFile(packs[0])
	data[len(data)-10] ^= 0xff // inside the last config's bytes
	os.WriteFile(packs[0], data, 0o600)
	got, err := Load(paths, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want.Configs)
	b, _ := json.Marshal(got.Configs)
	if string(a) != string(b) {
		t.Fatal("damaged pack entry was trusted")
	}
	if fixed, _ := os.ReadFile(packs[0]); string(fixed) == string(data) {
		t.Fatal("damaged pack was not rewritten")
	}
}

// A file gone since it was cached is an error naming it, and a changed
// file is parsed again: the cache's stat by directory sees both.
func TestCachedFileChangedOrGone(t *testing.T) {
	cache, dir := t.TempDir(), t.TempDir()
	f := filepath.Join(dir, "fw.rules")
	os.WriteFile(f, []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1 -j DROP\nCOMMIT\n"), 0o644)
	if _, err := Load([]string{f}, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f, []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.2 -j DROP\n-A INPUT -s 10.0.0.3 -j DROP\nCOMMIT\n"), 0o644)
	est, err := Load([]string{f}, Options{CacheDir: cache})
	if err != nil || len(est.Configs) != 1 || len(est.Configs[0].Filters[0].Rules) != 2 {
		t.Fatalf("changed file not parsed again: %v", err)
	}
	os.Remove(f)
	if _, err := Load([]string{f}, Options{CacheDir: cache}); err == nil || !strings.Contains(err.Error(), f) {
		t.Fatalf("gone file: %v", err)
	}
}
