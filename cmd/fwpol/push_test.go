package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/fwpol/fwpol/internal/devsim"
)

// TestPlanPushCLI drives plan and push against one simulated IOS router
// (internal/devsim) over real SSH.
func TestPlanPushCLI(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	_, hpriv, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, _ := ssh.NewSignerFromKey(hpriv)
	cpub, cpriv, _ := ed25519.GenerateKey(rand.Reader)
	blk, _ := ssh.MarshalPrivateKey(cpriv, "")
	os.WriteFile(filepath.Join(dir, "key"), pem.EncodeToMemory(blk), 0o600)
	pub, _ := ssh.NewPublicKey(cpub)
	sim := devsim.New(hostKey, pub)
	defer sim.Close()
	text, err := os.ReadFile("../../testdata/cisco/ios-router.cfg")
	if err != nil {
		t.Fatal(err)
	}
	d, err := sim.Add("rtr1", "ios", "fwpol", string(text))
	if err != nil {
		t.Fatal(err)
	}
	port := d.Addr[strings.LastIndexByte(d.Addr, ':')+1:]
	os.WriteFile(filepath.Join(dir, "rtr1.cfg"), text, 0o644)
	os.WriteFile(filepath.Join(dir, "fwpol.yaml"), []byte(fmt.Sprintf(`sites:
  - name: dc1
devices:
  - name: rtr1
    site: dc1
    vendor: ios
    mgmt: 127.0.0.1
    config: rtr1.cfg
    transport: {user: fwpol, port: %s, key_file: key, known_hosts: known_hosts, timeout: 5s}
`, port)), 0o644)
	os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(knownhosts.Line([]string{knownhosts.Normalize(d.Addr)}, hostKey.PublicKey())+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "blocklist.yaml"), []byte("version: 1\nnext_id: 2\nentries:\n  - id: B1\n    ranges: [\"203.0.113.0/24\"]\n    direction: src\n    reason: c2\n    ticket: INC-1\n"), 0o644)
	inv := filepath.Join(dir, "fwpol.yaml")

	out, errOut, code := fwpol(t, "plan", "--inventory", inv, "-o", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	var plans []map[string]any
	if err := json.Unmarshal([]byte(out), &plans); err != nil || len(plans) != 1 {
		t.Fatalf("plan json: %v\n%s", err, out)
	}
	for _, k := range []string{"site", "device", "vendor", "file", "filters", "commands", "traffic"} {
		if _, ok := plans[0][k]; !ok {
			t.Errorf("plan lacks %q", k)
		}
	}
	traffic := plans[0]["traffic"].([]any)
	if len(traffic) == 0 || traffic[0].(map[string]any)["newly_denied"].(float64) == 0 {
		t.Fatalf("no newly denied traffic: %v", traffic)
	}
	out, _, _ = fwpol(t, "plan", "--inventory", inv)
	if !strings.Contains(out, "newly denies") || !strings.Contains(out, "object-group network FWPOL-BLOCK") {
		t.Fatalf("plan table:\n%s", out)
	}
	if _, errOut, code = fwpol(t, "push", "--inventory", inv); code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("push without --yes: exit %d: %s", code, errOut)
	}
	if out, _, code = fwpol(t, "push", "--inventory", inv, "--dry-run"); code != 0 || !strings.Contains(out, "dry-run") || len(d.Commands()) != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	out, errOut, code = fwpol(t, "push", "--inventory", inv, "--yes", "-o", "json")
	if code != 0 {
		t.Fatalf("push: exit %d: %s\n%s", code, errOut, out)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum["ok"] != true || sum["applied"].(float64) != 1 {
		t.Fatalf("push json: %v\n%s", err, out)
	}
	// the device changed, so the inventory copy is stale: refresh it and plan again
	os.WriteFile(filepath.Join(dir, "rtr1.cfg"), []byte(d.Running()), 0o644)
	if out, _, _ = fwpol(t, "plan", "--inventory", inv); !strings.Contains(out, "in sync") {
		t.Fatalf("plan after push:\n%s", out)
	}
	// a failing device: exit 1
	os.WriteFile(filepath.Join(dir, "blocklist.yaml"), []byte("version: 1\nnext_id: 2\nentries:\n  - id: B1\n    ranges: [\"203.0.113.0/24\", \"198.51.100.7\"]\n    direction: src\n    reason: c2\n    ticket: INC-1\n"), 0o644)
	d.SetFault(devsim.Fault{StoreWrong: true})
	out, errOut, code = fwpol(t, "push", "--inventory", inv, "--yes")
	if code != 1 || !strings.Contains(out, "rolled-back") || !strings.Contains(errOut, "push incomplete") {
		t.Fatalf("failing push: exit %d: %s\n%s", code, errOut, out)
	}
	if log, err := os.ReadFile(filepath.Join(dir, "push.log")); err != nil || strings.Count(string(log), `"event":"end"`) != 3 {
		t.Fatalf("push.log: %v\n%s", err, log)
	}
}
