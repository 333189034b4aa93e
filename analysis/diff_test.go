package analysis

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

const pybatfish = "../../shared/corpus/pybatfish-example-filters"

func loadSource(t *testing.T, arg string, opt SourceOptions) []*policy.Config {
	t.Helper()
	s, err := ResolveSource(arg, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfgs, err := s.Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cfgs
}

// checkSamples verifies every change of a report with Config.Decide: the
// change's sample and each region's sample get the old decision in the old
// filter and the new decision in the new one.
func checkSamples(t *testing.T, pairs []Pair, rep *DiffReport) {
	t.Helper()
	for i, fr := range rep.Filters {
		p := pairs[i]
		if fr.Status != "changed" {
			continue
		}
		for _, c := range fr.Changes {
			flows := []policy.Flow{c.Flow}
			for _, r := range c.Regions {
				fl, err := parseSample(r.Sample)
				if err != nil {
					t.Fatalf("region %s: sample %v: %v", r.Text, r.Sample, err)
				}
				flows = append(flows, fl)
			}
			for _, fl := range flows {
				od := p.Old.Config.Decide(p.Old.Filter, &fl)
				nd := p.New.Config.Decide(p.New.Filter, &fl)
				if !sameSide(od, c.Old) || !sameSide(nd, c.New) {
					t.Errorf("%s %s: flow %+v decided %v / %v, report says %v → %v", fr.Device, fr.Filter, fl, od.Action, nd.Action, c.Old, c.New)
				}
			}
		}
	}
}

func parseSample(s FlowJSON) (policy.Flow, error) {
	fl := policy.Flow{SrcPort: s.SrcPort, DstPort: s.DstPort}
	var err error
	if fl.Proto, err = policy.ProtoNumber(s.Proto); err != nil {
		return fl, err
	}
	src, err := parseAddr(s.Src)
	if err != nil {
		return fl, err
	}
	dst, err := parseAddr(s.Dst)
	if err != nil {
		return fl, err
	}
	fl.Src, fl.Dst = src, dst
	if s.ICMPType != nil {
		fl.ICMPType, fl.ICMPCode = *s.ICMPType, *s.ICMPCode
	}
	return fl, nil
}

func sameSide(d policy.Decision, s policy.DiffSide) bool {
	if d.Action != s.Action {
		return false
	}
	if s.Rule == "" {
		return d.Rule == nil
	}
	return d.Rule != nil && d.Rule.Name == s.Rule && d.Rule.Pos.Line == s.Line
}

func TestDiffPybatfishCandidates(t *testing.T) {
	if _, err := os.Stat(pybatfish); err != nil {
		t.Skip("corpus absent")
	}
	cur := loadSource(t, filepath.Join(pybatfish, "current"), SourceOptions{})
	for _, tc := range []struct {
		cand, dst string
	}{{"candidate1", "18.18.18.0/26"}, {"candidate2", "18.18.18.0/27"}} {
		t.Run(tc.cand, func(t *testing.T) {
			cand := loadSource(t, filepath.Join(pybatfish, tc.cand), SourceOptions{})
			pairs := PairEstates(cur, cand)
			rep := Diff(pairs, DiffBindings(cur, cand), DiffOptions{})
			checkSamples(t, pairs, rep)
			if rep.Summary.Changed != 1 || rep.Summary.Added != 0 || rep.Summary.Removed != 0 {
				t.Fatalf("summary %+v", rep.Summary)
			}
			var acl *FilterReport
			for i := range rep.Filters {
				if rep.Filters[i].Status == "changed" {
					acl = &rep.Filters[i]
				}
			}
			if acl.Device != "rtr-with-acl" || acl.Filter != "acl_in" || !acl.NewlyPermits {
				t.Fatalf("changed filter %s %s", acl.Device, acl.Filter)
			}
			// lines 462 and 463 newly permit web traffic that rule 2020
			// (the final deny) dropped before
			want := map[string]string{"462": "tcp src 10.10.10.0/24 dst " + tc.dst + " dport 80", "463": "tcp src 10.10.10.0/24 dst " + tc.dst + " dport 8080"}
			if len(acl.Changes) != 2 {
				t.Fatalf("changes: %+v", acl.Changes)
			}
			for _, c := range acl.Changes {
				if c.Old.Action != policy.Deny || c.Old.Rule != "2020" || c.New.Action != policy.Permit || c.Direction != "newly-permitted" {
					t.Errorf("change %v → %v", c.Old, c.New)
				}
				if len(c.Regions) != 1 || c.Regions[0].Text != want[c.New.Rule] {
					t.Errorf("rule %s regions %+v, want %q", c.New.Rule, c.Regions, want[c.New.Rule])
				}
			}
			if acl.Cosmetic == nil || strings.Join(acl.Cosmetic.Added, ",") != "462,463" || len(acl.Cosmetic.Removed)+len(acl.Cosmetic.Moved)+len(acl.Cosmetic.Modified) != 0 {
				t.Errorf("cosmetic %+v", acl.Cosmetic)
			}
			// the firewall loses its z2-to-z3 zone pair
			if len(rep.Bindings) != 1 || rep.Bindings[0].Change != "removed" || rep.Bindings[0].Kind != "zone-pair" || !strings.HasPrefix(rep.Bindings[0].Target, "z2-to-z3") {
				t.Errorf("bindings %+v", rep.Bindings)
			}
		})
	}
	// candidate2 against candidate1: only the /26 minus /27 part changes back
	c1 := loadSource(t, filepath.Join(pybatfish, "candidate1"), SourceOptions{})
	c2 := loadSource(t, filepath.Join(pybatfish, "candidate2"), SourceOptions{})
	pairs := PairEstates(c1, c2)
	rep := Diff(pairs, nil, DiffOptions{})
	checkSamples(t, pairs, rep)
	if rep.Summary.Changed != 1 || rep.Summary.NewlyBlocked != 2 || rep.Summary.NewlyPermitted != 0 || rep.NewlyPermits() {
		t.Fatalf("candidate1 → candidate2: %+v", rep.Summary)
	}
	for _, f := range rep.Filters {
		for _, c := range f.Changes {
			for _, r := range c.Regions {
				if !strings.Contains(r.Text, "dst 18.18.18.32/27") {
					t.Errorf("region %s", r.Text)
				}
			}
		}
	}
}

const aclV1 = `hostname r1
ip access-list extended EDGE
 10 permit tcp 10.0.0.0 0.0.0.255 host 192.0.2.1 eq 443
 20 permit udp any host 192.0.2.53 eq 53
 30 deny ip 10.9.0.0 0.0.255.255 any
 40 permit tcp any host 192.0.2.2 eq 22
!
interface Gi0/0
 ip access-group EDGE in
`

// same verdicts: disjoint rules reordered, one renumbered, one split in two
const aclV1Reordered = `hostname r1
ip access-list extended EDGE
 5 permit udp any host 192.0.2.53 eq 53
 10 permit tcp 10.0.0.0 0.0.0.127 host 192.0.2.1 eq 443
 15 permit tcp 10.0.0.128 0.0.0.127 host 192.0.2.1 eq 443
 30 deny ip 10.9.0.0 0.0.255.255 any
 40 permit tcp any host 192.0.2.2 eq 22
!
interface Gi0/0
 ip access-group EDGE in
`

// rule 40 moves above the deny: 10.9/16 may now ssh to 192.0.2.2
const aclV2 = `hostname r1
ip access-list extended EDGE
 10 permit tcp 10.0.0.0 0.0.0.255 host 192.0.2.1 eq 443
 20 permit udp any host 192.0.2.53 eq 53
 25 permit tcp any host 192.0.2.2 eq 22
 30 deny ip 10.9.0.0 0.0.255.255 any
!
interface Gi0/0
 ip access-group EDGE in
`

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiffCosmeticOnlyAndReorder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "r1.cfg"), aclV1)
	writeFile(t, filepath.Join(dir, "b", "r1.cfg"), aclV1Reordered)
	writeFile(t, filepath.Join(dir, "c", "r1.cfg"), aclV2)
	a := loadSource(t, filepath.Join(dir, "a"), SourceOptions{})
	b := loadSource(t, filepath.Join(dir, "b"), SourceOptions{})
	c := loadSource(t, filepath.Join(dir, "c"), SourceOptions{})

	rep := Diff(PairEstates(a, b), DiffBindings(a, b), DiffOptions{})
	if rep.TrafficChanged() || rep.Summary.Unchanged != 1 || rep.Summary.Cosmetic != 1 {
		t.Fatalf("reorder/split: %+v", rep.Summary)
	}
	cos := rep.Filters[0].Cosmetic
	// 20 became 5 (same content), 10 was split into 10 and 15
	if strings.Join(cos.Added, ",") != "15" || len(cos.Removed) != 0 || strings.Join(cos.Modified, ",") != "10" ||
		len(cos.Renamed) != 1 || cos.Renamed[0] != (Rename{"20", "5"}) {
		t.Errorf("cosmetic %+v", cos)
	}

	pairs := PairEstates(a, c)
	rep = Diff(pairs, nil, DiffOptions{})
	checkSamples(t, pairs, rep)
	if !rep.TrafficChanged() || !rep.NewlyPermits() || rep.Summary.Regions != 1 {
		t.Fatalf("move: %+v", rep.Summary)
	}
	ch := rep.Filters[0].Changes[0]
	if ch.Old.Rule != "30" || ch.New.Rule != "25" || ch.Regions[0].Text != "tcp src 10.9.0.0/16 dst 192.0.2.2/32 dport 22" {
		t.Errorf("change %+v", ch)
	}
	// the same content in another order: one rule moved (either 30 below
	// the ssh rule, or the ssh rule, renumbered 25, above 30)
	m := rep.Filters[0].Cosmetic
	if len(m.Added)+len(m.Removed)+len(m.Modified) != 0 || len(m.Moved) != 1 || len(m.Renamed) != 1 || m.Renamed[0] != (Rename{"40", "25"}) {
		t.Errorf("cosmetic %+v", m)
	}
}

