package estate

import (
	"runtime/debug"
	"sync"
	"testing"
)

// Overlapping loads restore the collector's settings once, after the last.
func TestPauseGCRestoresAfterOverlappingLoads(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	percent := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resume := pauseGC(1 << 20)
			if p := debug.SetGCPercent(-1); p != -1 {
				t.Errorf("collection not paused (GOGC %d)", p)
			}
			resume()
		}()
	}
	wg.Wait()
	if p := debug.SetGCPercent(percent); p != percent {
		t.Fatalf("GOGC %d after the loads, want %d", p, percent)
	}
	if l := debug.SetMemoryLimit(-1); l != limit {
		t.Fatalf("memory limit %d after the loads, want %d", l, limit)
	}
}
