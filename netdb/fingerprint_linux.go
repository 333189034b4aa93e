package netdb

import (
	"os"
	"syscall"
)

func fingerprintOf(st os.FileInfo) fingerprint {
	fp := fingerprint{size: st.Size(), mtime: st.ModTime().UnixNano()}
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		fp.ctime = s.Ctim.Nano()
		fp.ino = s.Ino
	}
	return fp
}
