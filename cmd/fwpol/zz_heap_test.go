package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

func TestHeapAfterLoad(t *testing.T) {
	if os.Getenv("FWPOL_HEAP") == "" {
		t.Skip()
	}
	e := &estateFlags{inventory: os.Getenv("FWPOL_INV")}
	est, err := e.load(nil)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	f, _ := os.Create(os.Getenv("FWPOL_HEAP"))
	pprof.WriteHeapProfile(f)
	f.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("configs %d heap inuse %d MB", len(est.Configs), ms.HeapInuse>>20)
	runtime.KeepAlive(est)
}
