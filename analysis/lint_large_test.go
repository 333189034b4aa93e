package analysis

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

// largeVariants derives filters that exercise lintLarge's paths from a
// generated ACL: as generated ("ip" rules block the catch-all shortcut),
// with only tcp/udp rules (the catch-all stands in for the default), with a
// permitting catch-all, and with many rules sharing one destination so that
// redundant findings list more than the related-rule cap.
func largeVariants(c *policy.Config) []*policy.Config {
	f := c.Filters[0]
	out := []*policy.Config{c}
	mk := func(rules []*policy.Rule, def policy.Action) *policy.Config {
		g := f.Clone()
		g.Rules, g.Default = rules, def
		nc := &policy.Config{File: c.File, Device: c.Device, Vendor: c.Vendor}
		nc.AddFilter(g)
		return nc
	}
	var portOnly []*policy.Rule
	for _, r := range f.Rules[:len(f.Rules)-1] {
		if r.Match.Protocols != nil {
			portOnly = append(portOnly, r)
		}
	}
	last := f.Rules[len(f.Rules)-1]
	out = append(out, mk(append(append([]*policy.Rule(nil), portOnly...), last), policy.Deny))
	permitAll := *last
	permitAll.Action = policy.Permit
	out = append(out, mk(append(append([]*policy.Rule(nil), portOnly...), &permitAll), policy.Deny))
	// a deny over ports 1000-2000 followed by 20 denies slicing it: it is
	// redundant with 20 later deciders and the catch-all (over the cap)
	var many []*policy.Rule
	wide := *portOnly[0]
	wide.Name, wide.Action = "wide", policy.Deny
	wide.Match.DstPorts = &policy.Ranges{{Lo: 1000, Hi: 2000}}
	many = append(many, &wide)
	for k := 0; k < 20; k++ {
		r := wide
		r.Name = "slice" + strconv.Itoa(k)
		r.Match.DstPorts = &policy.Ranges{{Lo: uint16(1000 + 50*k), Hi: uint16(1049 + 50*k)}}
		many = append(many, &r)
	}
	out = append(out, mk(append(append(many, portOnly...), last), policy.Deny))
	return out
}

// The large-filter split must find exactly what the whole-filter lint finds.
func TestLintLargeMatchesLintFilter(t *testing.T) {
	var cfgs []*policy.Config
	for seed := int64(1); seed <= 6; seed++ {
		for _, v := range []string{"sparse", "p64", "p16", "v6"} {
			cfgs = append(cfgs, largeVariants(policy.GenerateACL(300+int(seed)*37, seed, v))...)
		}
	}
	for _, dir := range []string{"../testdata", filepath.Join(pybatfish, "current")} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		cfgs = append(cfgs, loadSource(t, dir, SourceOptions{})...)
	}
	checked, split, tails := 0, 0, 0
	for _, c := range cfgs {
		for _, f := range c.Filters {
			l := &configLinter{}
			fs, ok := l.lintLarge(c, f)
			if !ok {
				continue
			}
			split++
			if _, _, tail := l.catchAllTail(f); tail {
				tails++
			}
			got, want := keys(fs), keys(policy.LintFilter(c, f))
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s %s:\n got %q\nwant %q", c.File, f.Name, got, want)
			}
			// messages and positions too
			gm, wm := messages(fs), messages(policy.LintFilter(c, f))
			if strings.Join(gm, "\n") != strings.Join(wm, "\n") {
				t.Errorf("%s %s messages:\n got %q\nwant %q", c.File, f.Name, gm, wm)
			}
			checked++
		}
	}
	if split < 100 || tails < 40 {
		t.Fatalf("only %d filters split, %d with a catch-all tail", split, tails)
	}
}

func messages(fs []policy.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Pos.String()+" "+f.Rule+" "+f.Message)
	}
	sort.Strings(out)
	return out
}
