package linux

import (
	"net/netip"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fwpol/fwpol/internal/netns"
)

func need(t *testing.T, bins ...string) {
	t.Helper()
	if err := netns.Available(); err != nil {
		t.Skip(err)
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
}

func runSteps(t *testing.T, ns string, steps []Step) {
	t.Helper()
	for _, s := range steps {
		if _, err := netns.Run(ns, s.Stdin, s.Name, s.Args...); err != nil {
			t.Fatalf("%s: %v\n%s", s, err, s.Stdin)
		}
	}
}

type probe struct {
	src  string
	port uint16
	want netns.Result
}

func check(t *testing.T, p *netns.Pair, when string, probes []probe) {
	t.Helper()
	for _, pr := range probes {
		got, err := netns.ProbeTCP(p.A, netip.AddrPortFrom(netip.MustParseAddr(pr.src), 0), netip.AddrPortFrom(p.AddrB.Addr(), pr.port), 400*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if got != pr.want {
			t.Errorf("%s: tcp %s -> :%d: kernel %v, want %v", when, pr.src, pr.port, got, pr.want)
		}
	}
}

func TestNftPlanApplyRollback(t *testing.T) {
	need(t, "nft")
	p, err := netns.NewPair("pushnft")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	current := `table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 7001 drop
		tcp dport 7002 accept
	}
}
table ip other {
	chain out {
		type filter hook output priority filter; policy accept;
		ip daddr 192.0.2.1 drop
	}
}
`
	desired := `table inet fw {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 7001 accept
		tcp dport 7002 drop
	}
}
`
	if _, err := netns.Run(p.B, []byte(current), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	srv, err := netns.Serve(p.B, p.AddrB.Addr(), []uint16{7001, 7002}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	before := []probe{{"10.250.0.1", 7001, netns.Dropped}, {"10.250.0.1", 7002, netns.Accepted}}
	after := []probe{{"10.250.0.1", 7001, netns.Accepted}, {"10.250.0.1", 7002, netns.Dropped}}
	check(t, p, "before", before)

	listed, err := netns.Run(p.B, nil, "nft", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NftPlan(listed, []byte(desired), NftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plan.Changed, []string{"inet fw"}) {
		t.Fatalf("changed %v, want [inet fw]\n%s", plan.Changed, plan.Apply)
	}
	runSteps(t, p.B, plan.Apply)
	check(t, p, "after apply", after)
	// the other table is untouched
	if out, err := netns.Run(p.B, nil, "nft", "list", "table", "ip", "other"); err != nil || !strings.Contains(string(out), "192.0.2.1") {
		t.Errorf("table ip other changed: %v %s", err, out)
	}
	// applying again changes nothing
	listed2, _ := netns.Run(p.B, nil, "nft", "list", "ruleset")
	again, err := NftPlan(listed2, []byte(desired), NftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changed) != 0 || len(again.Apply) != 0 {
		t.Errorf("second plan not empty: %v", again.Changed)
	}
	runSteps(t, p.B, plan.Rollback)
	check(t, p, "after rollback", before)
	back, _ := netns.Run(p.B, nil, "nft", "list", "ruleset")
	if string(back) != string(listed) {
		t.Errorf("rollback did not restore the ruleset:\n%s\n---\n%s", listed, back)
	}
}

func TestNftPlanRefusesBadDesired(t *testing.T) {
	if _, err := NftPlan(nil, []byte("table inet fw {\n chain c {\n  tcp dport 22 jump nowhere\n }\n}\n"), NftOptions{}); err == nil || !strings.Contains(err.Error(), "desired:3") {
		t.Fatalf("want an error naming desired:3, got %v", err)
	}
}

func TestIptablesPlanApplyRollback(t *testing.T) {
	need(t, "iptables-restore", "iptables-save", "ipset")
	p, err := netns.NewPair("pushipt")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.AddAddr(p.A, "10.250.0.5/24"); err != nil {
		t.Fatal(err)
	}
	current := `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:SVC - [0:0]
:OLD - [0:0]
-A INPUT -p tcp -m tcp --dport 7001 -j DROP
-A INPUT -p tcp -j SVC
-A INPUT -p udp -j OLD
-A SVC -p tcp -m tcp --dport 7002 -j ACCEPT
-A OLD -j RETURN
COMMIT
`
	desired := `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:SVC - [0:0]
-A INPUT -m set --match-set blocked src -j DROP
-A INPUT -p tcp -m tcp --dport 7001 -j ACCEPT
-A INPUT -p tcp -j SVC
-A SVC -p tcp -m tcp --dport 7002 -j REJECT --reject-with tcp-reset
COMMIT
`
	desiredSets := "create blocked hash:ip family inet\nadd blocked 10.250.0.5\n"
	if _, err := netns.Run(p.B, []byte(current), "iptables-restore"); err != nil {
		t.Fatal(err)
	}
	srv, err := netns.Serve(p.B, p.AddrB.Addr(), []uint16{7001, 7002}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	before := []probe{{"10.250.0.1", 7001, netns.Dropped}, {"10.250.0.1", 7002, netns.Accepted}, {"10.250.0.1", 7003, netns.Rejected}, {"10.250.0.5", 7002, netns.Accepted}}
	after := []probe{{"10.250.0.1", 7001, netns.Accepted}, {"10.250.0.1", 7002, netns.Rejected}, {"10.250.0.1", 7003, netns.Dropped}, {"10.250.0.5", 7001, netns.Dropped}}
	check(t, p, "before", before)

	saved, err := netns.Run(p.B, nil, "iptables-save")
	if err != nil {
		t.Fatal(err)
	}
	savedSets, err := netns.Run(p.B, nil, "ipset", "save")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := IptablesPlan(saved, []byte(desired), savedSets, []byte(desiredSets))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ipset blocked", "filter/INPUT", "filter/SVC", "filter/OLD (deleted)"}
	if !reflect.DeepEqual(plan.Changed, want) {
		t.Fatalf("changed %v, want %v", plan.Changed, want)
	}
	runSteps(t, p.B, plan.Apply)
	check(t, p, "after apply", after)
	if out, _ := netns.Run(p.B, nil, "iptables-save"); strings.Contains(string(out), ":OLD") {
		t.Errorf("chain OLD not deleted:\n%s", out)
	}
	// applying again changes nothing
	saved2, _ := netns.Run(p.B, nil, "iptables-save")
	sets2, _ := netns.Run(p.B, nil, "ipset", "save")
	again, err := IptablesPlan(saved2, []byte(desired), sets2, []byte(desiredSets))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changed) != 0 {
		t.Errorf("second plan not empty: %v", again.Changed)
	}
	runSteps(t, p.B, plan.Rollback)
	check(t, p, "after rollback", before)
	if out, _ := netns.Run(p.B, nil, "ipset", "list", "-n"); strings.Contains(string(out), "blocked") {
		t.Errorf("set created by the apply survived the rollback: %s", out)
	}
	restored, _ := netns.Run(p.B, nil, "iptables-save")
	if stripComments(string(restored)) != stripComments(string(saved)) {
		t.Errorf("rollback did not restore the ruleset:\n%s\n---\n%s", saved, restored)
	}
}

// stripComments drops comment lines and chain counters.
func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, ":") {
			if i := strings.LastIndexByte(l, '['); i > 0 {
				l = l[:i]
			}
		}
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
