package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// fwpol runs the CLI in-process with captured streams.
func fwpol(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func isolateCache(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("FWPOL_CACHE_DIR", dir)
	return dir
}

func TestSearchFlowJSONContract(t *testing.T) {
	isolateCache(t)
	out, errOut, code := fwpol(t, "search", "flow", "--src", "10.2.3.4", "--dst", "192.0.2.1", "--proto", "tcp", "--dport", "443", "-o", "json", "../../testdata/iptables/basic.rules")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var results []map[string]any
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(results) != 3 {
		t.Fatalf("want one result per built-in chain, got %d", len(results))
	}
	var keys []string
	for k := range results[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range []string{"action", "default", "device", "file", "filter", "line", "rule", "trail"} {
		if _, ok := results[0][k]; !ok {
			t.Errorf("result lacks key %q (has %v)", k, keys)
		}
	}
	byFilter := map[string]map[string]any{}
	for _, r := range results {
		byFilter[r["filter"].(string)] = r
	}
	in := byFilter["INPUT"]
	// tcp/443 jumps to WEB (line 26 of basic.rules), which accepts it (line 47)
	if in["action"] != "permit" || in["rule"] == nil || in["line"].(float64) != 47 || in["default"] != false || in["decided_in"] != "WEB" {
		t.Fatalf("INPUT verdict: %v", in)
	}
	if trail := in["trail"].([]any); len(trail) != 1 || trail[0].(map[string]any)["target"] != "WEB" {
		t.Fatalf("trail: %v", in["trail"])
	}
	fwd := byFilter["FORWARD"]
	if fwd["action"] != "deny" || fwd["rule"] != nil || fwd["default"] != true || fwd["line"].(float64) != 14 {
		t.Fatalf("FORWARD default: %v", fwd)
	}
}

func TestSearchFlowExpressionAndTable(t *testing.T) {
	isolateCache(t)
	out, errOut, code := fwpol(t, "search", "flow", "tcp 198.51.100.7 -> 192.0.2.1:22", "../../testdata/junos/policy.conf")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "flow: tcp 198.51.100.7:49152 -> 192.0.2.1:22") {
		t.Fatalf("no flow header:\n%s", out)
	}
	// MGMT prefix-list permits ssh in PROTECT
	var protect string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " PROTECT ") {
			protect = l
		}
	}
	if f := strings.Fields(protect); len(f) < 5 || f[3] != "permit" || f[4] != "ssh" {
		t.Fatalf("PROTECT row: %q\n%s", protect, out)
	}
}

