package cisco

import (
	"os"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/internal/blocktest"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// applyCLI runs configuration-mode lines against a running configuration
// the way the device stores the result: a mode line enters (or creates) its
// section, indented lines add entries to it, "no ..." removes one.
func applyCLI(text string, cmds []string) string {
	type section struct {
		head     string
		children []string
	}
	var secs []*section
	var tail []string // a final "end"
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if n := len(lines); n > 0 && strings.TrimSpace(lines[n-1]) == "end" {
		tail, lines = lines[n-1:], lines[:n-1]
	}
	for _, l := range lines {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(secs) > 0 {
			secs[len(secs)-1].children = append(secs[len(secs)-1].children, l)
			continue
		}
		secs = append(secs, &section{head: l})
	}
	find := func(head string) *section {
		for _, s := range secs {
			if strings.TrimSpace(s.head) == head {
				return s
			}
		}
		return nil
	}
	var cur *section
	for _, c := range cmds {
		if !strings.HasPrefix(c, " ") {
			if x, ok := strings.CutPrefix(c, "no "); ok {
				for i, s := range secs {
					if strings.TrimSpace(s.head) == x {
						secs = append(secs[:i], secs[i+1:]...)
						break
					}
				}
				cur = nil
				continue
			}
			if cur = find(c); cur == nil {
				cur = &section{head: c}
				secs = append(secs, cur)
			}
			continue
		}
		body := strings.TrimSpace(c)
		if x, ok := strings.CutPrefix(body, "no "); ok {
			for i, ch := range cur.children {
				f := strings.Fields(ch)
				t := strings.TrimSpace(ch)
				if t == x || (len(f) > 0 && f[0] == x) || (len(f) > 1 && f[0] == "sequence" && f[1] == x) {
					cur.children = append(cur.children[:i], cur.children[i+1:]...)
					break
				}
			}
			continue
		}
		cur.children = append(cur.children, c)
	}
	var b strings.Builder
	for _, s := range secs {
		b.WriteString(s.head + "\n")
		for _, ch := range s.children {
			b.WriteString(ch + "\n")
		}
	}
	for _, l := range tail {
		b.WriteString(l + "\n")
	}
	return b.String()
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
			c := blocktest.Case{Vendor: tc.v, File: tc.file, Text: string(data), Apply: applyCLI}
			text := c.Step(t, c.Text, []string{"203.0.113.0/24", "100.64.0.1", "2001:db8:bad::/48"}, []string{"198.18.0.0/15"})
			text = c.Step(t, text, []string{"203.0.112.0/23", "2001:db8:bad::/48", "2001:db8:bad1::/48"}, nil)
			text = c.Step(t, text, []string{"203.0.112.0/24"}, []string{"2001:db8:dead::/48"})
			text = c.Step(t, text, nil, nil)
			cfg, err := tc.v.Parse("x", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := tc.v.Parse("x", data)
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
		})
	}
}

func TestRenderBlockNoRoomIsAnError(t *testing.T) {
	text := "hostname r1\nip access-list extended EDGE\n 1 permit ip any any\ninterface Gi0/0\n ip access-group EDGE in\n"
	cfg, err := IOS.Parse("r1.cfg", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	_, err = RenderBlock(cfg, vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet("203.0.113.0/24"), Dst: policy.MustParseSet(), Filters: []string{"EDGE"}})
	if err == nil || !strings.Contains(err.Error(), "resequence") {
		t.Fatalf("want a resequence error, got %v", err)
	}
}
