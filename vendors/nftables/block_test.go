package nftables

import (
	"go4.org/netipx"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/blocktest"
	nsx "github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

func TestRenderBlockCommands(t *testing.T) {
	cfg, err := Parse("h.nft", []byte("table ip filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n  tcp dport 22 accept\n }\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet("10.0.0.0/24", "10.0.1.0/25", "10.0.2.7", "2001:db8::/32"), Dst: policy.MustParseSet(), Filters: []string{"input"}}
	ch, err := RenderBlock(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"add set ip filter FWPOL-BLOCK { type ipv4_addr; flags interval; }",
		"add element ip filter FWPOL-BLOCK { 10.0.0.0-10.0.1.127, 10.0.2.7 }",
		"insert rule ip filter input ip saddr @FWPOL-BLOCK drop",
	}
	if strings.Join(ch.Commands, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(ch.Commands, "\n"), strings.Join(want, "\n"))
	}
}

// TestRenderBlockInKernel applies rendered changes with the real nft in a
// namespace, shows with packets that blocked addresses are dropped and
// others pass, re-parses "nft list ruleset" and checks that rendering
// again yields nothing, through grow, shrink and removal.
//
// With handles (the state read with "nft -a list ruleset") removing the
// last range deletes the drop rules and the sets; without them the emptied
// sets and their rules stay.
func TestRenderBlockInKernel(t *testing.T) {
	t.Run("handles", func(t *testing.T) { kernelBlock(t, true) })
	t.Run("no-handles", func(t *testing.T) { kernelBlock(t, false) })
}

func kernelBlock(t *testing.T, handles bool) {
	if err := nsx.Available(); err != nil {
		t.Skip(err)
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed")
	}
	p, err := nsx.NewPair("nftblk")
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
	ruleset := "table inet filter {\n chain input {\n  type filter hook input priority filter; policy drop;\n  iifname \"lo\" accept\n  tcp dport 8080 accept\n }\n}\n"
	if _, err := nsx.Run(p.B, []byte(ruleset), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.250.0.2", "10.250.0.3"} {
		srv, err := nsx.Serve(p.B, netip.MustParseAddr(a), []uint16{8080}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
	}
	list := func() []byte {
		t.Helper()
		args := []string{"list", "ruleset"}
		if handles {
			args = []string{"-a", "list", "ruleset"}
		}
		out, err := nsx.Run(p.B, nil, "nft", args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	state := func() *policy.Config {
		t.Helper()
		out := list()
		if handles != strings.Contains(string(out), "# handle ") {
			t.Fatalf("handles %v in:\n%s", handles, out)
		}
		cfg, err := Parse("b.nft", out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return cfg
	}
	k := blocktest.Kernel{Pair: p, Render: RenderBlock, State: state, Entry: "input", Apply: func(cmds []string) {
		t.Helper()
		if len(cmds) > 0 {
			if out, err := nsx.Run(p.B, []byte(strings.Join(cmds, "\n")+"\n"), "nft", "-f", "-"); err != nil {
				t.Fatalf("%v\n%s\ncommands:\n%s", err, out, strings.Join(cmds, "\n"))
			}
		}
	}}
	step := func(src, dst []string, dropped, accepted [][2]string) {
		t.Helper()
		k.Step(t, vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: setOf(src...), Dst: setOf(dst...), Filters: []string{"input"}}, dropped, accepted)
	}
	step([]string{"10.250.0.30", "2001:db8:bad::/48"}, []string{"10.250.0.3"},
		[][2]string{{"10.250.0.30", "10.250.0.2"}, {"10.250.0.1", "10.250.0.3"}},
		[][2]string{{"10.250.0.40", "10.250.0.2"}, {"10.250.0.1", "10.250.0.2"}})
	// grow into a range that is not a prefix, merge with the existing element
	step([]string{"10.250.0.30-10.250.0.45"}, nil,
		[][2]string{{"10.250.0.30", "10.250.0.2"}, {"10.250.0.40", "10.250.0.2"}},
		[][2]string{{"10.250.0.1", "10.250.0.3"}, {"10.250.0.1", "10.250.0.2"}})
	step([]string{"10.250.0.40"}, nil,
		[][2]string{{"10.250.0.40", "10.250.0.2"}},
		[][2]string{{"10.250.0.30", "10.250.0.2"}, {"10.250.0.1", "10.250.0.3"}})
	step(nil, nil, nil, [][2]string{{"10.250.0.30", "10.250.0.2"}, {"10.250.0.40", "10.250.0.3"}})
	left := string(list())
	if handles == strings.Contains(left, "FWPOL-BLOCK") {
		t.Fatalf("handles %v, after removing everything:\n%s", handles, left)
	}
	// block again after the removal, then remove again
	step([]string{"10.250.0.40"}, []string{"10.250.0.3"},
		[][2]string{{"10.250.0.40", "10.250.0.2"}, {"10.250.0.1", "10.250.0.3"}},
		[][2]string{{"10.250.0.30", "10.250.0.2"}})
	step(nil, nil, nil, [][2]string{{"10.250.0.40", "10.250.0.2"}, {"10.250.0.1", "10.250.0.3"}})
	if left := string(list()); handles == strings.Contains(left, "FWPOL-BLOCK") {
		t.Fatalf("handles %v, after removing everything again:\n%s", handles, left)
	}
}

// setOf builds a set from addresses, CIDRs and A-B ranges.
func setOf(ss ...string) *policy.AddrSet {
	var b policy.AddrSetBuilder
	for _, s := range ss {
		if strings.Contains(s, "-") {
			b.AddRange(netipx.MustParseIPRange(s))
			continue
		}
		b.AddSet(policy.MustParseSet(s))
	}
	return b.Set()
}

// TestRenderBlockRemovalByHandle: with handles, the emptied set goes with
// its drop rules; a set another rule uses stays (emptied), as without
// handles.
func TestRenderBlockRemovalByHandle(t *testing.T) {
	ruleset := `table inet filter { # handle 1
	set FWPOL-BLOCK { # handle 5
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/24 }
	}
	set FWPOL-BLOCK-DST { # handle 6
		type ipv4_addr
		flags interval
		elements = { 10.9.0.0/24 }
	}
	chain input { # handle 2
		type filter hook input priority filter; policy accept;
		ip daddr @FWPOL-BLOCK-DST drop # handle 8
		ip saddr @FWPOL-BLOCK drop # handle 7
		tcp dport 22 ip daddr @FWPOL-BLOCK-DST counter accept # handle 9
	}
}
`
	cfg, err := Parse("h.nft", []byte(ruleset))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := RenderBlock(cfg, vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet(), Dst: policy.MustParseSet(), Filters: []string{"input"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"delete element inet filter FWPOL-BLOCK-DST { 10.9.0.0/24 }",
		"delete rule inet filter input handle 7",
		"delete set inet filter FWPOL-BLOCK",
	}
	if strings.Join(ch.Commands, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(ch.Commands, "\n"), strings.Join(want, "\n"))
	}
	// without handles: both sets emptied, every rule kept
	cfg, err = Parse("h.nft", []byte(strings.NewReplacer(" # handle 7", "", " # handle 8", "", " # handle 9", "", " # handle 1", "", " # handle 2", "", " # handle 5", "", " # handle 6", "").Replace(ruleset)))
	if err != nil {
		t.Fatal(err)
	}
	ch, _ = RenderBlock(cfg, vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet(), Dst: policy.MustParseSet(), Filters: []string{"input"}})
	for _, c := range ch.Commands {
		if strings.HasPrefix(c, "delete rule") || strings.HasPrefix(c, "delete set") {
			t.Fatalf("deleted without handles: %s", c)
		}
	}
}
