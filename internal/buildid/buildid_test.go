package buildid

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The ID is the one `go tool buildid` reports for this test binary.
func TestIDIsTheGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if got, want := ID(), strings.TrimSpace(string(out)); got != want || got == "" {
		t.Fatalf("ID %q, go tool buildid %q", got, want)
	}
}
