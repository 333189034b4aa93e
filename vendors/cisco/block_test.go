package cisco

import (
	"fmt"
	"github.com/fwpol/fwpol/internal/devsim"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/blocktest"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// appendCLI applies commands by appending them to the configuration, for
// fwpol's parser to apply: mode lines, "no" entries, resequencing.
func appendCLI(text string, cmds []string) string {
	if len(cmds) == 0 {
		return text
	}
	return strings.TrimRight(text, "\n") + "\n" + strings.Join(cmds, "\n") + "\n"
}

func TestRenderBlockRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v    vendors.Vendor
		file string
	}{{IOS, "ios-router.cfg"}, {NXOS, "nxos-leaf.cfg"}, {EOS, "eos-switch.cfg"}} {
		t.Run(tc.v.Name, func(t *testing.T) {
			data, err := os.ReadFile("../../testdata/cisco/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			for _, apply := range []struct {
				name string
				fn   func(string, []string) string
			}{{"stored", devsim.StoreCLI}, {"parsed", appendCLI}} {
				t.Run(apply.name, func(t *testing.T) { blockSteps(t, tc.v, tc.file, string(data), apply.fn) })
			}
		})
	}
}

// blockSteps grows, shrinks and removes a block through the round trip,
// then checks that nothing of it is left.
func blockSteps(t *testing.T, v vendors.Vendor, file, data string, apply func(string, []string) string) {
	c := blocktest.Case{Vendor: v, File: file, Text: data, Apply: apply}
	text := c.Step(t, c.Text, []string{"203.0.113.0/24", "100.64.0.1", "2001:db8:bad::/48"}, []string{"198.18.0.0/15"})
	text = c.Step(t, text, []string{"203.0.112.0/23", "2001:db8:bad::/48", "2001:db8:bad1::/48"}, nil)
	text = c.Step(t, text, []string{"203.0.112.0/24"}, []string{"2001:db8:dead::/48"})
	text = c.Step(t, text, nil, nil)
	cfg, err := v.Parse("x", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := v.Parse("x", []byte(data))
	for _, f := range cfg.Filters {
		if o := orig.Filter(f.Name); o == nil || len(o.Rules) != len(f.Rules) {
			t.Errorf("%s: block entries left after unblocking everything:\n%s", f.Name, text)
		}
	}
	for _, o := range cfg.Objects {
		if strings.HasPrefix(o.Name, "FWPOL-BLOCK") {
			t.Errorf("group %s left after unblocking everything", o.Name)
		}
	}
}

// noRoom has ACLs of every kind whose first entry leaves no (or too
// little) room below it.
var noRoom = map[string]string{
	"ios": `hostname r1
ip access-list extended EDGE
 1 permit tcp any any eq 22
 2 deny ip 192.0.2.0 0.0.0.255 any
 3 permit ip any any
ip access-list standard MGMT
 2 permit 10.0.0.0 0.255.255.255
 3 remark keep out the rest
 3 deny any
ipv6 access-list V6
 sequence 1 permit tcp any any eq 22
 sequence 2 permit ipv6 any any
interface Gi0/0
 ip access-group EDGE in
 ipv6 traffic-filter V6 in
line vty 0 4
 access-class MGMT in
`,
	"eos": `hostname sw1
ip access-list EDGE
   counters per-entry
   1 permit tcp any any eq ssh
   2 permit ip any any
ip access-list standard STD
   3 permit 10.0.0.0/8
ipv6 access-list V6
   1 permit ipv6 any any
interface Ethernet1
   ip access-group EDGE in
   ipv6 access-group V6 in
interface Ethernet2
   ip access-group STD in
`,
	"nxos": `hostname n1
ip access-list EDGE
  1 permit tcp any any eq 22
  2 permit ip any any
ipv6 access-list V6
  1 permit ipv6 any any
interface Ethernet1/1
  ip access-group EDGE in
  ipv6 traffic-filter V6 in
`,
}

// feed returns n scattered IPv4 /32s and /30s (no two adjacent) from base.
func feed(base, n int) []string {
	out := make([]string, n)
	for i := range out {
		k := base + i
		if i%4 == 0 {
			out[i] = fmt.Sprintf("100.%d.%d.%d/30", 64+k/16384, k/64%256, k%64*4)
		} else {
			out[i] = fmt.Sprintf("100.%d.%d.%d", 64+k/16384, k/64%256, k%64*4)
		}
	}
	return out
}

// TestRenderBlockResequence blocks more ranges than fit below the first
// entry: the ACL is resequenced first and the round trip (stored by the
// device's rules, and applied by fwpol's parser) holds through growing,
// shrinking and removing the block.
func TestRenderBlockResequence(t *testing.T) {
	for _, v := range []vendors.Vendor{IOS, EOS, NXOS} {
		for _, apply := range []struct {
			name string
			fn   func(string, []string) string
		}{{"stored", devsim.StoreCLI}, {"parsed", appendCLI}} {
			t.Run(v.Name+"/"+apply.name, func(t *testing.T) {
				c := blocktest.Case{Vendor: v, File: "r.cfg", Text: noRoom[v.Name], Apply: apply.fn}
				big := append(feed(0, 150), "2001:db8:bad::/48", "2001:db8:bad:1::1")
				cfg, _ := v.Parse("r.cfg", []byte(c.Text))
				ch, err := RenderBlock(cfg, vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet(big...), Dst: policy.MustParseSet("198.18.0.0/15"), Filters: []string{"EDGE", "V6"}})
				if err != nil {
					t.Fatal(err)
				}
				joined := strings.Join(ch.Commands, "\n")
				wantReseq := map[string]string{"ios": "ipv6 access-list resequence V6 10000 10", "eos": " resequence 10000 10", "nxos": "resequence ip access-list EDGE 10000 10"}[v.Name]
				if !strings.Contains(joined, wantReseq) {
					t.Fatalf("no %q in:\n%s", wantReseq, joined)
				}
				text := c.Step(t, c.Text, big, []string{"198.18.0.0/15", "2001:db8:dead::/48"})
				// grow: the marker stays first, new entries fill the room left
				text = c.Step(t, text, append(big, feed(1000, 40)...), []string{"198.18.0.0/15"})
				// more than the room left: resequence again
				text = c.Step(t, text, append(feed(0, 20), feed(5000, 300)...), nil)
				text = c.Step(t, text, feed(7, 3), []string{"2001:db8:dead::/48"})
				text = c.Step(t, text, nil, nil)
				after, err := v.Parse("x", []byte(text))
				if err != nil {
					t.Fatal(err)
				}
				orig, _ := v.Parse("x", []byte(c.Text))
				for _, f := range after.Filters {
					if o := orig.Filter(f.Name); o == nil || len(o.Rules) != len(f.Rules) {
						t.Errorf("%s: block entries left after unblocking everything:\n%s", f.Name, text)
					}
					for _, r := range f.Rules {
						if strings.Contains(r.Extras.Comment, "FWPOL-BLOCK") {
							t.Errorf("%s: marker left on %s", f.Name, r.Name)
						}
					}
				}
			})
		}
	}
}

