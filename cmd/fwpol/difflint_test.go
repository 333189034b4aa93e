package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const pybatfishCorpus = "../../../shared/corpus/pybatfish-example-filters"

func TestDiffCLIPybatfish(t *testing.T) {
	isolateCache(t)
	if _, err := os.Stat(pybatfishCorpus); err != nil {
		t.Skip("corpus absent")
	}
	cur, c1, c2 := pybatfishCorpus+"/current", pybatfishCorpus+"/candidate1", pybatfishCorpus+"/candidate2"
	out, errOut, code := fwpol(t, "diff", cur, c1, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Filters []struct {
			Device, Filter, Status string
			Changes                []struct {
				Old, New  map[string]any
				Direction string
				Regions   []struct{ Text string }
				Sample    struct{ Text string }
			}
		}
		Bindings []map[string]any
		Summary  map[string]int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Summary["changed"] != 1 || rep.Summary["newly_permitted"] != 2 || rep.Summary["binding_changes"] != 1 {
		t.Fatalf("summary %v", rep.Summary)
	}
	for _, f := range rep.Filters {
		if f.Status == "changed" {
			if f.Device != "rtr-with-acl" || f.Filter != "acl_in" || len(f.Changes) != 2 || f.Changes[0].Sample.Text != "tcp 10.10.10.1:49152 -> 18.18.18.1:80" {
				t.Fatalf("changed filter %+v", f)
			}
		}
	}
	// the firewall's removed zone pair blocks traffic; acl_in newly permits
	if _, _, code := fwpol(t, "diff", cur, c1, "--fail-on", "permit"); code != 1 {
		t.Errorf("--fail-on permit: exit %d", code)
	}
	// candidate1 → candidate2 only narrows /26 to /27: nothing newly permitted
	out, _, code = fwpol(t, "diff", c1, c2, "--fail-on", "permit")
	if code != 0 || !strings.Contains(out, "permit → deny  [newly-blocked]") || !strings.Contains(out, "tcp src 10.10.10.0/24 dst 18.18.18.32/27 dport 80") {
		t.Errorf("c1 → c2 --fail-on permit: exit %d\n%s", code, out)
	}
	if _, _, code := fwpol(t, "diff", c1, c2); code != 1 {
		t.Errorf("c1 → c2: exit %d", code)
	}
	if out, _, code := fwpol(t, "diff", c1, c1); code != 0 || !strings.Contains(out, "0 changed") {
		t.Errorf("same: exit %d\n%s", code, out)
	}
	// one filter against another of the same estate
	out, errOut, code = fwpol(t, "diff", cur, cur, "--filter", "firewall:acl-admin-repo-tcp-http", "--against", "acl-admin-repo-tcp-https")
	if code != 1 || !strings.Contains(out, "firewall acl-admin-repo-tcp-http → firewall acl-admin-repo-tcp-https") {
		t.Errorf("--against: exit %d %s\n%s", code, errOut, out)
	}
}

func TestDiffCLIErrors(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"diff"}, "needs OLD and NEW"},
		{[]string{"diff", dir, filepath.Join(dir, "nosuch")}, "not a git revision"},
		{[]string{"diff", dir, dir, "--fail-on", "maybe"}, "--fail-on"},
		{[]string{"diff", dir, dir, "--against", "X"}, "needs --filter"},
		{[]string{"diff", dir, "../../testdata/cisco", "--filter", "NOPE", "--against", "X"}, "no filter"},
		{[]string{"diff", "../../testdata/cisco", "../../testdata/cisco", "--filter", "nosuch"}, "no entry filter"},
		{[]string{"diff", filepath.Join(dir, "x.cfg"), dir}, ""},
	}
	os.WriteFile(filepath.Join(dir, "x.cfg"), []byte("garbage that no vendor recognises\n"), 0o644)
	for _, tc := range cases {
		_, errOut, code := fwpol(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// newRepo writes files (relative paths) into a new git repository on
// branch main, commits them as "v1" and returns its directory; it skips
// without git.
func newRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	for name, body := range files {
		writeFile(t, filepath.Join(repo, filepath.FromSlash(name)), body)
	}
	runGit(t, repo, "init", "-q", "-b", "main")
	runGit(t, repo, "add", ".")
	runGit(t, repo, "commit", "-q", "-m", "v1")
	return repo
}

func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestDiffCLIGit(t *testing.T) {
	isolateCache(t)
	v1 := "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n"
	v2 := strings.Replace(v1, "-s 10.0.0.0/8 ", "", 1) // ssh from anywhere
	repo := newRepo(t, map[string]string{"net/edge.rules": v1})
	cfg := filepath.Join(repo, "net", "edge.rules")
	os.WriteFile(cfg, []byte(v2), 0o644)
	runGit(t, repo, "commit", "-q", "-am", "v2")
	t.Chdir(repo)

	out, errOut, code := fwpol(t, "diff", "HEAD~1", "HEAD", "--path", "net")
	if code != 1 || !strings.Contains(out, "edge INPUT: 1 change, 1 region") || !strings.Contains(out, "net/edge.rules") && !strings.Contains(out, "deny → permit") {
		t.Fatalf("HEAD~1 HEAD: exit %d %s\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "tcp src any except 10.0.0.0/8 dst any dport 22") {
		t.Errorf("region:\n%s", out)
	}
	if _, _, code := fwpol(t, "diff", "HEAD", "HEAD"); code != 0 {
		t.Errorf("HEAD HEAD: exit %d", code)
	}
	// working tree against main, after reverting the file by hand
	os.WriteFile(cfg, []byte(v1), 0o644)
	out, _, code = fwpol(t, "diff", "main", "--fail-on", "permit")
	if code != 0 || !strings.Contains(out, "newly-blocked") {
		t.Errorf("diff main --fail-on permit: exit %d\n%s", code, out)
	}
	if _, errOut, code := fwpol(t, "diff", "nosuchbranch"); code != 2 || !strings.Contains(errOut, "not a git revision") {
		t.Errorf("nosuchbranch: exit %d %s", code, errOut)
	}
	if _, errOut, code := fwpol(t, "diff", "net"); code != 2 || !strings.Contains(errOut, "must be a git revision") {
		t.Errorf("one path: exit %d %s", code, errOut)
	}
}

func TestLintCLI(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r1.cfg"), []byte(`hostname r1
ip access-list extended IN
 10 deny ip 10.0.0.0 0.255.255.255 any
 20 permit tcp 10.1.0.0 0.0.255.255 any eq 443
 30 permit tcp any any eq 22
 40 deny ip any any
!
interface Gi0/0
 ip access-group IN in
`), 0o644)
	out, errOut, code := fwpol(t, "lint", dir)
	if code != 1 || !strings.Contains(out, "shadowed-conflict") || !strings.Contains(out, "1 error, 1 warning, 1 note") {
		t.Fatalf("exit %d %s\n%s", code, errOut, out)
	}
	if _, _, code := fwpol(t, "lint", dir, "--fail-on", "never"); code != 0 {
		t.Errorf("--fail-on never: exit %d", code)
	}
	if _, _, code := fwpol(t, "lint", dir, "--fail-on", "bogus"); code != 2 {
		t.Errorf("--fail-on bogus: exit %d", code)
	}
	out, _, _ = fwpol(t, "lint", dir, "-o", "json", "--severity", "warning")
	var js struct {
		Findings []map[string]any
		Summary  map[string]any
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js.Findings) != 2 || js.Summary["error"].(float64) != 1 {
		t.Fatalf("json %v: %s", err, out)
	}
	f := js.Findings[0]
	if f["check"] != "shadowed-conflict" || f["severity"] != "error" || f["line"].(float64) != 4 || f["rule"] != "20" || f["device"] != "r1" {
		t.Errorf("finding %v", f)
	}
	out, _, _ = fwpol(t, "lint", dir, "-o", "sarif")
	var sarif map[string]any
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || sarif["version"] != "2.1.0" {
		t.Fatalf("sarif %v: %s", err, out)
	}
	results := sarif["runs"].([]any)[0].(map[string]any)["results"].([]any)
	if len(results) != 3 {
		t.Errorf("sarif results %d", len(results))
	}
	out, _, _ = fwpol(t, "lint", dir, "-o", "github")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "::error file=") || !strings.Contains(lines[0], "r1.cfg,line=4,col=") {
		t.Errorf("github:\n%s", out)
	}
}

// Two single files are two versions of one device, whatever their names;
// the generated 20K-rule ACL pair shows exactly the generator's edits.
func TestDiffCLITwoFilesGeneratedACL(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	oldCfg, newCfg := filepath.Join(dir, "acl-old.cfg"), filepath.Join(dir, "acl-new.cfg")
	for path, args := range map[string][]string{oldCfg: {"dev", "gen-acl", "--rules", "2000"}, newCfg: {"dev", "gen-acl", "--rules", "2000", "--mutate", "50"}} {
		out, errOut, code := fwpol(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := fwpol(t, "diff", oldCfg, newCfg, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Filters []struct {
			Device, Filter, Status string
			Cosmetic               struct{ Added, Removed, Modified, Moved []string }
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Summary["changed"] != 1 || rep.Summary["added"] != 0 || rep.Summary["removed"] != 0 || rep.Summary["regions"] == 0 {
		t.Fatalf("summary %v", rep.Summary)
	}
	for _, f := range rep.Filters {
		if f.Filter == "acl" {
			c := f.Cosmetic
			// policy.MutateACL: 50 changes = 20 inserted, 15 deleted, 15 flipped
			if len(c.Added) != 20 || len(c.Removed) != 15 || len(c.Modified) != 15 || len(c.Moved) != 0 {
				t.Errorf("cosmetic: %d added, %d removed, %d modified, %d moved", len(c.Added), len(c.Removed), len(c.Modified), len(c.Moved))
			}
		}
	}
}

// lint --new-since REV reports only what the change introduced: a finding
// that moved down because a rule was inserted above it stays known.
func TestLintCLINewSince(t *testing.T) {
	isolateCache(t)
	v1 := "hostname r1\nip access-list extended EDGE\n 10 permit tcp 10.0.0.0 0.0.0.255 any eq 443\n 20 permit tcp host 10.0.0.5 any eq 443\n 30 deny ip any any\n!\ninterface Gi0/0\n ip access-group EDGE in\n"
	// a rule inserted first (every line moves), and a new shadowed rule
	v2 := strings.Replace(v1, " 10 permit", " 5 permit udp any host 192.0.2.53 eq 53\n 10 permit", 1)
	v2 = strings.Replace(v2, " 30 deny", " 25 permit udp host 10.1.1.1 host 192.0.2.53 eq 53\n 30 deny", 1)
	repo := newRepo(t, map[string]string{"net/r1.cfg": v1})
	os.WriteFile(filepath.Join(repo, "net", "r1.cfg"), []byte(v2), 0o644)
	t.Chdir(repo)

	var rep struct {
		Findings []struct{ Check, Rule string }
		Baseline *struct {
			Rev   string
			Known int
		}
	}
	out, errOut, code := fwpol(t, "lint", "net", "--new-since", "main", "--fail-on", "warning", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d %s: %v\n%s", code, errOut, err, out)
	}
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Check != "shadowed" || rep.Findings[0].Rule != "25" {
		t.Fatalf("exit %d: %+v", code, rep.Findings)
	}
	if rep.Baseline == nil || rep.Baseline.Rev != "main" || rep.Baseline.Known == 0 {
		t.Fatalf("baseline %+v", rep.Baseline)
	}
	// without the baseline, the old finding (rule 20, now on another line) shows too
	out, _, _ = fwpol(t, "lint", "net", "-o", "json")
	rep.Findings = nil
	json.Unmarshal([]byte(out), &rep)
	old := false
	for _, f := range rep.Findings {
		old = old || (f.Check == "shadowed" && f.Rule == "20")
	}
	if !old {
		t.Fatalf("full lint lacks the known finding: %+v", rep.Findings)
	}
	// nothing new against the working tree's own revision once committed
	runGit(t, repo, "commit", "-q", "-am", "v2")
	if out, errOut, code := fwpol(t, "lint", "net", "--new-since", "HEAD", "--fail-on", "note"); code != 0 || !strings.Contains(out, "no findings new since HEAD") {
		t.Errorf("HEAD: exit %d %s\n%s", code, errOut, out)
	}
	if _, errOut, code := fwpol(t, "lint", "net", "--new-since", "nosuch"); code != 2 || !strings.Contains(errOut, "not a git revision") {
		t.Errorf("nosuch: exit %d %s", code, errOut)
	}
}

// fwpol:ignore in a remark: the finding leaves the table/JSON (counted),
// returns with --show-suppressed, is a SARIF inSource suppression, and never
// fails the run.
func TestLintCLISuppressed(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "r1.cfg")
	os.WriteFile(cfg, []byte("hostname r1\nip access-list extended EDGE\n 10 permit tcp 10.0.0.0 0.0.0.255 any eq 443\n remark fwpol:ignore shadowed -- audit\n 20 permit tcp host 10.0.0.5 any eq 443\n!\ninterface Gi0/0\n ip access-group EDGE in\n"), 0o644)
	out, errOut, code := fwpol(t, "lint", cfg, "--fail-on", "warning", "-o", "json")
	var rep struct {
		Findings []struct {
			Check      string
			Suppressed bool
		}
		Summary struct{ Suppressed int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d %s: %v", code, errOut, err)
	}
	if code != 0 || rep.Summary.Suppressed != 1 || len(rep.Findings) != 0 {
		t.Fatalf("exit %d: %+v", code, rep)
	}
	out, _, _ = fwpol(t, "lint", cfg, "--show-suppressed", "-o", "json")
	json.Unmarshal([]byte(out), &rep)
	if len(rep.Findings) != 1 || !rep.Findings[0].Suppressed || rep.Findings[0].Check != "shadowed" {
		t.Fatalf("--show-suppressed: %+v", rep.Findings)
	}
	out, _, _ = fwpol(t, "lint", cfg, "-o", "sarif")
	if !strings.Contains(out, `"kind": "inSource"`) {
		t.Fatalf("SARIF without the suppression:\n%s", out)
	}
	if out, _, _ := fwpol(t, "lint", cfg); !strings.Contains(out, "1 suppressed by fwpol:ignore") {
		t.Errorf("table:\n%s", out)
	}
}

// --new-since with an inventory directory reads it at the revision the way
// it is read now: every YAML file in it (the device is in a second file).
func TestLintCLINewSinceInventoryDir(t *testing.T) {
	isolateCache(t)
	repo := newRepo(t, map[string]string{
		"inv/fwpol.yaml":   "sites:\n  - name: dc1\n",
		"inv/devices.yaml": "devices:\n  - name: r1\n    site: dc1\n    config: ../net/r1.cfg\n",
		"net/r1.cfg":       "hostname r1\nip access-list extended EDGE\n 10 permit tcp 10.0.0.0 0.0.0.255 any eq 443\n 20 permit tcp host 10.0.0.5 any eq 443\n!\ninterface Gi0/0\n ip access-group EDGE in\n",
	})
	t.Chdir(repo)
	// unchanged: the known finding is known at the revision too
	out, errOut, code := fwpol(t, "lint", "--inventory", "inv", "--new-since", "main", "--fail-on", "note")
	if code != 0 || !strings.Contains(out, "no findings new since main (1 known there not shown)") {
		t.Fatalf("exit %d %s\n%s", code, errOut, out)
	}
}
