package estate

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Decoding cached configs allocates almost nothing but what the estate
// keeps, so garbage collections during it mark the growing live heap again
// and again and free little: on the generated 850K-line estate they cost a
// third of a warm lint. While decoding, collection waits for a memory limit
// instead of heap growth; the limit leaves room for what decoding a pack of
// this size keeps (about 8 bytes of heap per pack byte, measured) twice
// over, so a collection only runs when decoding produced garbage after all
// (files parsed afresh). A user who set GOGC or GOMEMLIMIT keeps them.

// heapPerPackByte bounds the decoded heap per byte of pack.
const heapPerPackByte = 16

var gcPause struct {
	sync.Mutex
	n                    int // loads decoding now
	oldPercent, oldLimit int
	limit                uint64
}

// pauseGC defers collection while a pack of packSize bytes is decoded and
// returns the function that restores the collector's settings (concurrent
// loads add up their room; the last one restores).
func pauseGC(packSize int) (resume func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	room := uint64(heapPerPackByte)*uint64(packSize) + 256<<20
	p := &gcPause
	p.Lock()
	defer p.Unlock()
	if p.n == 0 {
		sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		metrics.Read(sample)
		p.limit = 0
		if sample[0].Value.Kind() == metrics.KindUint64 {
			p.limit = sample[0].Value.Uint64()
		}
		p.oldPercent = debug.SetGCPercent(-1)
		p.oldLimit = int(debug.SetMemoryLimit(-1))
	}
	p.n++
	p.limit = min(p.limit+room, math.MaxInt64)
	debug.SetMemoryLimit(int64(p.limit))
	return func() {
		p.Lock()
		defer p.Unlock()
		if p.n--; p.n == 0 {
			debug.SetGCPercent(p.oldPercent)
			debug.SetMemoryLimit(int64(p.oldLimit))
		}
	}
}
