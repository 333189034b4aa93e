package analysis

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

// renamed copies c with every rule renamed and moved (names that were equal
// stay equal), so its components have the same content under other names.
func renamed(c *policy.Config) *policy.Config {
	nc := policy.Config{File: "other-" + c.File, Device: c.Device, Vendor: c.Vendor}
	for _, f := range c.Filters {
		g := f.Clone()
		g.Rules = make([]*policy.Rule, len(f.Rules))
		for i, r := range f.Rules {
			if r == nil {
				continue
			}
			x := *r
			x.Name = "v-" + r.Name
			x.Pos.Line += 7
			x.Pos.File = "other-" + r.Pos.File
			g.Rules[i] = &x
		}
		nc.AddFilter(g)
	}
	nc.Objects, nc.Bindings, nc.Undefined = c.Objects, c.Bindings, c.Undefined
	return &nc
}

// Findings answered from the memo must equal a fresh whole-filter lint.
func TestLintMemoMatchesLintFilter(t *testing.T) {
	var cfgs []*policy.Config
	for seed := int64(1); seed <= 30; seed++ {
		for _, v := range []string{"sparse", "p64", "p16", "v6"} {
			cfgs = append(cfgs, policy.GenerateACL(int(5+seed*3%60), seed, v))
		}
	}
	for _, dir := range []string{"../testdata", filepath.Join(pybatfish, "current")} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		cfgs = append(cfgs, loadSource(t, dir, SourceOptions{})...)
	}
	l := &configLinter{}
	checked := 0
	for _, c := range cfgs {
		for _, cc := range []*policy.Config{c, renamed(c)} {
			for _, f := range cc.Filters {
				if len(f.Rules) > smallFilterRules || !hasDecidingRule(f) {
					continue
				}
				got, want := l.lintSmall(cc, f), policy.LintFilter(cc, f)
				if gk, wk := strings.Join(keys(got), "\n"), strings.Join(keys(want), "\n"); gk != wk {
					t.Errorf("%s %s:\n got %s\nwant %s", cc.File, f.Name, gk, wk)
				}
				if gm, wm := strings.Join(messages(got), "\n"), strings.Join(messages(want), "\n"); gm != wm {
					t.Errorf("%s %s messages:\n got %s\nwant %s", cc.File, f.Name, gm, wm)
				}
				checked++
			}
		}
	}
	t.Logf("%d filters, %d memo hits", checked, l.memoHits)
	if checked < 300 || l.memoHits < 100 {
		t.Fatalf("%d filters checked, %d memo hits", checked, l.memoHits)
	}
}

// The memo key encodes every Rule field evaluation reads (policy's
// TestMatchKeyCoversMatch guards the Match part).
func TestMemoKeyCoversRule(t *testing.T) {
	if n := reflect.TypeOf(policy.Rule{}).NumField(); n != 7 {
		t.Errorf("policy.Rule has %d fields: encode the new ones in keyEnc.rule and update this count", n)
	}
}
