package iptables

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/blocktest"
	"github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

func TestRenderBlockCommands(t *testing.T) {
	cfg, err := Parse("h.rules", []byte("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet("0.0.0.0/0"), Dst: policy.MustParseSet(), Filters: []string{"INPUT"}}
	ch, err := RenderBlock(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ipset create FWPOL-BLOCK hash:net family inet maxelem 1048576 -exist",
		"ipset add FWPOL-BLOCK 0.0.0.0/1 -exist",
		"ipset add FWPOL-BLOCK 128.0.0.0/1 -exist",
		"iptables -I INPUT 1 -m set --match-set FWPOL-BLOCK src -j DROP",
	}
	if strings.Join(ch.Commands, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(ch.Commands, "\n"), strings.Join(want, "\n"))
	}
}

// TestRenderBlockInKernel applies rendered changes to a real namespace,
// shows with packets that blocked sources (and destinations) are dropped
// and others pass, parses iptables-save + ipset save back and checks that
// rendering again yields nothing, through grow, shrink and removal.
func TestRenderBlockInKernel(t *testing.T) {
	needKernel(t, "iptables", "iptables-save", "iptables-restore", "ipset")
	p, err := netns.NewPair("iptblk")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, a := range []string{"10.250.0.30/24", "10.250.0.40/24"} {
		if err := p.AddAddr(p.A, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.AddAddr(p.B, "10.250.0.3/24"); err != nil {
		t.Fatal(err)
	}
	rules := "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 8080 -j ACCEPT\nCOMMIT\n"
	if _, err := netns.Run(p.B, []byte(rules), "iptables-restore"); err != nil {
		t.Fatal(err)
	}
	srv2, err := netns.Serve(p.B, netip.MustParseAddr("10.250.0.2"), []uint16{8080}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	srv3, err := netns.Serve(p.B, netip.MustParseAddr("10.250.0.3"), []uint16{8080}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv3.Close()

	state := func() *policy.Config {
		t.Helper()
		save, err := netns.Run(p.B, nil, "iptables-save")
		if err != nil {
			t.Fatal(err)
		}
		sets, err := netns.Run(p.B, nil, "ipset", "save")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := Parse("b.rules", save)
		if err != nil {
			t.Fatalf("%v\n%s", err, save)
		}
		cfg.Device = "b"
		ips, err := ParseIPSet("b.ipset", sets)
		if err != nil {
			t.Fatalf("%v\n%s", err, sets)
		}
		ips.Device = "b"
		Link([]*policy.Config{cfg, ips})
		cfg.Objects = append(cfg.Objects, ips.Objects...)
		return cfg
	}
	k := blocktest.Kernel{Pair: p, Render: RenderBlock, State: state, Entry: "INPUT", Apply: func(cmds []string) {
		t.Helper()
		for _, c := range cmds {
			f := strings.Fields(c)
			if _, err := netns.Run(p.B, nil, f[0], f[1:]...); err != nil {
				t.Fatalf("%s: %v\nall commands:\n%s", c, err, strings.Join(cmds, "\n"))
			}
		}
	}}
	step := func(src, dst []string, dropped, accepted [][2]string) {
		t.Helper()
		k.Step(t, vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet(src...), Dst: policy.MustParseSet(dst...), Filters: []string{"INPUT", "FORWARD", "OUTPUT"}}, dropped, accepted)
	}
	step([]string{"10.250.0.30"}, []string{"10.250.0.3"},
		[][2]string{{"10.250.0.30", "10.250.0.2"}, {"10.250.0.1", "10.250.0.3"}},
		[][2]string{{"10.250.0.40", "10.250.0.2"}, {"10.250.0.1", "10.250.0.2"}})
	step([]string{"10.250.0.32/27", "10.250.0.30"}, nil,
		[][2]string{{"10.250.0.30", "10.250.0.2"}, {"10.250.0.40", "10.250.0.2"}},
		[][2]string{{"10.250.0.1", "10.250.0.3"}, {"10.250.0.1", "10.250.0.2"}})
	step(nil, nil, nil, [][2]string{{"10.250.0.30", "10.250.0.2"}, {"10.250.0.40", "10.250.0.3"}})
	save, _ := netns.Run(p.B, nil, "iptables-save")
	sets, _ := netns.Run(p.B, nil, "ipset", "list", "-n")
	if strings.Contains(string(save), "FWPOL") || strings.TrimSpace(string(sets)) != "" {
		t.Fatalf("block left behind:\n%s\nsets: %s", save, sets)
	}
}
