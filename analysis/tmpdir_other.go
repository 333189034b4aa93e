//go:build !linux

package analysis

// revisionTmpBase: the system's temporary directory.
func revisionTmpBase() string { return "" }
