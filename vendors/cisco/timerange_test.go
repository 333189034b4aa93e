package cisco

import (
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

func TestParseAbsolute(t *testing.T) {
	cases := []struct {
		in         string
		start, end string
		bad        int
		err        string
	}{
		{in: "start 08:00 01 March 2023 end 18:00 31 December 2023", start: "2023-03-01T08:00:00Z", end: "2023-12-31T18:00:00Z"},
		{in: "end 23:59 30 jun 2099", end: "2099-06-30T23:59:00Z"},
		{in: "start 0:05 1 JAN 2020", start: "2020-01-01T00:05:00Z"},
		{in: "", err: "missing start or end"},
		{in: "start 08:00 01 March", bad: 1, err: "want HH:MM DD Month YYYY"},
		{in: "start 25:00 01 March 2023", bad: 1, err: "bad time"},
		{in: "start 08:00 31 February 2023", bad: 2, err: "no day 31"},
		{in: "end 08:00 01 Ma 2023", bad: 3, err: "bad month"},
		{in: "end 08:00 01 March 23x", bad: 4, err: "bad year"},
		{in: "start 08:00 01 March 2023 start 08:00 01 March 2023", bad: 5, err: "expected start or end"},
		{in: "start 08:00 02 March 2023 end 08:00 01 March 2023", err: "end is before start"},
	}
	for _, c := range cases {
		s, e, bad, err := ParseAbsolute(strings.Fields(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || bad != c.bad {
				t.Errorf("%q: err %v bad %d, want %q at %d", c.in, err, bad, c.err, c.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		got := func(x interface{ IsZero() bool }, s string) string {
			if x.IsZero() {
				return ""
			}
			return s
		}
		if gs, ge := got(s, s.Format("2006-01-02T15:04:05Z07:00")), got(e, e.Format("2006-01-02T15:04:05Z07:00")); gs != c.start || ge != c.end {
			t.Errorf("%q: start %q end %q, want %q %q", c.in, gs, ge, c.start, c.end)
		}
	}
}

func TestIOSTimeRange(t *testing.T) {
	c := load(t, "ios-timerange.cfg", IOS.Parse)
	var tr, bw *policy.Object
	for _, o := range c.Objects {
		switch o.Name {
		case "VENDOR-ACCESS":
			tr = o
		case "BACKUP-WINDOW":
			bw = o
		}
	}
	if tr == nil || tr.Kind != policy.KindTimeRange || tr.Pos.Line != 3 ||
		tr.Meta[policy.MetaStart] != "2024-01-15T09:00:00Z" || tr.Meta[policy.MetaEnd] != "2024-02-15T17:00:00Z" {
		t.Fatalf("VENDOR-ACCESS: %+v", tr)
	}
	if end, ok := policy.TimeRangeEnd(tr); !ok || end.Year() != 2024 {
		t.Errorf("TimeRangeEnd: %v %v", end, ok)
	}
	if bw == nil || bw.Meta[policy.MetaPeriodic] != "daily 01:00 to 03:00" || bw.Meta[policy.MetaEnd] != "" {
		t.Fatalf("BACKUP-WINDOW: %+v", bw)
	}
	if _, ok := policy.TimeRangeEnd(bw); ok {
		t.Errorf("periodic-only range has an end")
	}
	f := c.Filter("EDGE-IN")
	if f == nil || f.Rules[0].Extras.TimeRange != "VENDOR-ACCESS" || f.Rules[1].Extras.TimeRange != "BACKUP-WINDOW" {
		t.Fatalf("rules: %+v", f)
	}
	// a malformed date is a warning naming line and column; the range stays open
	c2 := mustParse(t, dIOS, "time-range X\n absolute end 10:00 31 Foo 2024\nip access-list extended A\n permit ip any any time-range X\n")
	var w *policy.Warning
	for i := range c2.Warnings {
		if strings.Contains(c2.Warnings[i].Msg, "bad month") {
			w = &c2.Warnings[i]
		}
	}
	if w == nil || w.Pos.Line != 2 || w.Pos.Col != 24 {
		t.Fatalf("warnings: %+v", c2.Warnings)
	}
	if _, ok := policy.TimeRangeEnd(c2.Object("X")); ok {
		t.Errorf("malformed absolute gave an end")
	}
}
