package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBlockImportFeed: a threat feed is previewed with its impact, needs
// --yes off a terminal, refuses protected ranges line by line, merges
// duplicates, and --dry-run writes nothing.
func TestBlockImportFeed(t *testing.T) {
	isolateCache(t)
	dir := verifyEstate(t, "intents: []\n")
	feed := filepath.Join(dir, "feed.txt")
	writeFile(t, feed, "# feed 2026-11-22\n198.51.100.0/24\n203.0.113.7\n198.51.100.9 ; already inside the /24\n198.18.0.0/30\nnot-an-address\n")
	blocklistFile := filepath.Join(dir, "blocklist.yaml")

	out, errOut, code := fwpol(t, "block", "import", feed, "--reason", "feed", "--ticket", "INC-9", "--inventory", dir, "--dry-run", "-o", "json")
	if code != 0 {
		t.Fatalf("dry run: exit %d %s %s", code, out, errOut)
	}
	var rep struct {
		Added   int              `json:"added"`
		Merged  int              `json:"merged"`
		Refused []map[string]any `json:"refused"`
		Impact  []map[string]any `json:"impact"`
	}
	json.Unmarshal([]byte(out), &rep)
	// three ranges added; 203.0.113.7 (protected) and the junk refused
	if rep.Added != 3 || rep.Merged != 0 || len(rep.Refused) != 2 {
		t.Fatalf("dry run report: %s", out)
	}
	// MGMT (198.51.100.0/24) may reach the routing engine today: the impact says so
	sawSSH := false
	for _, c := range rep.Impact {
		if c["device"] == "edge1" && c["rule"] == "ssh" {
			sawSSH = true
		}
	}
	if !sawSSH {
		t.Fatalf("impact misses edge1 term ssh: %v", rep.Impact)
	}
	if _, err := os.Stat(blocklistFile); err == nil {
		t.Fatal("--dry-run wrote the blocklist")
	}
	// off a terminal, importing needs --yes
	_, errOut, code = fwpol(t, "block", "import", feed, "--reason", "feed", "--ticket", "INC-9", "--inventory", dir)
	if code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("without --yes: exit %d %q", code, errOut)
	}
	out, errOut, code = fwpol(t, "block", "import", feed, "--reason", "feed", "--ticket", "INC-9", "--inventory", dir, "--yes")
	if code != 0 || !strings.Contains(out, "3 added, 0 merged") || !strings.Contains(errOut, "feed.txt:3: refused 203.0.113.7") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	// the same feed again: everything is already blocked
	out, _, code = fwpol(t, "block", "import", feed, "--reason", "feed", "--ticket", "INC-9", "--inventory", dir, "--yes")
	if code != 0 || !strings.Contains(out, "nothing new: 3 merged") {
		t.Fatalf("re-import: exit %d %s", code, out)
	}
	out, _, _ = fwpol(t, "block", "check", "198.18.0.2", "--inventory", dir, "-o", "json")
	if !strings.Contains(out, `"blocked": true`) {
		t.Fatalf("imported range not blocked: %s", out)
	}
}
