package iptables

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/policy"
)

func needKernel(t *testing.T, bins ...string) {
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

// TestFixturesLoadInKernel loads every fixture with the real
// iptables-restore/ip6tables-restore --test in a fresh namespace (ipset
// files first, into the same namespace), so the fixtures are known-valid.
func TestFixturesLoadInKernel(t *testing.T) {
	needKernel(t, "iptables-restore", "ip6tables-restore", "ipset")
	var gen bytes.Buffer
	GenerateConfig(&gen, 2000, 3)
	cases := []struct {
		rules, sets, bin string
		data             []byte
	}{
		{"basic.rules", "basic.ipset", "iptables-restore", nil},
		{"kernel.rules", "kernel.ipset", "iptables-restore", nil},
		{"v6.rules", "", "ip6tables-restore", nil},
		{"generated", "", "iptables-restore", gen.Bytes()},
	}
	for _, tc := range cases {
		t.Run(tc.rules, func(t *testing.T) {
			p, err := netns.NewPair("iptfx")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if tc.sets != "" {
				data, err := os.ReadFile(filepath.Join(fixtures, tc.sets))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := netns.Run(p.B, data, "ipset", "restore"); err != nil {
					t.Fatal(err)
				}
			}
			data := tc.data
			if data == nil {
				if data, err = os.ReadFile(filepath.Join(fixtures, tc.rules)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := netns.Run(p.B, data, tc.bin, "--test"); err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(tc.rules, data); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestJumpLoopRefusedByKernel checks that the kernel refuses what Parse
// refuses (a reachable loop) and accepts an unreachable one, like Parse.
func TestJumpLoopRefusedByKernel(t *testing.T) {
	needKernel(t, "iptables-restore")
	p, err := netns.NewPair("iptloop")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	loop := "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\n-A INPUT -j A\nCOMMIT\n"
	if _, err := netns.Run(p.B, []byte(loop), "iptables-restore"); err == nil {
		t.Error("kernel accepted a reachable loop")
	}
	if _, err := Parse("loop", []byte(loop)); err == nil {
		t.Error("Parse accepted a reachable loop")
	}
	unreach := "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\nCOMMIT\n"
	if _, err := netns.Run(p.B, []byte(unreach), "iptables-restore"); err != nil {
		t.Errorf("kernel refused an unreachable loop: %v", err)
	}
	if _, err := Parse("unreach", []byte(unreach)); err != nil {
		t.Errorf("Parse refused an unreachable loop: %v", err)
	}
}

// TestKernelGroundTruth loads kernel.rules (and kernel.ipset) into the
// receiver namespace and sends real TCP connections and UDP datagrams from
// the sender namespace, comparing what the kernel did with Config.Decide.
func TestKernelGroundTruth(t *testing.T) {
	needKernel(t, "iptables-restore", "ipset")
	rules, err := os.ReadFile(filepath.Join(fixtures, "kernel.rules"))
	if err != nil {
		t.Fatal(err)
	}
	sets, err := os.ReadFile(filepath.Join(fixtures, "kernel.ipset"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(filepath.Join(fixtures, "kernel.rules"), rules)
	if err != nil {
		t.Fatal(err)
	}
	setCfg, err := ParseIPSet(filepath.Join(fixtures, "kernel.ipset"), sets)
	if err != nil {
		t.Fatal(err)
	}
	Link([]*policy.Config{cfg, setCfg})
	if len(cfg.Undefined) != 0 {
		t.Fatalf("sets not linked: %+v", cfg.Undefined)
	}

	p, err := netns.NewPair("iptgt")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, a := range []string{"10", "20", "30", "40", "49", "50"} {
		if err := p.AddAddr(p.A, "10.250.0."+a+"/24"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := netns.Run(p.B, sets, "ipset", "restore"); err != nil {
		t.Fatal(err)
	}
	if _, err := netns.Run(p.B, rules, "iptables-restore"); err != nil {
		t.Fatal(err)
	}
	dst := p.AddrB.Addr()
	tcpPorts := []uint16{7001, 7002, 7003, 7010, 7011, 7020, 7025, 7200, 7302, 7400, 7600, 7700}
	udpPorts := []uint16{7004, 7021, 7099, 7101, 7300, 7500, 7999}
	srv, err := netns.Serve(p.B, dst, tcpPorts, udpPorts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	type probe struct {
		name   string
		proto  uint8
		src    string
		sport  uint16
		dport  uint16
		expect policy.Action // what fwpol must say; the kernel must agree
	}
	probes := []probe{
		{"accept", policy.ProtoTCP, "10.250.0.1", 41001, 7001, policy.Permit},
		{"drop", policy.ProtoTCP, "10.250.0.1", 41002, 7002, policy.Deny},
		{"reject tcp-reset", policy.ProtoTCP, "10.250.0.1", 41003, 7003, policy.Reject},
		{"reject udp port-unreachable", policy.ProtoUDP, "10.250.0.1", 41004, 7004, policy.Reject},
		{"jump SVC accept", policy.ProtoTCP, "10.250.0.1", 41005, 7010, policy.Permit},
		{"jump SVC reject", policy.ProtoTCP, "10.250.0.1", 41006, 7011, policy.Reject},
		{"jump SVC return, final reject", policy.ProtoTCP, "10.250.0.10", 41007, 7010, policy.Reject},
		{"goto GOTO_T accept udp", policy.ProtoUDP, "10.250.0.20", 41008, 7021, policy.Permit},
		{"goto GOTO_T accept tcp", policy.ProtoTCP, "10.250.0.20", 41009, 7020, policy.Permit},
		{"goto falls off: INPUT policy, not the next rule", policy.ProtoUDP, "10.250.0.20", 41010, 7099, policy.Deny},
		{"goto falls off tcp: policy drop, not the final reject", policy.ProtoTCP, "10.250.0.20", 41011, 7025, policy.Deny},
		{"without goto the next rule accepts", policy.ProtoUDP, "10.250.0.1", 41012, 7099, policy.Permit},
		{"multiport --ports by source port", policy.ProtoUDP, "10.250.0.1", 7100, 7999, policy.Permit},
		{"multiport --ports by destination port", policy.ProtoUDP, "10.250.0.1", 41013, 7101, policy.Permit},
		{"multiport --ports neither: udp drop", policy.ProtoUDP, "10.250.0.1", 41014, 7999, policy.Deny},
		{"iprange inside", policy.ProtoTCP, "10.250.0.30", 41015, 7200, policy.Permit},
		{"iprange outside", policy.ProtoTCP, "10.250.0.1", 41016, 7200, policy.Reject},
		{"conntrack NEW", policy.ProtoUDP, "10.250.0.1", 41017, 7300, policy.Permit},
		{"state ESTABLISHED only never matches a new flow", policy.ProtoTCP, "10.250.0.1", 41018, 7302, policy.Reject},
		{"! --syn never matches a SYN", policy.ProtoTCP, "10.250.0.1", 41019, 7400, policy.Reject},
		{"LOG is non-terminating", policy.ProtoUDP, "10.250.0.1", 41020, 7500, policy.Permit},
		{"match-set blocklist drops", policy.ProtoTCP, "10.250.0.50", 41021, 7001, policy.Deny},
		{"match-set nomatch entry escapes", policy.ProtoTCP, "10.250.0.49", 41022, 7001, policy.Permit},
		{"match-set allowed", policy.ProtoTCP, "10.250.0.40", 41023, 7600, policy.Permit},
		{"match-set not allowed", policy.ProtoTCP, "10.250.0.1", 41024, 7600, policy.Reject},
		{"sport range", policy.ProtoTCP, "10.250.0.1", 7705, 7700, policy.Permit},
		{"sport outside range", policy.ProtoTCP, "10.250.0.1", 41025, 7700, policy.Reject},
	}
	input := cfg.Filter("INPUT")
	rulesHit := map[string]bool{}
	const timeout = 400 * time.Millisecond
	for _, pr := range probes {
		src := netip.MustParseAddr(pr.src)
		fl := &policy.Flow{Proto: pr.proto, Src: src, Dst: dst, SrcPort: pr.sport, DstPort: pr.dport}
		d := cfg.Decide(input, fl)
		if d.Rule != nil {
			rulesHit[d.Filter.Name+"/"+d.Rule.Name] = true
		} else {
			rulesHit["default"] = true
		}
		srcAP := netip.AddrPortFrom(src, pr.sport)
		dstAP := netip.AddrPortFrom(dst, pr.dport)
		var got netns.Result
		if pr.proto == policy.ProtoTCP {
			got, err = netns.ProbeTCP(p.A, srcAP, dstAP, timeout)
		} else {
			got, err = netns.ProbeUDP(p.A, srcAP, dstAP, timeout)
		}
		if err != nil {
			t.Fatalf("%s: probe: %v", pr.name, err)
		}
		kernel := map[netns.Result]policy.Action{netns.Accepted: policy.Permit, netns.Rejected: policy.Reject, netns.Dropped: policy.Deny}[got]
		if d.Action != pr.expect {
			t.Errorf("%s: fwpol says %v (trail %+v), fixture expects %v", pr.name, d.Action, d.Trail, pr.expect)
		}
		if kernel != d.Action {
			t.Errorf("%s: kernel %v, fwpol %v (rule %v)", pr.name, got, d.Action, d.Rule)
		}
	}
	if len(rulesHit) < 10 {
		t.Errorf("probes hit only %d distinct rules: %v", len(rulesHit), rulesHit)
	}
}
