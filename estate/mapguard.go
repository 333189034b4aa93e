package estate

import "runtime/debug"

// Packs are mapped, not read. fwpol only ever replaces a pack by rename, but
// if another program truncates one in place while it is mapped, touching
// the lost pages raises SIGBUS. With the runtime's panic-on-fault that is a
// panic, recovered here: the caller then treats the entry (or the pack) as
// unusable and parses afresh, instead of the process dying.

// guardMapped runs fn, which reads mapped memory, and reports whether it
// faulted.
func guardMapped(fn func()) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if _, isFault := r.(interface{ Addr() uintptr }); !isFault {
				panic(r)
			}
			faulted = true
		}
	}()
	fn()
	return false
}
