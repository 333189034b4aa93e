package cisco

import (
	"bytes"
	"testing"

	"github.com/fwpol/fwpol/internal/parsebench"
)

func benchParse(b *testing.B, d dialect, gen func(*bytes.Buffer) error) {
	parsebench.Run(b, parsebench.Generated(b, gen), func(data []byte) error {
		_, err := parse("gen.cfg", data, d)
		return err
	})
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
