package cisco

import (
	"bytes"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a loaded shared
// machine it measures the parser's cost better than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchParse(b *testing.B, d dialect, gen func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := gen(&buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	lines := bytes.Count(data, []byte{'\n'})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := parse("gen.cfg", data, d); err != nil {
			b.Fatal(err)
		}
	}
	cpu := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if cpu > 0 {
		// throughput per CPU-second (parser plus its GC work)
		b.ReportMetric(float64(len(data))*float64(b.N)/cpu/1e6, "MB/cpu-s")
	}
}

// BenchmarkParse parses a generated 50,000-entry IOS router config and a
// 50,000-entry NX-OS config.
func BenchmarkParse(b *testing.B) {
	b.Run("ios", func(b *testing.B) {
		benchParse(b, dIOS, func(w *bytes.Buffer) error { return GenerateConfig(w, 50000, 1) })
	})
	b.Run("nxos", func(b *testing.B) {
		benchParse(b, dNXOS, func(w *bytes.Buffer) error { return GenerateNXOSConfig(w, 50000, 1) })
	})
}
