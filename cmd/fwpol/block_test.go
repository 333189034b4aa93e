package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBlockCLI(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "r1.cfg")
	os.WriteFile(cfg, []byte("hostname r1\nip access-list extended EDGE\n 10 permit tcp any any eq 443\ninterface Gi0/0\n ip access-group EDGE in\n"), 0o644)
	inv := filepath.Join(dir, "fwpol.yaml")
	os.WriteFile(inv, []byte("sites:\n  - name: dc1\n    infrastructure: [10.1.255.0/24]\nprotected:\n  - range: 192.0.2.0/24\n    reason: payment partner\ndevices:\n  - name: r1\n    site: dc1\n    vendor: ios\n    mgmt: 10.9.9.9\n    config: r1.cfg\n"), 0o644)
	t.Setenv("FWPOL_USER", "alice")
	t.Setenv("FWPOL_NOW", "2026-03-01T12:00:00Z")

	_, errOut, code := fwpol(t, "block", "add", "192.0.2.0/25", "--reason", "x", "--ticket", "T1", "--yes", "--inventory", inv)
	if code != 1 || !strings.Contains(errOut, "protected range 192.0.2.0/24 (payment partner)") {
		t.Fatalf("protected: exit %d %s", code, errOut)
	}
	_, errOut, code = fwpol(t, "block", "add", "203.0.113.0/24", "--reason", "x", "--ticket", "T1", "--inventory", inv)
	if code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("no --yes: exit %d %s", code, errOut)
	}
	out, errOut, code := fwpol(t, "block", "add", "203.0.113.0/24", "--reason", "c2", "--ticket", "T1", "--for", "72h", "--direction", "src", "--yes", "-o", "json", "--inventory", inv)
	if code != 0 {
		t.Fatalf("add: exit %d %s", code, errOut)
	}
	var rep addReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.Written || len(rep.Impact) != 1 || rep.Impact[0].Rule != "10" {
		t.Fatalf("add report: %v\n%s", err, out)
	}
	if _, _, code = fwpol(t, "block", "check", "203.0.113.9", "--inventory", inv); code != 0 {
		t.Fatalf("check blocked: exit %d", code)
	}
	if _, _, code = fwpol(t, "block", "check", "203.0.114.9", "--inventory", inv); code != 3 {
		t.Fatalf("check not blocked: exit %d", code)
	}
	out, errOut, code = fwpol(t, "block", "render", "--inventory", inv)
	if code != 0 || !strings.Contains(out, "9 deny ip object-group FWPOL-BLOCK any") {
		t.Fatalf("render: exit %d %s\n%s", code, errOut, out)
	}
	// at the expiry instant the entry is gone from list and render
	t.Setenv("FWPOL_NOW", "2026-03-04T12:00:00Z")
	out, _, _ = fwpol(t, "block", "list", "-o", "json", "--inventory", inv)
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("list after expiry: %s", out)
	}
	out, _, code = fwpol(t, "block", "expire", "--inventory", inv)
	if code != 0 || !strings.Contains(out, "1 entries expired") {
		t.Fatalf("expire: %d %s", code, out)
	}
	audit, _ := os.ReadFile(filepath.Join(dir, "blocklist.audit.log"))
	if strings.Count(string(audit), "\n") != 2 || !strings.Contains(string(audit), `"user":"alice"`) {
		t.Fatalf("audit:\n%s", audit)
	}
}
