package iptables_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/iptables"
	"github.com/fwpol/fwpol/vendors/registry"
)

// foreignConfigs parses the other vendors' fixtures (and corpus files).
func foreignConfigs(t *testing.T) []*policy.Config {
	t.Helper()
	var files []string
	for _, d := range []string{"cisco", "junos", "asa"} {
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
		if !ok || v.Name == "iptables" || v.Name == "nftables" || v.Name == "ipset" {
			continue
		}
		cfg, err := v.Parse(f, data)
		if err != nil {
			continue // not this test's concern
		}
		out = append(out, cfg)
	}
	return out
}

// TestRenderConvert renders every entry filter of the Junos, IOS/NX-OS/EOS
// and ASA fixtures as the INPUT chain and checks, with the exact packet
// algebra, that parsing the result gives the same decisions. A filter the
// renderer refuses must be refused with a reason, never rendered wider.
func TestRenderConvert(t *testing.T) {
	converted, refused := 0, 0
	var ns *netns.Pair
	if netns.Available() == nil {
		p, err := netns.NewPair("iptcv")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ns = p
	}
	for _, cfg := range foreignConfigs(t) {
		for _, f := range cfg.EntryFilters() {
			fam := "ipv4"
			if f.Family == policy.FamilyIPv6 {
				fam = "ipv6"
			}
			opt := vendors.RenderOptions{Filters: []string{f.Name}, Format: "chain=INPUT,family=" + fam}
			out, err := iptables.RenderRuleset(cfg, opt)
			if err != nil {
				if !strings.Contains(err.Error(), ":") {
					t.Errorf("%s %s: unhelpful error %v", cfg.File, f.Name, err)
				}
				t.Logf("%s %s: refused: %v", cfg.File, f.Name, err)
				refused++
				continue
			}
			back, err := iptables.Parse("rendered", out.Rules)
			if err != nil {
				t.Errorf("%s %s: rendered text does not parse: %v\n%s", cfg.File, f.Name, err, out.Rules)
				continue
			}
			back.Device = "x"
			if out.IPSets != nil {
				sc, err := iptables.ParseIPSet("rendered.ipset", out.IPSets)
				if err != nil {
					t.Fatalf("%s %s: rendered ipsets do not parse: %v", cfg.File, f.Name, err)
				}
				sc.Device = "x"
				iptables.Link([]*policy.Config{back, sc})
			}
			if ns != nil {
				// the kernel accepts it
				if out.IPSets != nil {
					if _, err := netns.Run(ns.B, out.IPSets, "ipset", "-exist", "restore"); err != nil {
						t.Fatalf("%s %s: %v", cfg.File, f.Name, err)
					}
				}
				bin := "iptables-restore"
				if out.V6 {
					bin = "ip6tables-restore"
				}
				if _, err := netns.Run(ns.B, out.Rules, bin, "--test"); err != nil {
					t.Errorf("%s %s: %v\n%s", cfg.File, f.Name, err, out.Rules)
				}
			}
			g := back.Filter("INPUT")
			d := policy.DiffFilters(cfg, f, back, g)
			if len(d.Changes) > 0 {
				t.Errorf("%s %s: %d decision changes, e.g. %s -> %s on %+v\n%s", cfg.File, f.Name, len(d.Changes), d.Changes[0].Old, d.Changes[0].New, d.Changes[0].Sample, out.Rules)
				continue
			}
			if f.Family == policy.FamilyAny {
				// the rendered chain sees only IPv4: check that DiffFilters
				// compared something (intersection of families)
				if g.Family != policy.FamilyIPv4 {
					t.Errorf("%s %s: family %v", cfg.File, f.Name, g.Family)
				}
			}
			converted++
		}
	}
	t.Logf("converted %d filters, refused %d", converted, refused)
	if converted < 5 {
		t.Errorf("only %d filters converted", converted)
	}
}

// TestRenderWildcard: a non-contiguous wildcard too large to expand in the
// model becomes an exact hash:net ipset; packets through the kernel agree.
func TestRenderWildcard(t *testing.T) {
	acl := "hostname r1\nip access-list extended ODD\n permit tcp 10.250.0.1 0.0.63.254 any eq 7001\n deny ip any any\n"
	v, _ := registry.Lookup("ios")
	cfg, err := v.Parse("odd.cfg", []byte(acl))
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Filter("ODD")
	if f == nil || len(f.Rules[0].Match.Src.Set.Wildcards()) != 1 {
		t.Fatalf("fixture no longer yields a symbolic wildcard: %+v", f)
	}
	out, err := iptables.RenderRuleset(cfg, vendors.RenderOptions{Format: "chain=INPUT"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out.Rules), "--match-set fwpol-") || strings.Count(string(out.IPSets), "\nadd ") != 8192 {
		t.Fatalf("want a generated set of 8192 prefixes:\n%s", out.Rules)
	}
	back, _ := iptables.Parse("r", out.Rules)
	sc, err := iptables.ParseIPSet("r.ipset", out.IPSets)
	if err != nil {
		t.Fatal(err)
	}
	iptables.Link([]*policy.Config{back, sc})
	if d := policy.DiffFilters(cfg, f, back, back.Filter("INPUT")); len(d.Changes) != 0 {
		t.Fatalf("decisions changed: %+v", d.Changes[0])
	}
	if err := netns.Available(); err != nil {
		t.Skip(err)
	}
	p, err := netns.NewPair("iptwc")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// 10.250.0.1 matches (odd last octet with the pattern), .3 matches,
	// .2 does not (even)
	for _, a := range []string{"10.250.0.3/24", "10.250.0.4/24"} {
		if err := p.AddAddr(p.A, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := netns.Run(p.B, out.IPSets, "ipset", "restore"); err != nil {
		t.Fatal(err)
	}
	if _, err := netns.Run(p.B, out.Rules, "iptables-restore"); err != nil {
		t.Fatal(err)
	}
	srv, err := netns.Serve(p.B, p.AddrB.Addr(), []uint16{7001}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		src  string
		want netns.Result
	}{{"10.250.0.1", netns.Accepted}, {"10.250.0.3", netns.Accepted}, {"10.250.0.4", netns.Dropped}} {
		got, err := netns.ProbeTCP(p.A, netip.AddrPortFrom(netip.MustParseAddr(tc.src), 0), netip.AddrPortFrom(p.AddrB.Addr(), 7001), 300e6)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: kernel %v, want %v", tc.src, got, tc.want)
		}
	}
}