func TestExitCodes(t *testing.T) {
	isolateCache(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search", "flow", "../../testdata/junos"}, 2, "needs a flow"},
		{[]string{"search", "flow", "tcp 10.0.0.1 => 10.0.0.2"}, 2, "destination port"},
		{[]string{"search", "flow", "tcp 10.0.0.1 -> ", "x"}, 2, "column"},
		{[]string{"parse", "--output", "xml", "x"}, 2, "unknown output format"},
		{[]string{"nosuch"}, 2, "unknown command"},
		{[]string{"parse", "/nonexistent/file"}, 1, "no such file"},
		{[]string{"search", "flow", "--src", "1.1.1.1", "--dst", "2.2.2.2", "--dport", "99999", "x"}, 2, "unknown port"},
	}
	for _, tc := range cases {
		_, errOut, code := fwpol(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d stderr %q; want exit %d containing %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

func TestParseErrorNamesFileLineCol(t *testing.T) {
	isolateCache(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("firewall {\n    family inet {\n        filter F {\n            term t {\n                from {\n                    destination-port nosuchport;\n                }\n                then accept;\n            }\n        }\n    }\n}\n"), 0o644)
	_, errOut, code := fwpol(t, "parse", bad)
	if code != 1 || !strings.Contains(errOut, bad+":6:") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestParseJSONAndYAMLAgree(t *testing.T) {
	isolateCache(t)
	js, _, code := fwpol(t, "parse", "-o", "json", "../../testdata/junos/policy.set")
	if code != 0 {
		t.Fatal("parse failed")
	}
	var cfgs []map[string]any
	if err := json.Unmarshal([]byte(js), &cfgs); err != nil || len(cfgs) != 1 {
		t.Fatalf("parse json: %v", err)
	}
	if cfgs[0]["vendor"] != "junos" || cfgs[0]["device"] != "edge1" || len(cfgs[0]["filters"].([]any)) < 3 {
		t.Fatalf("unexpected model: vendor %v device %v", cfgs[0]["vendor"], cfgs[0]["device"])
	}
	y, _, code := fwpol(t, "parse", "-o", "yaml", "../../testdata/junos/policy.set")
	if code != 0 || !strings.Contains(y, "vendor: junos") {
		t.Fatalf("yaml output:\n%.300s", y)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const hostRules = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport %s -j ACCEPT\nCOMMIT\n"

// TestInventoryScopeAndCache: an inventory drives search, hosts only see
// their own flows, and the cache never serves a stale or damaged answer.
func TestInventoryScopeAndCache(t *testing.T) {
	cache := isolateCache(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "hosts", "web1.rules"), strings.Replace(hostRules, "%s", "443", 1))
	writeFile(t, filepath.Join(dir, "hosts", "web2.rules"), strings.Replace(hostRules, "%s", "80", 1))
	writeFile(t, filepath.Join(dir, "hosts.csv"), "name,addresses\nweb1,10.0.0.1\nweb2,10.0.0.2\n")
	writeFile(t, filepath.Join(dir, "fwpol.yaml"), "sites:\n  - name: dc1\n    ranges: [10.0.0.0/16]\ndevice_groups:\n  - config: hosts/*.rules\n    site: dc1\n    role: host\n    hosts_file: hosts.csv\n")
	inv := filepath.Join(dir, "fwpol.yaml")

	search := func() []map[string]any {
		out, errOut, code := fwpol(t, "search", "flow", "tcp 10.9.9.9 -> 10.0.0.1:443", "--inventory", inv, "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var rs []map[string]any
		json.Unmarshal([]byte(out), &rs)
		return rs
	}
	rs := search()
	// only web1's INPUT sees a flow to 10.0.0.1; nothing is its source
	if len(rs) != 1 || rs[0]["device"] != "web1" || rs[0]["filter"] != "INPUT" || rs[0]["action"] != "permit" || rs[0]["site"] != "dc1" {
		t.Fatalf("scoped results: %v", rs)
	}
	packs, _ := filepath.Glob(filepath.Join(cache, "estate-*.pack"))
	if len(packs) != 1 {
		t.Fatalf("expected one cache pack, found %v", packs)
	}
	if again := search(); !reflect.DeepEqual(again, rs) {
		t.Fatalf("warm run differs: %v", again)
	}
	// an edited file must be re-parsed, never served from the cache
	writeFile(t, filepath.Join(dir, "hosts", "web1.rules"), strings.Replace(hostRules, "%s", "8443", 1))
	if rs := search(); rs[0]["action"] != "deny" || rs[0]["default"] != true {
		t.Fatalf("stale cache: %v", rs)
	}
	// a damaged pack is rebuilt, not trusted
	data, _ := os.ReadFile(packs[0])
	for i := len(data) / 2; i < len(data); i += 3 {
		data[i] ^= 0x55
	}
	os.WriteFile(packs[0], data, 0o644)
	if rs := search(); rs[0]["action"] != "deny" {
		t.Fatalf("damaged cache trusted: %v", rs)
	}
	// netdb list sees both hosts with their addresses
	out, _, code := fwpol(t, "netdb", "list", "--inventory", inv, "-o", "json")
	if code != 0 || !strings.Contains(out, `"mgmt": "10.0.0.2"`) || !strings.Contains(out, `"name": "web2"`) {
		t.Fatalf("netdb list: %s", out)
	}
	// --all-filters evaluates every host chain
	out, _, _ = fwpol(t, "search", "flow", "tcp 10.9.9.9 -> 10.0.0.1:443", "--inventory", inv, "-o", "json", "--all-filters", "--no-cache")
	var all []map[string]any
	json.Unmarshal([]byte(out), &all)
	if len(all) != 6 {
		t.Fatalf("--all-filters: %d results", len(all))
	}
}

func TestSearchAddressAndFlowFile(t *testing.T) {
	isolateCache(t)
	out, errOut, code := fwpol(t, "search", "address", "203.0.113.10", "-o", "json", "../../testdata/junos/policy.conf")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	var hits []map[string]any
	json.Unmarshal([]byte(out), &hits)
	var sawObject, sawRule bool
	for _, h := range hits {
		if h["kind"] == "prefix-list" && h["object"] == "MGMT" {
			sawObject = true
		}
		if h["kind"] == "rule" && h["rule"] == "ssh" && h["action"] == "permit" {
			sawRule = true
		}
	}
	if !sawObject || !sawRule {
		t.Fatalf("address search missed MGMT or term ssh: %s", out)
	}
	flows := filepath.Join(t.TempDir(), "flows.csv")
	writeFile(t, flows, "# IOCs\nproto,src,dst,dport,label\ntcp,198.51.100.7,192.0.2.1,22,mgmt\nudp,192.0.2.99,192.0.2.1,9,discard\n")
	out, errOut, code = fwpol(t, "search", "flow", "--from-file", flows, "-o", "json", "../../testdata/junos/policy.conf")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	var sums []map[string]any
	json.Unmarshal([]byte(out), &sums)
	if len(sums) != 2 || sums[0]["label"] != "mgmt" || sums[0]["permit"].(float64) < 1 || sums[0]["line"].(float64) != 3 {
		t.Fatalf("summaries: %s", out)
	}
	writeFile(t, flows, "proto,src,dst,dport\ntcp,198.51.100.7,192.0.2.1,99999\n")
	_, errOut, code = fwpol(t, "search", "flow", "--from-file", flows, "../../testdata/junos/policy.conf")
	if code != 1 || !strings.Contains(errOut, "flows.csv:2:1") {
		t.Fatalf("bad flow file: exit %d %q", code, errOut)
	}
}

// TestNftCombinedHookVerdict: several base chains on the input hook are
// reported one by one, then combined the kernel's way (drop is final,
// accept moves on to the next chain by priority).
func TestNftCombinedHookVerdict(t *testing.T) {
	isolateCache(t)
	cases := []struct{ flow, action, decidedIn string }{
		{"tcp 198.51.100.7 -> 10.0.0.1:80", "deny", "sec"},       // accepted by early and main, dropped by sec
		{"tcp 192.0.2.66 -> 10.0.0.1:80", "deny", "early/input"}, // scanner dropped first
		{"tcp 10.0.0.9 -> 10.0.0.1:22", "permit", "sec"},         // every chain accepts
		{"udp 10.0.0.9 -> 10.0.0.1:5353", "deny", "main/input"},  // main's policy drop
	}
	for _, tc := range cases {
		out, errOut, code := fwpol(t, "search", "flow", tc.flow, "-o", "json", "../../testdata/nftables/multichain.nft")
		if code != 0 {
			t.Fatalf("%s: exit %d %s", tc.flow, code, errOut)
		}
		var rs []map[string]any
		json.Unmarshal([]byte(out), &rs)
		var comb map[string]any
		for _, r := range rs {
			if r["combined"] == true {
				if comb != nil {
					t.Fatalf("%s: two combined results", tc.flow)
				}
				comb = r
			}
		}
		if comb == nil || comb["filter"] != "input (combined)" || comb["action"] != tc.action || comb["decided_in"] != tc.decidedIn {
			t.Errorf("%s: combined %v, want %s by %s", tc.flow, comb, tc.action, tc.decidedIn)
		}
	}
}

// TestLintUnreadableConfigIsAnError: exit 1 means findings, so a config
// that cannot be read must not look like one.
func TestLintUnreadableConfigIsAnError(t *testing.T) {
	isolateCache(t)
	bad := filepath.Join(t.TempDir(), "bad.conf")
	writeFile(t, bad, "firewall {\n    family inet {\n        filter F {\n")
	if _, errOut, code := fwpol(t, "lint", bad); code != 2 || !strings.Contains(errOut, "bad.conf:") {
		t.Fatalf("lint of a truncated config: exit %d %q", code, errOut)
	}
	if _, _, code := fwpol(t, "lint", "/nonexistent/dir"); code != 2 {
		t.Fatalf("lint of a missing path: exit %d", code)
	}
}

// TestConvertToLinux: a Junos filter converts to an iptables chain and an
// nftables chain, each proven equivalent by the packet-space diff.
func TestConvertToLinux(t *testing.T) {
	isolateCache(t)
	for _, to := range []string{"iptables", "nftables"} {
		out, errOut, code := fwpol(t, "convert", "../../testdata/junos/policy.conf", "--to", to, "--filter", "EXCEPTS")
		if code != 0 || !strings.Contains(errOut, "1 equivalent, 0 not") || !strings.Contains(out, "EXCEPTS") {
			t.Fatalf("--to %s: exit %d\n%s\n%s", to, code, out, errOut)
		}
	}
	// a dual-stack ASA list rendered as IPv4 iptables is reported, not passed off
	if _, errOut, code := fwpol(t, "convert", "../../testdata/asa/policy.cfg", "--to", "iptables"); code != 1 || !strings.Contains(errOut, "NOT equivalent") {
		t.Fatalf("ASA to iptables: exit %d %s", code, errOut)
	}
}
