package analysis

import (
	"testing"
	"time"

	"github.com/fwpol/fwpol/policy"
)

func TestExpiredFixtures(t *testing.T) {
	cases := []struct {
		dir    string
		device string
		want   map[string]string // rule -> ended, at 2026-01-01
	}{
		{"../testdata/asa", "fw-tr", map[string]string{"1": "2023-12-31T18:00:00Z"}},
		{"../testdata/cisco", "rtr-tr", map[string]string{"10": "2024-02-15T17:00:00Z"}},
		{"../testdata/junos", "srx-sched", map[string]string{"auditor-web": "2024-03-31T18:00:00Z"}},
	}
	for _, c := range cases {
		cfgs := loadSource(t, c.dir, SourceOptions{})
		run := func(now time.Time) map[string]string {
			got := map[string]string{}
			for _, f := range Lint(cfgs, LintOptions{Now: now}) {
				if f.Check == "expired" && f.Device == c.device {
					if f.Severity != SevWarning || f.Object == "" || f.Line == 0 {
						t.Errorf("%s: %+v", c.dir, f)
					}
					got[f.Rule] = f.Ended
				}
				if f.Check == "unused-object" && f.Device == c.device && f.Object != "UNUSED" {
					t.Errorf("%s: used range reported unused: %+v", c.dir, f)
				}
			}
			return got
		}
		got := run(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if len(got) != len(c.want) {
			t.Errorf("%s: expired %v, want %v", c.dir, got, c.want)
		}
		for r, e := range c.want {
			if got[r] != e {
				t.Errorf("%s: rule %s ended %q, want %q", c.dir, r, got[r], e)
			}
		}
		// before the end nothing has expired
		if got := run(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
			t.Errorf("%s: expired in 2023: %v", c.dir, got)
		}
	}
}

// One SRX policy compiled into several rules is reported once; inactive
// rules and rules without a range are not reported.
func TestExpiredDedup(t *testing.T) {
	o := &policy.Object{Kind: policy.KindScheduler, Name: "S", Meta: map[string]string{policy.MetaEnd: "2020-01-01T00:00:00Z"}}
	pos := policy.Pos{File: "x", Line: 5}
	mk := func(name string, tr string, inactive bool) *policy.Rule {
		return &policy.Rule{Name: name, Pos: pos, Action: policy.Permit, Inactive: inactive, Match: policy.Match{Src: policy.AnyAddr(), Dst: policy.AnyAddr()}, Extras: policy.Extras{TimeRange: tr}}
	}
	f := &policy.Filter{Name: "a>b", Entry: true, Default: policy.Deny, Rules: []*policy.Rule{mk("p", "S", false), mk("p", "S", false), mk("q", "S", true), mk("r", "", false)}}
	c := &policy.Config{File: "x", Objects: []*policy.Object{o}}
	c.AddFilter(f)
	n := 0
	for _, fd := range Lint([]*policy.Config{c}, LintOptions{Now: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}) {
		if fd.Check == "expired" {
			n++
			if fd.Rule != "p" || fd.Ended != "2020-01-01T00:00:00Z" {
				t.Errorf("%+v", fd)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d expired findings, want 1", n)
	}
}
