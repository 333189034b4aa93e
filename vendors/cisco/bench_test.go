package cisco

import (
	"bytes"
	"testing"
)

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
	for i := 0; i < b.N; i++ {
		if _, err := parse("gen.cfg", data, d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
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
