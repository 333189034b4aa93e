package main

import (
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"testing"
)

func TestProfileWarm(t *testing.T) {
	if os.Getenv("FWPOL_PROFILE") == "" {
		t.Skip()
	}
	f, _ := os.Create(os.Getenv("FWPOL_PROFILE"))
	pprof.StartCPUProfile(f)
	defer pprof.StopCPUProfile()
	run(strings.Fields(os.Getenv("FWPOL_ARGS")), &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: os.Stderr})
}
