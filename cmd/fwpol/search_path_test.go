package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pathEstate: dc1 (host h1, core c1, edge e1) and dc2 (edge e2, firewall
// f2 with two ACLs that disagree on ssh, host h2).
func pathEstate(t *testing.T, dc2Path string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"fwpol.yaml": `sites:
  - name: dc1
    ranges: [10.1.0.0/16]
  - name: dc2
    ranges: [10.2.0.0/16]
` + dc2Path + `devices:
  - {name: h1, site: dc1, role: host, vendor: iptables, mgmt: 10.1.0.5, config: h1.rules}
  - {name: c1, site: dc1, role: core, vendor: ios, config: c1.cfg}
  - {name: e1, site: dc1, role: edge, vendor: ios, config: e1.cfg}
  - {name: e2, site: dc2, role: edge, vendor: ios, config: e2.cfg}
  - {name: f2, site: dc2, role: firewall, vendor: ios, config: f2.cfg}
  - {name: h2, site: dc2, role: host, vendor: iptables, mgmt: 10.2.0.5, config: h2.rules}
`,
		"h1.rules": "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp --dport 25 -j REJECT\nCOMMIT\n",
		"c1.cfg":   "hostname c1\nip access-list extended CORE\n permit tcp any any eq 443\n permit tcp any any eq 22\n permit tcp any any eq 25\n deny ip any any\n",
		"e1.cfg":   "hostname e1\nip access-list extended EDGE-OUT\n permit ip 10.1.0.0 0.0.255.255 any\n",
		"e2.cfg":   "hostname e2\nip access-list extended EDGE-IN\n permit tcp any 10.2.0.0 0.0.255.255 eq 443\n permit tcp any 10.2.0.0 0.0.255.255 eq 22\n",
		"f2.cfg":   "hostname f2\nip access-list extended FW-A\n permit tcp any any eq 443\n permit tcp any any eq 22\nip access-list extended FW-B\n permit tcp any any eq 443\n",
		"h2.rules": "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 443 -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func pathReport(t *testing.T, wantCode int, args ...string) PathReport {
	t.Helper()
	out, errOut, code := fwpol(t, append(append([]string{"search", "path"}, args...), "-o", "json")...)
	if code != wantCode {
		t.Fatalf("%v: exit %d, want %d: %s%s", args, code, wantCode, errOut, out)
	}
	var rep PathReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return rep
}

func hopsOf(rep PathReport) string {
	var s []string
	for _, h := range rep.Hops {
		s = append(s, h.Device+":"+h.Status)
	}
	return strings.Join(s, " ")
}

func TestSearchPath(t *testing.T) {
	isolateCache(t)
	inv := pathEstate(t, "")
	cases := []struct {
		flow  string
		code  int
		hops  string
		stop  int
		final string
	}{
		// host output, dc1 core then edge, dc2 edge then firewall, host input
		{"tcp 10.1.0.5 -> 10.2.0.5:443", 0, "h1:permit c1:permit e1:permit e2:permit f2:permit h2:permit", 0, "permit"},
		// the core denies: the rest is not reached
		{"tcp 10.1.0.5 -> 10.2.0.5:8080", 3, "h1:permit c1:deny e1:not-reached e2:not-reached f2:not-reached h2:not-reached", 2, "deny"},
		// the source host rejects smtp itself
		{"tcp 10.1.0.5 -> 10.2.0.5:25", 3, "h1:reject c1:not-reached e1:not-reached e2:not-reached f2:not-reached h2:not-reached", 1, "reject"},
		// FW-A permits ssh, FW-B does not: partial, and the walk goes on
		{"tcp 10.1.0.5 -> 10.2.0.5:22", 4, "h1:permit c1:permit e1:permit e2:permit f2:partial h2:permit", 0, "partial"},
		// from outside every site: only the destination side
		{"tcp 203.0.113.9 -> 10.2.0.5:443", 0, "e2:permit f2:permit h2:permit", 0, "permit"},
		// within a site: only the two ends (no second host here: only h1)
		{"tcp 10.1.0.5 -> 10.1.0.9:443", 0, "h1:permit", 0, "permit"},
	}
	for _, tc := range cases {
		rep := pathReport(t, tc.code, tc.flow, "--inventory", inv)
		if got := hopsOf(rep); got != tc.hops || rep.StoppedAt != tc.stop || rep.Verdict != tc.final {
			t.Errorf("%s: hops %q stopped %d verdict %s; want %q %d %s", tc.flow, got, rep.StoppedAt, rep.Verdict, tc.hops, tc.stop, tc.final)
		}
	}
	rep := pathReport(t, 0, "--src", "10.1.0.5", "--dst", "10.2.0.5", "--dport", "443", "--inventory", inv)
	if rep.SrcHost != "h1" || rep.DstHost != "h2" || rep.SrcSite != "dc1" || rep.DstSite != "dc2" {
		t.Fatalf("ends: %+v", rep)
	}
	h := rep.Hops[0]
	if h.Where != "source host" || len(h.Filters) != 1 || h.Filters[0].Filter != "OUTPUT" {
		t.Fatalf("source host hop evaluates only its output: %+v", h)
	}
	if h := rep.Hops[len(rep.Hops)-1]; h.Where != "destination host" || len(h.Filters) != 1 || h.Filters[0].Filter != "INPUT" || h.Filters[0].Line != 5 {
		t.Fatalf("destination host hop evaluates only its input: %+v", h)
	}
	// the table says where it stopped
	out, _, code := fwpol(t, "search", "path", "tcp 10.1.0.5 -> 10.2.0.5:8080", "--inventory", inv)
	if code != 3 || !strings.Contains(out, "Denied at hop 2 (c1, leaving dc1)") || !strings.Contains(out, "not-reached") {
		t.Fatalf("table (exit %d):\n%s", code, out)
	}
}

// A site's path replaces the role order; path_roles reorders the default.
func TestSearchPathInventoryKeys(t *testing.T) {
	isolateCache(t)
	inv := pathEstate(t, "    path: [f2]\n") // under dc2
	body, _ := os.ReadFile(filepath.Join(inv, "fwpol.yaml"))
	rep := pathReport(t, 0, "tcp 10.1.0.5 -> 10.2.0.5:443", "--inventory", inv)
	if got := hopsOf(rep); got != "h1:permit c1:permit e1:permit f2:permit h2:permit" {
		t.Fatalf("site path: %q", got)
	}
	os.WriteFile(filepath.Join(inv, "fwpol.yaml"), append([]byte("path_roles: [edge, core]\n"), body...), 0o644)
	rep = pathReport(t, 0, "tcp 10.1.0.5 -> 10.2.0.5:443", "--inventory", inv)
	if got := hopsOf(rep); got != "h1:permit e1:permit c1:permit f2:permit h2:permit" {
		t.Fatalf("path_roles: %q", got)
	}
}

func TestSearchPathUsage(t *testing.T) {
	isolateCache(t)
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"search", "path", "tcp 10.1.0.5 -> 10.2.0.5:443"},                      // no inventory
		{"search", "path", "--src", "10.1.0.5"},                                 // no destination
		{"search", "path", "tcp 10.1.0.5 -> 10.2.0.5:443", "--src", "10.1.0.5"}, // both forms
		{"search", "path", "tcp 10.1.0.5 -> 10.2.0.5:443", "configs/"},          // PATHs
	} {
		if _, _, code := fwpol(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
