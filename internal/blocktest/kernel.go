package blocktest

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// Kernel checks a Linux vendor's RenderBlock against a real kernel in a
// namespace pair (internal/netns): pair.B holds the ruleset and a TCP
// listener on port 8080 of every address probed, pair.A sends the probes.
type Kernel struct {
	Pair *netns.Pair
	// Render is the vendor's RenderBlock.
	Render func(*policy.Config, vendors.BlockSpec) (vendors.BlockChange, error)
	// State reads the ruleset back from the kernel and parses it.
	State func() *policy.Config
	// Apply runs the rendered commands in pair.B.
	Apply func(cmds []string)
	// Entry is the filter whose parsed decisions are checked ("INPUT").
	Entry string
}

// Step renders spec against the kernel's state, applies it, and checks that
// the dropped flows (src, dst) are dropped and the accepted ones accepted,
// that the state read back decides them the same way, and that rendering
// against it again yields no command.
func (k Kernel) Step(t *testing.T, spec vendors.BlockSpec, dropped, accepted [][2]string) {
	t.Helper()
	ch, err := k.Render(k.State(), spec)
	if err != nil {
		t.Fatal(err)
	}
	k.Apply(ch.Commands)
	cmds := strings.Join(ch.Commands, "\n")
	for _, want := range []struct {
		flows [][2]string
		r     netns.Result
	}{{dropped, netns.Dropped}, {accepted, netns.Accepted}} {
		for _, fl := range want.flows {
			if r := k.probe(t, fl[0], fl[1]); r != want.r {
				t.Errorf("%s -> %s: %v, want %v\n%s", fl[0], fl[1], r, want.r, cmds)
			}
		}
	}
	after := k.State()
	for _, fl := range append(append([][2]string{}, dropped...), accepted...) {
		d := after.Decide(after.Filter(k.Entry), &policy.Flow{Proto: policy.ProtoTCP, Src: netip.MustParseAddr(fl[0]), Dst: netip.MustParseAddr(fl[1]), SrcPort: 40000, DstPort: 8080})
		blocked := spec.Src.Contains(netip.MustParseAddr(fl[0])) || spec.Dst.Contains(netip.MustParseAddr(fl[1]))
		if (d.Action == policy.Deny) != blocked {
			t.Errorf("parsed kernel state: %s -> %s decided %v", fl[0], fl[1], d.Action)
		}
	}
	again, err := k.Render(after, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Commands) > 0 {
		t.Fatalf("not idempotent against the kernel state:\n%s\nfirst:\n%s", strings.Join(again.Commands, "\n"), cmds)
	}
}

func (k Kernel) probe(t *testing.T, src, dst string) netns.Result {
	t.Helper()
	r, err := netns.ProbeTCP(k.Pair.A, netip.AddrPortFrom(netip.MustParseAddr(src), 0), netip.AddrPortFrom(netip.MustParseAddr(dst), 8080), 400*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