// IOS resequencing renumbers every rule: the cosmetic report says renamed,
// and only the rule whose action flipped is modified (and changes traffic).
func TestDiffCosmeticResequenced(t *testing.T) {
	var old, nw strings.Builder
	old.WriteString("hostname r1\nip access-list extended EDGE\n")
	nw.WriteString("hostname r1\nip access-list extended EDGE\n")
	for i := 1; i <= 30; i++ {
		action := "permit"
		if i == 17 {
			action = "deny"
		}
		fmt.Fprintf(&old, " %d permit tcp any host 192.0.2.%d eq 443\n", i*10, i)
		fmt.Fprintf(&nw, " %d %s tcp any host 192.0.2.%d eq 443\n", i*10+5, action, i)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "r1.cfg"), old.String())
	writeFile(t, filepath.Join(dir, "b", "r1.cfg"), nw.String())
	a := loadSource(t, filepath.Join(dir, "a"), SourceOptions{})
	b := loadSource(t, filepath.Join(dir, "b"), SourceOptions{})
	rep := Diff(PairEstates(a, b), nil, DiffOptions{})
	if rep.Summary.Changed != 1 || rep.Summary.NewlyBlocked != 1 || rep.Summary.NewlyPermitted != 0 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	cos := rep.Filters[0].Cosmetic
	if strings.Join(cos.Modified, ",") != "175" || len(cos.Added)+len(cos.Removed)+len(cos.Moved) != 0 || len(cos.Renamed) != 29 {
		t.Fatalf("cosmetic %+v", cos)
	}
	if cos.Renamed[0] != (Rename{"10", "15"}) {
		t.Errorf("first rename %v", cos.Renamed[0])
	}
}

