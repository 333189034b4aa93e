package estate

import (
	"os"
	"path/filepath"
	"testing"
)

// A file skipped while walking a directory is cached as skipped; naming it
// explicitly later must still report that no vendor recognises it.
func TestCachedSkipStillFailsWhenExplicit(t *testing.T) {
	cache, dir := t.TempDir(), t.TempDir()
	f := filepath.Join(dir, "x.cfg")
	os.WriteFile(f, []byte("garbage that no vendor recognises\n"), 0o644)
	if est, err := Load([]string{dir}, Options{CacheDir: cache}); err != nil || len(est.Skipped) != 1 {
		t.Fatalf("walk: %v %v", est, err)
	}
	if _, err := Load([]string{f}, Options{CacheDir: cache}); err == nil {
		t.Fatal("explicit unrecognised file loaded from a cached skip")
	}
}
