package policy

import (
	"fmt"
	"testing"
)

// go test -run '^$' -bench 'Diff|Lint|Build' -benchtime 3x ./policy
var benchVariants = []string{"sparse", "p64", "p16", "v6"}

func BenchmarkDiff20K(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v, func(b *testing.B) {
			a := GenerateACL(20000, 1, v)
			bb := MutateACL(a, 50, 2)
			var d FilterDiff
			var nodes int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := NewManager(0)
				d = m.DiffFilters(a, a.Filters[0], bb, bb.Filters[0], DiffOptions{})
				nodes = m.NodeCount()
			}
			b.ReportMetric(float64(d.Summary.Changes), "changes")
			b.ReportMetric(float64(d.Summary.Regions), "regions")
			b.ReportMetric(float64(nodes), "nodes")
		})
	}
}

func BenchmarkLint20K(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v, func(b *testing.B) {
			a := GenerateACL(20000, 1, v)
			var fs []Finding
			var nodes int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := NewManager(0)
				fs = m.LintFilter(a, a.Filters[0])
				nodes = m.NodeCount()
			}
			count := map[FindingKind]int{}
			for _, f := range fs {
				count[f.Kind]++
			}
			b.ReportMetric(float64(count[FindingShadowed]), "shadowed")
			b.ReportMetric(float64(count[FindingRedundant]), "redundant")
			b.ReportMetric(float64(nodes), "nodes")
		})
	}
}

func BenchmarkBuild20K(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v, func(b *testing.B) {
			a := GenerateACL(20000, 1, v)
			var nodes int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := NewManager(0)
				newBuilder(m, a, a.Filters[0], true, bddTrue).build()
				nodes = m.NodeCount()
			}
			b.ReportMetric(float64(nodes), "nodes")
		})
	}
}

func ExampleDiffFilters() {
	a := GenerateACL(200, 1, "sparse")
	b := MutateACL(a, 5, 2)
	d := DiffFilters(a, a.Filters[0], b, b.Filters[0])
	for _, c := range d.Changes[:1] {
		fmt.Printf("%s: %v → %v\n", c.Regions[0], c.Old, c.New)
	}
	// Output:
	// x
}
