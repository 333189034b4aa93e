// Package parsebench is the one benchmark loop every vendor parser uses:
// MB/s (wall), lines/s, allocations, and MB per CPU-second (parser plus its
// GC work), which a loaded shared machine skews less than wall time.
package parsebench

import (
	"bytes"
	"syscall"
	"testing"
	"time"
)

// Run benchmarks parse over data (a generated config).
func Run(b *testing.B, data []byte, parse func(data []byte) error) {
	lines := bytes.Count(data, []byte{'\n'})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
	cpu := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if cpu > 0 {
		b.ReportMetric(float64(len(data))*float64(b.N)/cpu/1e6, "MB/cpu-s")
	}
}

// Generated returns what gen writes, failing the benchmark on an error.
func Generated(b *testing.B, gen func(*bytes.Buffer) error) []byte {
	var buf bytes.Buffer
	if err := gen(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