func TestDiffAgainstOtherVendor(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "r1.cfg"), aclV1)
	writeFile(t, filepath.Join(dir, "h1.rules"), `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/24 -d 192.0.2.1/32 -p tcp -m tcp --dport 443 -j ACCEPT
-A INPUT -d 192.0.2.53/32 -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -s 10.9.0.0/16 -j DROP
-A INPUT -d 192.0.2.2/32 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -d 192.0.2.3/32 -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset
COMMIT
`)
	cfgs := loadSource(t, dir, SourceOptions{})
	old := FindFilter(cfgs, "r1", "EDGE")
	nw := FindFilter(cfgs, "h1", "INPUT")
	if len(old) != 1 || len(nw) != 1 {
		t.Fatalf("found %d, %d", len(old), len(nw))
	}
	pairs := []Pair{{Old: old[0], New: nw[0]}}
	rep := Diff(pairs, nil, DiffOptions{})
	checkSamples(t, pairs, rep)
	f := rep.Filters[0]
	if f.Status != "changed" || f.Summary.Other != 1 || f.Summary.NewlyPermitted != 0 || f.Summary.NewlyBlocked != 0 || f.NewlyPermits {
		t.Fatalf("IOS vs iptables: %+v %+v", f.Summary, f.Changes)
	}
	if f.AgainstDevice != "h1" || f.Against != "INPUT" {
		t.Errorf("against %q %q", f.AgainstDevice, f.Against)
	}
	rep = Diff(pairs, nil, DiffOptions{RejectEqualsDeny: true})
	if rep.TrafficChanged() {
		t.Errorf("--reject-equals-deny: %+v", rep.Summary)
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// gitRepo makes a repository with two commits of configs/r1.cfg (aclV1,
// then aclV2) and an inventory at the root.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	writeFile(t, filepath.Join(repo, "configs", "r1.cfg"), aclV1)
	writeFile(t, filepath.Join(repo, "fwpol.yaml"), "sites:\n  - name: dc1\ndevices:\n  - name: r1\n    site: dc1\n    config: configs/r1.cfg\n")
	writeFile(t, filepath.Join(repo, "README"), "not a config\n")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "v1")
	writeFile(t, filepath.Join(repo, "configs", "r1.cfg"), aclV2)
	git(t, repo, "commit", "-q", "-am", "v2")
	return repo
}

