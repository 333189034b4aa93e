//go:build !linux

package netdb

import "os"

func fingerprintOf(st os.FileInfo) fingerprint {
	return fingerprint{size: st.Size(), mtime: st.ModTime().UnixNano()}
}
