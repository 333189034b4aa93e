package analysis

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors/registry"
)

// go test -run '^$' -bench . -benchtime 3x ./analysis

// BenchmarkDiff20K: two versions of a 20,000-rule ACL differing in 50 rules,
// through the estate-level pairing and report.
func BenchmarkDiff20K(b *testing.B) {
	for _, v := range []string{"sparse", "p64"} {
		b.Run(v, func(b *testing.B) {
			old := policy.GenerateACL(20000, 1, v)
			nw := policy.MutateACL(old, 50, 2)
			pairs := PairEstates([]*policy.Config{old}, []*policy.Config{nw})
			var rep *DiffReport
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep = Diff(pairs, nil, DiffOptions{})
			}
			b.ReportMetric(float64(rep.Summary.Regions), "regions")
		})
	}
}

// BenchmarkLint20K: every check over a 20,000-rule ACL.
func BenchmarkLint20K(b *testing.B) {
	for _, v := range []string{"sparse", "p64"} {
		b.Run(v, func(b *testing.B) {
			c := policy.GenerateACL(20000, 1, v)
			var fs []LintFinding
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fs = Lint([]*policy.Config{c}, LintOptions{})
			}
			b.ReportMetric(float64(len(fs)), "findings")
		})
	}
}

// BenchmarkLintEstate lints the generated large estate (850K lines, 37K
// hosts) once loaded; it needs `bin/fwpol dev gen-estate --size large
// out/bench-estate` (make bench writes it) or FWPOL_BENCH_ESTATE.
func BenchmarkLintEstate(b *testing.B) {
	dir := os.Getenv("FWPOL_BENCH_ESTATE")
	if dir == "" {
		dir = filepath.Join("..", "out", "bench-estate")
	}
	if _, err := os.Stat(filepath.Join(dir, netdb.DefaultFile)); err != nil {
		b.Skip("no generated estate at " + dir)
	}
	var names []string
	for _, v := range registry.All() {
		names = append(names, v.Name)
	}
	inv, err := netdb.Load(dir, netdb.Options{KnownVendors: names, DeviceName: estate.DeviceName})
	if err != nil {
		b.Fatal(err)
	}
	est, err := estate.Load(nil, estate.Options{Inventory: inv, CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	var fs []LintFinding
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs = Lint(est.Configs, LintOptions{})
	}
	b.ReportMetric(float64(len(fs)), "findings")
	b.ReportMetric(float64(len(est.Configs)), "configs")
}
