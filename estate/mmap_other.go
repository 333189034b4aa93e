//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package estate

import "os"

// mapFile reads a file where mapping is not available.
func mapFile(path string) (data []byte, unmap func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, err
}
