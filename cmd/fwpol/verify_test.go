package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// verifyEstate writes an inventory with the Junos fixture (edge1) and the
// iptables fixture (host web, owning 192.0.2.1) plus an intents file.
func verifyEstate(t *testing.T, intents string) string {
	t.Helper()
	dir := t.TempDir()
	for src, dst := range map[string]string{"../../testdata/junos/policy.conf": "configs/edge1.conf", "../../testdata/iptables/basic.rules": "configs/web.rules"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, dst), string(data))
	}
	writeFile(t, filepath.Join(dir, "fwpol.yaml"), `sites:
  - name: dc1
    ranges: [192.0.2.0/24]
protected:
  - range: 203.0.113.0/24
    reason: partner
devices:
  - name: edge1
    site: dc1
    role: edge
    config: configs/edge1.conf
  - name: web
    site: dc1
    role: host
    mgmt: 192.0.2.1
    config: configs/web.rules
`)
	writeFile(t, filepath.Join(dir, "intents.yaml"), intents)
	return dir
}

func TestVerifyFindsViolationsExactly(t *testing.T) {
	isolateCache(t)
	dir := verifyEstate(t, `intents:
  - name: ssh-only-from-mgmt
    owner: netops
    reason: only the management nets may reach the routing engine
    scope: {roles: [edge], filters: [PROTECT]}
    match: {protocol: tcp, src: [10.0.0.0/8], dport: 22}
    expect: deny
  - name: mgmt-reaches-ssh
    scope: {roles: [edge], filters: [PROTECT]}
    match: {protocol: tcp, src: 198.51.100.0/24, dport: 22}
    expect: permit
  - name: web-serves-https
    scope: {devices: [web]}
    match: {protocol: tcp, src: 10.0.0.0/8, dst: device:web, dport: 443}
    expect: reachable
  - name: typo
    scope: {roles: [edg]}
    match: {protocol: tcp}
    expect: deny
`)
	out, errOut, code := fwpol(t, "verify", "--inventory", dir, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	var rep struct {
		Intents    []map[string]any `json:"intents"`
		Violations []map[string]any `json:"violations"`
		Warnings   []map[string]any `json:"warnings"`
	}
	json.Unmarshal([]byte(out), &rep)
	results := map[string]string{}
	for _, s := range rep.Intents {
		results[s["intent"].(string)] = s["result"].(string)
	}
	want := map[string]string{"ssh-only-from-mgmt": "ok", "mgmt-reaches-ssh": "ok", "web-serves-https": "ok", "typo": "vacuous"}
	for k, v := range want {
		if results[k] != v {
			t.Errorf("intent %s: %s, want %s (%s)", k, results[k], v, out)
		}
	}
	if len(rep.Warnings) != 1 || len(rep.Violations) != 0 {
		t.Fatalf("warnings %v violations %v", rep.Warnings, rep.Violations)
	}

	// Widen the first intent to every source: MGMT (198.51.100.0/24) now breaks it.
	dir = verifyEstate(t, `intents:
  - name: no-ssh-to-routing-engine
    scope: {roles: [edge], filters: [PROTECT]}
    match: {protocol: tcp, dport: 22}
    expect: deny
`)
	out, _, code = fwpol(t, "verify", "--inventory", dir, "-o", "json")
	if code != 1 {
		t.Fatalf("violation must exit 1, got %d: %s", code, out)
	}
	json.Unmarshal([]byte(out), &rep)
	if len(rep.Violations) != 1 {
		t.Fatalf("violations: %v", rep.Violations)
	}
	v := rep.Violations[0]
	if v["device"] != "edge1" || v["filter"] != "PROTECT" || v["action"] != "permit" || v["rule"] != "ssh" || v["line"].(float64) != 57 {
		t.Fatalf("violation: %v", v)
	}
	// The counterexample really is permitted by that rule.
	flow := v["flow"].(string)
	sout, _, _ := fwpol(t, "search", "flow", flow, filepath.Join(dir, "configs", "edge1.conf"), "--filter", "PROTECT", "-o", "json")
	if !strings.Contains(sout, `"rule": "ssh"`) || !strings.Contains(sout, `"action": "permit"`) {
		t.Fatalf("counterexample %q not permitted by ssh: %s", flow, sout)
	}
	gh, _, _ := fwpol(t, "verify", "--inventory", dir, "-o", "github")
	if !strings.HasPrefix(gh, "::error file=") || !strings.Contains(gh, "edge1.conf,line=57") {
		t.Fatalf("github annotations: %q", gh)
	}
}

func TestVerifyErrorsAndChangedSince(t *testing.T) {
	isolateCache(t)
	dir := verifyEstate(t, "intents:\n  - name: x\n    match: {protocol: tcp}\n    expect: forbid\n")
	_, errOut, code := fwpol(t, "verify", "--inventory", dir)
	if code != 2 || !strings.Contains(errOut, "intents.yaml:4:13") {
		t.Fatalf("bad expect: exit %d %q", code, errOut)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir = verifyEstate(t, `intents:
  - name: no-ssh-to-routing-engine
    scope: {filters: [PROTECT]}
    match: {protocol: tcp, dport: 22}
    expect: deny
  - name: web-no-telnet
    scope: {devices: [web], filters: [INPUT]}
    match: {protocol: tcp, dport: 23}
    expect: deny
`)
	gitIn := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	gitIn("init", "-q")
	gitIn("add", ".")
	gitIn("commit", "-qm", "base")
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	out, _, code := fwpol(t, "verify", "--changed-since", "HEAD")
	if code != 0 || !strings.Contains(out, "no intent is affected") {
		t.Fatalf("unchanged: exit %d %s", code, out)
	}
	// only the host changes: the edge's violation is not re-reported
	f := filepath.Join(dir, "configs", "web.rules")
	data, _ := os.ReadFile(f)
	os.WriteFile(f, []byte(strings.Replace(string(data), "-A INPUT -p tcp -m tcp --dport 25", "-A INPUT -p tcp -m tcp --dport 23 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 25", 1)), 0o644)
	out, _, code = fwpol(t, "verify", "--changed-since", "HEAD", "-o", "json")
	var rep struct {
		Intents    []map[string]any `json:"intents"`
		Violations []map[string]any `json:"violations"`
	}
	json.Unmarshal([]byte(out), &rep)
	if code != 1 || len(rep.Violations) != 1 || rep.Violations[0]["intent"] != "web-no-telnet" || rep.Violations[0]["device"] != "web" {
		t.Fatalf("changed host: exit %d %s", code, out)
	}
	for _, s := range rep.Intents {
		if s["intent"] == "no-ssh-to-routing-engine" && s["result"] != "unaffected" {
			t.Fatalf("edge intent should be unaffected: %v", s)
		}
	}
}

// TestVerifyBlocklistIntent: "blocklist" resolves per device to the active
// entries scoped to it, so an edge that still permits a blocked range breaks
// the intent while a device outside the entry's scope does not.
func TestVerifyBlocklistIntent(t *testing.T) {
	isolateCache(t)
	dir := verifyEstate(t, `intents:
  - name: blocklist-enforced
    scope: {filters: [PROTECT]}
    match: {src: blocklist}
    expect: deny
`)
	out, errOut, code := fwpol(t, "block", "add", "198.51.100.0/24", "--reason", "scanner", "--ticket", "INC-1", "--device", "edge1", "--direction", "src", "--yes", "--inventory", dir)
	if code != 0 {
		t.Fatalf("block add: exit %d %s %s", code, out, errOut)
	}
	out, _, code = fwpol(t, "verify", "--inventory", dir, "-o", "json")
	var rep struct {
		Violations []map[string]any `json:"violations"`
	}
	json.Unmarshal([]byte(out), &rep)
	if code != 1 || len(rep.Violations) != 1 || rep.Violations[0]["action"] != "permit" || !strings.Contains(rep.Violations[0]["flow"].(string), " 198.51.100.") {
		t.Fatalf("blocked range still permitted must violate: exit %d %s", code, out)
	}
	// the same entry scoped elsewhere: edge1 enforces nothing, nothing to check
	dir2 := verifyEstate(t, `intents:
  - name: blocklist-enforced
    scope: {filters: [PROTECT]}
    match: {src: blocklist}
    expect: deny
`)
	if _, errOut, code := fwpol(t, "block", "add", "198.51.100.0/24", "--reason", "scanner", "--ticket", "INC-1", "--device", "web", "--yes", "--inventory", dir2); code != 0 {
		t.Fatalf("block add: %s", errOut)
	}
	out, _, code = fwpol(t, "verify", "--inventory", dir2, "-o", "json")
	if code != 0 || !strings.Contains(out, `"result": "vacuous"`) {
		t.Fatalf("out-of-scope entry: exit %d %s", code, out)
	}
}
