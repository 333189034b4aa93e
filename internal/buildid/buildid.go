// Package buildid names the running fwpol binary, so caches written by one
// build are not read by another: parsers change what they produce from the
// same file, and a cache entry only records the file it came from.
package buildid

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
)

var (
	once sync.Once
	id   string
)

// ID is the Go build ID of the running executable (content-derived), or,
// where it cannot be read, its size and modification time; "" when even
// that is unknown.
func ID() string {
	once.Do(func() { id = read() })
	return id
}

func read() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if b, err := s.Data(); err == nil {
				if desc, ok := goNote(b, f.ByteOrder); ok {
					return desc
				}
			}
		}
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d-%d", st.Size(), st.ModTime().UnixNano())
}

// goNote reads the descriptor of an ELF note named "Go".
func goNote(b []byte, bo binary.ByteOrder) (string, bool) {
	if len(b) < 16 {
		return "", false
	}
	namesz, descsz := bo.Uint32(b), bo.Uint32(b[4:])
	nameEnd := 12 + int(namesz)
	descStart := 12 + (int(namesz)+3)&^3
	if namesz != 4 || nameEnd > len(b) || string(b[12:14]) != "Go" || descStart+int(descsz) > len(b) {
		return "", false
	}
	return string(b[descStart : descStart+int(descsz)]), true
}
