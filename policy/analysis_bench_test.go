package policy

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is this process's user+system CPU time: the machine is shared, so
// benchmarks also report CPU ms per op, which contention does not inflate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
}

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
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				m := NewManager(sizeHintFor(a, nil) + sizeHintFor(bb, nil))
				d = m.DiffFilters(a, a.Filters[0], bb, bb.Filters[0], DiffOptions{})
				nodes = m.NodeCount()
			}
			reportCPU(b, c0)
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
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				m := NewManager(sizeHintFor(a, nil))
				fs = m.LintFilter(a, a.Filters[0])
				nodes = m.NodeCount()
			}
			reportCPU(b, c0)
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
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				m := NewManager(sizeHintFor(a, nil))
				newBuilder(m, a, a.Filters[0], true, bddTrue).build()
				nodes = m.NodeCount()
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(nodes), "nodes")
		})
	}
}

func ExampleDiffFilters() {
	a := GenerateACL(200, 1, "sparse")
	b := MutateACL(a, 5, 2)
	d := DiffFilters(a, a.Filters[0], b, b.Filters[0])
	for _, c := range d.Changes {
		for _, r := range c.Regions {
			fmt.Printf("%s: %v → %v\n", r, c.Old, c.New)
		}
	}
	fmt.Printf("%+v\n", d.Summary)
	// Output:
	// udp src any dst 172.23.89.192/27 dport 4030-4496: acl rule 870 (line 88) permit → acl rule 870 (line 90) deny
	// ip src any dst 172.28.139.240/29: acl rule 1190 (line 120) permit → acl rule 1190 (line 122) deny
	// udp src any dst 172.30.202.144/28 dport 12022: acl rule 1870 (line 188) permit → acl rule 2010 (line 203) deny
	// udp src 10.185.11.0/24 dst 172.27.47.116/32 dport 29285-29401: acl rule 2010 (line 202) deny → acl rule ins2 (line 40) permit
	// ip src 10.152.222.40/29 dst 172.17.172.254/31: acl rule 2010 (line 202) deny → acl rule ins1 (line 43) permit
	// {Changes:5 Regions:5 NewlyPermitted:2 NewlyBlocked:3 Other:0}
}

func BenchmarkDecisions20K(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v, func(b *testing.B) {
			a := GenerateACL(20000, 1, v)
			var dm *DecisionMap
			var nodes int
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				m := NewManager(sizeHintFor(a, nil))
				dm = m.Decisions(a, a.Filters[0])
				nodes = m.NodeCount()
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(len(dm.Outcomes)), "outcomes")
			b.ReportMetric(float64(nodes), "nodes")
		})
	}
}
