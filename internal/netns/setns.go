package netns

import (
	"errors"
	"runtime"
	"syscall"
)

// setnsNR is the setns(2) system call number per architecture (the syscall
// package does not export it everywhere).
var setnsNR = map[string]uintptr{
	"amd64": 308, "386": 346, "arm64": 268, "arm": 375, "riscv64": 268, "loong64": 268,
	"ppc64": 350, "ppc64le": 350, "s390x": 339, "mips64": 5303, "mips64le": 5303,
}

// setns moves the calling OS thread into the network namespace open as fd.
func setns(fd uintptr) error {
	nr, ok := setnsNR[runtime.GOARCH]
	if runtime.GOOS != "linux" || !ok {
		return errors.New("setns is not supported on " + runtime.GOOS + "/" + runtime.GOARCH)
	}
	if _, _, e := syscall.RawSyscall(nr, fd, 0x40000000 /* CLONE_NEWNET */, 0); e != 0 {
		return e
	}
	return nil
}