func TestDiffGitRevisions(t *testing.T) {
	repo := gitRepo(t)
	opt := SourceOptions{Dir: repo}
	old, err := ResolveSource("HEAD~1", opt)
	if err != nil {
		t.Fatal(err)
	}
	tmp := old.tmp
	if old.Kind != "git" || old.Inventory == "" {
		t.Fatalf("source %+v", old)
	}
	oc, err := old.Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(oc) != 1 || oc[0].Device != "r1" || oc[0].Site != "dc1" || oc[0].File != "configs/r1.cfg" {
		t.Fatalf("old side: %+v", oc[0])
	}
	if st, err := os.Stat(filepath.Join(tmp, "configs", "r1.cfg")); err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Errorf("materialized file not read-only: %v %v", st.Mode(), err)
	}
	old.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary tree %s not removed: %v", tmp, err)
	}
	nc := loadSource(t, "HEAD", opt)
	oc = loadSource(t, "HEAD~1", opt)
	pairs := PairEstates(oc, nc)
	rep := Diff(pairs, nil, DiffOptions{})
	checkSamples(t, pairs, rep)
	if !rep.NewlyPermits() || rep.Summary.Regions != 1 || rep.Filters[0].Changes[0].Old.Line != 5 {
		t.Fatalf("HEAD~1 → HEAD: %+v %+v", rep.Summary, rep.Filters[0].Changes)
	}

	// working tree (uncommitted edit) against HEAD, restricted to configs/
	writeFile(t, filepath.Join(repo, "configs", "r1.cfg"), aclV1)
	sub := SourceOptions{Dir: repo, Sub: "configs"}
	wt, err := WorkTree(sub)
	if err != nil {
		t.Fatal(err)
	}
	if wt.Under == "" || wt.Inventory == "" {
		t.Fatalf("worktree with --path: %+v", wt)
	}
	wc, err := wt.Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := loadSource(t, "HEAD", sub)
	rep = Diff(PairEstates(hc, wc), nil, DiffOptions{})
	if rep.NewlyPermits() || rep.Summary.NewlyBlocked != 1 {
		t.Fatalf("HEAD → worktree: %+v", rep.Summary)
	}
	rep = Diff(PairEstates(loadSource(t, "HEAD~1", sub), wc), nil, DiffOptions{})
	if rep.TrafficChanged() {
		t.Fatalf("HEAD~1 → worktree (same content): %+v", rep.Summary)
	}

	for _, bad := range []string{"nosuchrev", "HEAD~7"} {
		if _, err := ResolveSource(bad, opt); err == nil || !strings.Contains(err.Error(), "not a git revision") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := ResolveSource("nosuch", SourceOptions{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not inside a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
}

func parseAddr(s string) (netip.Addr, error) { return netip.ParseAddr(s) }
