// Command fwpol parses firewall policies from every vendor of an estate into
// one model and answers questions about them.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], systemIO()))
}

// tuneGC trades memory for speed in a short-lived batch process: collect
// less often, but never let the heap pass 1.5 GB (the estate-wide commands
// must stay under 2 GB). GOGC and GOMEMLIMIT still override.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1536 << 20)
	}
}
