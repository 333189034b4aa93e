package nftables

import (
	"bytes"
	nsx "github.com/fwpol/fwpol/internal/netns"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

func sameDecisions(t *testing.T, a, b *policy.Config) {
	t.Helper()
	entries := a.EntryFilters()
	if len(entries) != len(b.EntryFilters()) {
		t.Errorf("%d entry filters, rendered %d", len(entries), len(b.EntryFilters()))
	}
	for _, f := range entries {
		g := b.Filter(f.Name)
		if g == nil {
			t.Errorf("filter %s missing after rendering", f.Name)
			continue
		}
		if f.Family != g.Family || f.Default != g.Default {
			t.Errorf("%s: family %v default %v, rendered %v %v", f.Name, f.Family, f.Default, g.Family, g.Default)
		}
		for _, k := range []string{"table", "family", "hook", "priority", "type", "policy", "device"} {
			if f.Meta[k] != g.Meta[k] {
				t.Errorf("%s: %s %q, rendered %q", f.Name, k, f.Meta[k], g.Meta[k])
			}
		}
		d := policy.DiffFilters(a, f, b, g)
		for _, c := range d.Changes {
			t.Errorf("%s: decision changed: %s -> %s, e.g. %+v", f.Name, c.Old, c.New, c.Sample)
		}
	}
}

type rtCase struct {
	name string
	data []byte
}

func renderCases(t *testing.T) []rtCase {
	var cases []rtCase
	for _, f := range fixtureFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, rtCase{f, data})
	}
	var gen bytes.Buffer
	if err := GenerateConfig(&gen, 300, 5); err != nil {
		t.Fatal(err)
	}
	return append(cases, rtCase{"generated", gen.Bytes()})
}

// TestRenderRoundTrip: parse → render → parse keeps every entry chain's
// decision map and hook, and rendering reaches a fixpoint at once.
func TestRenderRoundTrip(t *testing.T) {
	for _, tc := range renderCases(t) {
		t.Run(filepath.Base(tc.name), func(t *testing.T) {
			cfg, err := Parse(tc.name, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := RenderRuleset(cfg, vendors.RenderOptions{Format: "skip-unmodelled"})
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("rendered.nft", out.Text)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.Text)
			}
			sameDecisions(t, cfg, back)
			again, err := RenderRuleset(back, vendors.RenderOptions{Format: "skip-unmodelled"})
			if err != nil {
				t.Fatal(err)
			}
			b3, err := Parse("again.nft", again.Text)
			if err != nil {
				t.Fatal(err)
			}
			third, err := RenderRuleset(b3, vendors.RenderOptions{Format: "skip-unmodelled"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body(again.Text), body(third.Text)) {
				t.Errorf("rendering is not stable:\n%s\n---\n%s", again.Text, third.Text)
			}
			if t.Failed() {
				t.Logf("rendered:\n%s", out.Text)
			}
		})
	}
}

func body(b []byte) []byte {
	for i := 0; i < 2; i++ {
		if j := bytes.IndexByte(b, '\n'); j >= 0 && bytes.HasPrefix(b, []byte("#")) {
			b = b[j+1:]
		}
	}
	return b
}

// TestRenderRefusesUnmodelled: a rule the model cannot hold is refused
// unless skip-unmodelled asks for a comment.
func TestRenderRefusesUnmodelled(t *testing.T) {
	src := "table inet t {\n chain c {\n  type filter hook input priority 0; policy accept;\n  ip saddr 10.0.0.0/8 fib daddr type local drop\n  tcp dport 22 accept\n }\n}\n"
	cfg, err := Parse("u.nft", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Render(cfg, vendors.RenderOptions{}); err == nil || !strings.Contains(err.Error(), "u.nft:4") {
		t.Fatalf("want an error naming u.nft:4, got %v", err)
	}
	out, err := Render(cfg, vendors.RenderOptions{Format: "skip-unmodelled"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "# fwpol: rule 1 not rendered") || !strings.Contains(string(out), "tcp dport 22 accept") {
		t.Fatalf("unexpected:\n%s", out)
	}
}

// TestRenderNftCheck: every rendered ruleset passes nft -c in a fresh
// namespace.
func TestRenderNftCheck(t *testing.T) {
	ns := netns(t)
	for _, tc := range renderCases(t) {
		t.Run(filepath.Base(tc.name), func(t *testing.T) {
			cfg, err := Parse(tc.name, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := RenderRuleset(cfg, vendors.RenderOptions{Format: "skip-unmodelled"})
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), "r.nft")
			if err := os.WriteFile(f, out.Text, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := nsx.Run(ns, nil, "nft", "-c", "-f", f); err != nil {
				t.Fatalf("%v\n%s", err, out.Text)
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	var gen bytes.Buffer
	if err := GenerateConfig(&gen, 20000, 1); err != nil {
		b.Fatal(err)
	}
	cfg, err := Parse("gen", gen.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(gen.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := RenderRuleset(cfg, vendors.RenderOptions{Format: "skip-unmodelled"}); err != nil {
			b.Fatal(err)
		}
	}
}
