package blocklist

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/internal/gen"
	"github.com/fwpol/fwpol/netdb"
)

// BenchmarkImportRender10K imports a 10,000-line feed, aggregates, and
// renders every device of the generated demo estate (parsing the estate is
// not timed: it is what every estate command already does).
func BenchmarkImportRender10K(b *testing.B) {
	dir := b.TempDir()
	if _, err := gen.Write(dir, gen.Demo); err != nil {
		b.Fatal(err)
	}
	inv, err := netdb.Load(filepath.Join(dir, "fwpol.yaml"), netdb.Options{DeviceName: estate.DeviceName})
	if err != nil {
		b.Fatal(err)
	}
	est, err := estate.Load(nil, estate.Options{Inventory: inv})
	if err != nil {
		b.Fatal(err)
	}
	var feed strings.Builder
	for i := 0; i < 10000; i++ {
		// scattered /32s and /28s in 100.64.0.0/10, some adjacent
		if i%3 == 0 {
			fmt.Fprintf(&feed, "100.%d.%d.%d/28\n", 64+i/4096%64, i/16%256, i%16*16)
		} else {
			fmt.Fprintf(&feed, "100.%d.%d.%d # c2\n", 64+i/4096%64, i/16%256, i%256)
		}
	}
	devices := map[string]bool{}
	for _, c := range est.Configs {
		devices[c.Device] = true
	}
	now := time.Now()
	b.ResetTimer()
	var cmds, failed int
	for n := 0; n < b.N; n++ {
		l := &List{NextID: 1}
		items, err := ParseFeed([]byte(feed.String()), "")
		if err != nil {
			b.Fatal(err)
		}
		res, _ := Import(l, items, Request{Reason: "feed", Ticket: "T", User: "bench"}, NewSafety(inv, DefaultLimits), now)
		if len(res.Added)+len(res.Merged) != 10000 {
			b.Fatalf("added %d merged %d refused %d", len(res.Added), len(res.Merged), len(res.Refused))
		}
		_ = l.Marshal()
		changes := Render(est.Configs, inv, l.Active(now), now)
		cmds, failed = 0, 0
		for _, dc := range changes {
			if dc.Error != "" {
				// every vendor renders feeds of any size
				b.Errorf("%s: %s", dc.Device, dc.Error)
				failed++
			}
			cmds += len(dc.Commands)
		}
	}
	b.ReportMetric(float64(len(devices)), "devices")
	b.ReportMetric(float64(cmds), "commands")
	b.ReportMetric(float64(failed), "failed-devices")
}
