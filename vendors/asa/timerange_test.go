package asa

import (
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

func TestTimeRanges(t *testing.T) {
	c := parseFile(t, "timerange.cfg")
	byName := map[string]*policy.Object{}
	for _, o := range c.Objects {
		if o.Kind == policy.KindTimeRange {
			byName[o.Name] = o
		}
	}
	want := map[string][3]string{ // start, end, periodic
		"PROJECT-2023": {"2023-03-01T08:00:00Z", "2023-12-31T18:00:00Z", ""},
		"OFFICE":       {"", "", "weekdays 08:00 to 18:00"},
		"MIGRATION":    {"", "2099-06-30T23:59:00Z", "weekend 00:00 to 23:59"},
		"UNUSED":       {"2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z", ""},
	}
	for name, w := range want {
		o := byName[name]
		if o == nil {
			t.Errorf("%s missing", name)
			continue
		}
		got := [3]string{o.Meta[policy.MetaStart], o.Meta[policy.MetaEnd], o.Meta[policy.MetaPeriodic]}
		if got != w {
			t.Errorf("%s: %q, want %q", name, got, w)
		}
	}
	if o := byName["PROJECT-2023"]; o == nil || o.Pos.Line != 9 || o.Pos.Col != 12 {
		t.Errorf("PROJECT-2023 pos: %+v", o)
	}
	f := c.Filter("OUTSIDE-IN")
	if f == nil || f.Rules[0].Extras.TimeRange != "PROJECT-2023" || f.Rules[2].Extras.TimeRange != "MIGRATION" || f.Rules[3].Extras.TimeRange != "" {
		t.Fatalf("rules: %+v", f)
	}
	// malformed: warned at the bad word, the range stays open
	c2 := parseString(t, "time-range T\n absolute start 08:00 1 January 2024 end 8h 2 January 2024\naccess-list A extended permit ip any any time-range T\n")
	var found bool
	for _, w := range c2.Warnings {
		if strings.Contains(w.Msg, "bad time") && w.Pos.Line == 2 && w.Pos.Col == 42 {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings: %+v", c2.Warnings)
	}
	if _, ok := policy.TimeRangeEnd(c2.Object("T")); ok {
		t.Errorf("malformed absolute gave an end")
	}
}
