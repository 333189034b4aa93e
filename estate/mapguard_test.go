package estate

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A pack truncated in place by another program while mapped: entries whose
// bytes are gone are parsed afresh instead of the process dying of SIGBUS,
// and copying them into a new pack fails cleanly.
func TestTruncatedMappedPackFallsBackToParsing(t *testing.T) {
	cache, dir := t.TempDir(), t.TempDir()
	for i := 0; i < 60; i++ {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
		for k := 0; k < 40; k++ {
			fmt.Fprintf(&b, "-A INPUT -s 10.%d.%d.0/24 -p tcp -m tcp --dport %d -m comment --comment \"rule %d of host %d\" -j ACCEPT\n", i, k, 1000+k, k, i)
		}
		b.WriteString("COMMIT\n")
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("h%02d.rules", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load([]string{dir}, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(cache, "estate-*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs %v", packs)
	}
	p := readPack(packs[0])
	defer p.close()
	if len(p.entries) != 60 || p.size < 64<<10 {
		t.Fatalf("pack of %d entries, %d bytes: too small for the test", len(p.entries), p.size)
	}
	// another program cuts the mapped file to its first pages
	if err := os.Truncate(packs[0], int64(p.size/2)); err != nil {
		t.Fatal(err)
	}
	st := newStatter()
	defer st.close()
	hits, fresh := 0, 0
	var scratch Footprint
	for name, ent := range p.entries {
		fp, err := st.stat(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, _, hit, err := cachedParse(job{path: name, abs: name}, statResult{fp: fp}, nil, ent, nil, netip.Prefix{}, &scratch)
		if err != nil || cfg == nil || len(cfg.Filters) == 0 || len(cfg.Filters[0].Rules) != 40 {
			t.Fatalf("%s: %v, %+v", name, err, cfg)
		}
		if hit {
			hits++
		} else {
			fresh++
		}
	}
	if hits == 0 || fresh == 0 {
		t.Fatalf("%d entries decoded, %d parsed afresh: the truncation should split them", hits, fresh)
	}
	p.path = filepath.Join(cache, "copy.pack")
	if err := p.write(); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("writing entries of a truncated pack: %v", err)
	}
	if _, err := os.Stat(p.path); err == nil {
		t.Fatal("a pack was installed from a truncated mapping")
	}
}

// A pack written by another build of fwpol is not read: its parsers may
// have produced something else from the same files.
func TestPackOfAnotherBuildIsIgnored(t *testing.T) {
	cache, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "h.rules"), []byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n"), 0o644)
	if _, err := Load([]string{dir}, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(cache, "estate-*.pack"))
	if len(packs) != 1 {
		t.Fatalf("packs %v", packs)
	}
	if p := readPack(packs[0]); len(p.entries) != 1 {
		t.Fatalf("own pack: %d entries", len(p.entries))
	} else {
		p.close()
	}
	old := packBuild
	packBuild = func() string { return "another build" }
	defer func() { packBuild = old }()
	if p := readPack(packs[0]); len(p.entries) != 0 {
		t.Fatalf("another build's pack read: %d entries", len(p.entries))
	}
}
