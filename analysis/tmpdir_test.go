package analysis

import (
	"os"
	"testing"
)

// A user's TMPDIR wins; otherwise the base is the system default or an
// existing directory (a tmpfs where the system has one).
func TestRevisionTmpBase(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	if b := revisionTmpBase(); b != "" {
		t.Fatalf("with TMPDIR set: %q", b)
	}
	os.Unsetenv("TMPDIR")
	if b := revisionTmpBase(); b != "" {
		if st, err := os.Stat(b); err != nil || !st.IsDir() {
			t.Fatalf("base %q is not a directory", b)
		}
	}
}
