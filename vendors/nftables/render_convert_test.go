package nftables_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/nftables"
	"github.com/fwpol/fwpol/vendors/registry"
)

func foreignConfigs(t *testing.T) []*policy.Config {
	t.Helper()
	var files []string
	for _, d := range []string{"cisco", "junos", "asa", "iptables"} {
		m, _ := filepath.Glob(filepath.Join("../../testdata", d, "*"))
		files = append(files, m...)
	}
	for _, d := range []string{"../../../shared/corpus/trigger", "../../../shared/corpus/pybatfish-example-filters/current/configs"} {
		m, _ := filepath.Glob(filepath.Join(d, "*"))
		files = append(files, m...)
	}
	var out []*policy.Config
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v, ok := registry.Detect(data)
		if !ok || v.Name == "nftables" || v.Name == "ipset" {
			continue
		}
		cfg, err := v.Parse(f, data)
		if err != nil {
			continue
		}
		out = append(out, cfg)
	}
	return out
}

// TestRenderConvert renders every entry filter of the Junos, Cisco, ASA
// and iptables fixtures as an nft base chain on the input hook and checks
// with the exact packet algebra that the parsed result decides the same.
func TestRenderConvert(t *testing.T) {
	converted, refused := 0, 0
	var ns *netns.Pair
	if netns.Available() == nil {
		if _, err := exec.LookPath("nft"); err == nil {
			p, err := netns.NewPair("nftcv")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ns = p
		}
	}
	for _, cfg := range foreignConfigs(t) {
		for _, f := range cfg.EntryFilters() {
			opt := vendors.RenderOptions{Filters: []string{f.Name}, Format: "hook=input"}
			out, err := nftables.RenderRuleset(cfg, opt)
			if err != nil {
				t.Logf("%s %s: refused: %v", cfg.File, f.Name, err)
				refused++
				continue
			}
			back, err := nftables.Parse("rendered.nft", out.Text)
			if err != nil {
				t.Errorf("%s %s: rendered text does not parse: %v\n%s", cfg.File, f.Name, err, out.Text)
				continue
			}
			if ns != nil {
				if _, err := netns.Run(ns.B, out.Text, "nft", "-c", "-f", "-"); err != nil {
					t.Errorf("%s %s: %v\n%s", cfg.File, f.Name, err, out.Text)
				}
			}
			var g *policy.Filter
			for _, x := range back.EntryFilters() {
				g = x
			}
			if g == nil {
				t.Errorf("%s %s: no base chain rendered\n%s", cfg.File, f.Name, out.Text)
				continue
			}
			if g.Family != f.Family {
				t.Errorf("%s %s: family %v, rendered %v", cfg.File, f.Name, f.Family, g.Family)
			}
			d := policy.DiffFilters(cfg, f, back, g)
			if len(d.Changes) > 0 {
				t.Errorf("%s %s: %d decision changes, e.g. %s -> %s on %+v\n%s", cfg.File, f.Name, len(d.Changes), d.Changes[0].Old, d.Changes[0].New, d.Changes[0].Sample, out.Text)
				continue
			}
			converted++
		}
	}
	t.Logf("converted %d filters, refused %d", converted, refused)
	if converted < 5 {
		t.Errorf("only %d filters converted", converted)
	}
}

// TestRenderWildcardBitmask: a non-contiguous wildcard becomes an exact
// bitmask match, and the ranges of the same set an anonymous set; the
// alternatives are disjoint so a jump happens at most once.
func TestRenderWildcardBitmask(t *testing.T) {
	acl := "hostname r1\nip access-list extended ODD\n permit tcp 10.250.0.1 0.0.63.254 any eq 7001\n permit tcp 192.0.2.0 0.0.0.255 any eq 7002\n deny ip any any\n"
	v, _ := registry.Lookup("ios")
	cfg, err := v.Parse("odd.cfg", []byte(acl))
	if err != nil {
		t.Fatal(err)
	}
	out, err := nftables.Render(cfg, vendors.RenderOptions{Format: "hook=input"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "ip saddr & 255.255.192.1 == 10.250.0.1 tcp dport 7001 accept") {
		t.Fatalf("want a bitmask match:\n%s", out)
	}
	back, err := nftables.Parse("r.nft", out)
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Filter("ODD")
	if len(f.Rules[0].Match.Src.Set.Wildcards()) != 1 {
		t.Fatal("fixture no longer yields a symbolic wildcard")
	}
	if d := policy.DiffFilters(cfg, f, back, back.EntryFilters()[0]); len(d.Changes) != 0 {
		t.Fatalf("decisions changed: %s -> %s on %+v", d.Changes[0].Old, d.Changes[0].New, d.Changes[0].Sample)
	}
	// a mask too wide to expand is kept as never matching, not widened
	wide := "table ip t {\n chain c {\n  type filter hook input priority 0;\n  ip saddr & 0.0.0.1 == 0.0.0.1 accept\n }\n}\n"
	wc, err := nftables.Parse("w.nft", []byte(wide))
	if err != nil {
		t.Fatal(err)
	}
	if r := wc.Filters[0].Rules[0]; len(r.Match.Unresolved) == 0 {
		t.Fatalf("wide mask not kept as unmodelled (%d ranges)", len(r.Match.Src.Set.Ranges()))
	}
}
