package push_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fwpol/fwpol/push"
)

// BenchmarkPlanPush1000 plans and pushes the blocklist to 1,000 simulated
// devices (Junos, IOS and ASA, 10 sites) over real SSH with --parallel 64.
func BenchmarkPlanPush1000(b *testing.B) {
	const n = 1000
	files := []simDev{threeVendors[0], threeVendors[1], threeVendors[2]}
	var planTime, pushTime time.Duration
	for b.Loop() {
		b.StopTimer()
		var devs []simDev
		for i := range n {
			f := files[i%3]
			devs = append(devs, simDev{fmt.Sprintf("d%04d", i), fmt.Sprintf("s%d", i%10), f.vendor, f.file})
		}
		l := newLab(b, devs)
		opt := l.opts()
		opt.Parallel = 64
		opt.LogPath = ""
		b.StartTimer()
		t0 := time.Now()
		plans := l.plan()
		t1 := time.Now()
		s, err := push.Push(context.Background(), plans, opt)
		t2 := time.Now()
		if err == nil && !s.OK {
			for _, r := range s.Results {
				if r.Status == push.StatusFailed || r.Status == push.StatusRolledBack {
					b.Logf("%s (%s): %s", r.Device, r.Vendor, r.Error)
				}
			}
		}
		if err != nil || !s.OK || s.Applied != n {
			b.Fatalf("push: %v ok=%v applied=%d failed=%d", err, s != nil && s.OK, s.Applied, s.Failed)
		}
		planTime += t1.Sub(t0)
		pushTime += t2.Sub(t1)
		b.StopTimer()
		l.sim.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/(planTime+pushTime).Seconds(), "devices/s")
	b.ReportMetric(float64(n*b.N)/planTime.Seconds(), "plan-devices/s")
	b.ReportMetric(float64(n*b.N)/pushTime.Seconds(), "push-devices/s")
}
