package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCIRecipe runs examples/ci/review.sh, the README's merge-request
// recipe, with a freshly built fwpol against a real git repository.
func TestCIRecipe(t *testing.T) {
	for _, tool := range []string{"git", "sh", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if runtime.GOOS == "windows" {
		t.Skip("the recipe is a POSIX shell script")
	}
	isolateCache(t)
	bin := filepath.Join(t.TempDir(), "fwpol")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script, _ := filepath.Abs("../../examples/ci/review.sh")
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "configs", "edge1.conf"), `system { host-name edge1; }
interfaces { ge-0/0/0 { unit 0 { family inet { filter { input EDGE-IN; } } } } }
firewall { family inet { filter EDGE-IN {
    term web { from { destination-address { 192.0.2.10/32; } protocol tcp; destination-port [ http https ]; } then accept; }
} } }
`)
	rules := "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n"
	writeFile(t, filepath.Join(repo, "configs", "web.rules"), rules)
	writeFile(t, filepath.Join(repo, "fwpol.yaml"), `sites:
  - name: dc1
    ranges: [192.0.2.0/24]
devices:
  - name: edge1
    site: dc1
    role: edge
    config: configs/edge1.conf
  - name: web
    site: dc1
    role: host
    mgmt: 192.0.2.10
    config: configs/web.rules
`)
	writeFile(t, filepath.Join(repo, "intents.yaml"), "intents:\n  - name: no-telnet\n    scope: {filters: [EDGE-IN, INPUT]}\n    match: {protocol: tcp, dport: 23}\n    expect: deny\n")
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "base")
	review := func() (string, int) {
		cmd := exec.Command("sh", script)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "BASE=HEAD", "FWPOL="+bin)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	// a cosmetic change: a comment; the review passes
	writeFile(t, filepath.Join(repo, "configs", "web.rules"), "# reviewed 2026-11\n"+rules)
	if out, code := review(); code != 0 {
		t.Fatalf("cosmetic change failed the review (exit %d):\n%s", code, out)
	}
	// a dead rule added (shadowed by the /24 permit): no traffic change, but
	// the lint gate fails on the new warning, and only on it
	writeFile(t, filepath.Join(repo, "configs", "web.rules"), strings.Replace(rules, "COMMIT", "-A INPUT -s 192.0.2.7/32 -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT", 1))
	if out, code := review(); code != 1 || !strings.Contains(out, "::warning") || strings.Count(out, "::warning") != 1 || !strings.Contains(out, "never decides a packet") {
		t.Fatalf("dead rule: exit %d\n%s", code, out)
	}
	// telnet opened on the host: newly permitted traffic and a broken intent
	writeFile(t, filepath.Join(repo, "configs", "web.rules"), strings.Replace(rules, "COMMIT", "-A INPUT -p tcp -m tcp --dport 23 -j ACCEPT\nCOMMIT", 1))
	out, code := review()
	if code != 1 || !strings.Contains(out, "no-telnet") || !strings.Contains(out, "::error") {
		t.Fatalf("telnet change: exit %d\n%s", code, out)
	}
}