// TestResequenceStartFitsTheFeed: a feed larger than 9,998 ranges moves
// the ACL further up, so every new entry still fits below it.
func TestResequenceStartFitsTheFeed(t *testing.T) {
	for n, want := range map[int]int{1: 10000, 9998: 10000, 9999: 20000, 25000: 30000} {
		if got := resequenceStart(n); got != want {
			t.Errorf("resequenceStart(%d) = %d, want %d", n, got, want)
		}
	}
	cfg, err := EOS.Parse("r.cfg", []byte(noRoom["eos"]))
	if err != nil {
		t.Fatal(err)
	}
	src := feed(0, 12000)
	ch, err := RenderBlock(cfg, vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet(src...), Dst: policy.MustParseSet(), Filters: []string{"STD"}})
	if err != nil {
		t.Fatal(err)
	}
	after, err := EOS.Parse("r.cfg", []byte(appendCLI(noRoom["eos"], ch.Commands)))
	if err != nil {
		t.Fatal(err)
	}
	f := after.Filter("STD")
	if len(f.Rules) != 12001 || f.Rules[0].Name != "2" || f.Rules[11999].Name != "12001" || f.Rules[12000].Name != "20000" {
		t.Fatalf("want block entries 2..12001 before the resequenced entry 20000, got %d rules: %s %s %s", len(f.Rules), f.Rules[0].Name, f.Rules[len(f.Rules)-2].Name, f.Rules[len(f.Rules)-1].Name)
	}
	for _, a := range []string{"100.64.0.0", "100.64.187.124", "100.64.0.4"} {
		fl := &policy.Flow{Proto: policy.ProtoTCP, Src: netip.MustParseAddr(a), Dst: netip.MustParseAddr("10.1.1.1"), SrcPort: 1, DstPort: 2}
		if d := after.Decide(f, fl); d.Action != policy.Deny || d.Rule.Name == "20000" {
			t.Errorf("%s not blocked: %v", a, d.Action)
		}
	}
}
