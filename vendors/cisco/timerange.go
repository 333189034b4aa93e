package cisco

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fwpol/fwpol/policy"
)

// ParseAbsolute parses the words after "absolute" in an IOS or ASA
// time-range: [start HH:MM DD Month YYYY] [end HH:MM DD Month YYYY] (months
// in full or their first three letters, any case). A missing start or end
// is the zero time. On error, bad is the index of the offending word.
func ParseAbsolute(words []string) (start, end time.Time, bad int, err error) {
	i := 0
	seen := map[string]bool{}
	for i < len(words) {
		kw := strings.ToLower(words[i])
		if (kw != "start" && kw != "end") || seen[kw] {
			return start, end, i, fmt.Errorf("absolute: expected start or end, got %q", words[i])
		}
		seen[kw] = true
		if i+4 >= len(words) {
			return start, end, min(i+1, len(words)-1), fmt.Errorf("absolute %s: want HH:MM DD Month YYYY", kw)
		}
		t, k, err := parseCiscoDate(words[i+1 : i+5])
		if err != nil {
			return start, end, i + 1 + k, fmt.Errorf("absolute %s: %v", kw, err)
		}
		if kw == "start" {
			start = t
		} else {
			end = t
		}
		i += 5
	}
	if len(seen) == 0 {
		return start, end, 0, fmt.Errorf("absolute: missing start or end")
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return start, end, 0, fmt.Errorf("absolute: end is before start")
	}
	return start, end, 0, nil
}

var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// parseCiscoDate parses HH:MM DD Month YYYY; k is the bad word's index.
func parseCiscoDate(w []string) (t time.Time, k int, err error) {
	hh, mm, ok := strings.Cut(w[0], ":")
	h, e1 := strconv.Atoi(hh)
	m, e2 := strconv.Atoi(mm)
	if !ok || e1 != nil || e2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(mm) != 2 {
		return t, 0, fmt.Errorf("bad time %q (want HH:MM)", w[0])
	}
	day, err := strconv.Atoi(w[1])
	if err != nil || day < 1 || day > 31 {
		return t, 1, fmt.Errorf("bad day %q", w[1])
	}
	mon := 0
	lw := strings.ToLower(w[2])
	for i, n := range monthNames {
		if len(lw) >= 3 && strings.HasPrefix(n, lw) {
			mon = i + 1
		}
	}
	if mon == 0 {
		return t, 2, fmt.Errorf("bad month %q", w[2])
	}
	year, err := strconv.Atoi(w[3])
	if err != nil || year < 1970 || year > 9999 {
		return t, 3, fmt.Errorf("bad year %q", w[3])
	}
	t = time.Date(year, time.Month(mon), day, h, m, 0, 0, time.UTC)
	if t.Day() != day {
		return t, 1, fmt.Errorf("no day %d in %s %d", day, time.Month(mon), year)
	}
	return t, 0, nil
}

// TimeRangeObject returns a time-range object without dates yet.
func TimeRangeObject(name string, pos policy.Pos) *policy.Object {
	return &policy.Object{Kind: policy.KindTimeRange, Name: name, Pos: pos, Meta: map[string]string{}}
}

// SetAbsolute records an absolute clause in a time-range object (a later
// clause replaces an earlier one, as on the device).
func SetAbsolute(o *policy.Object, start, end time.Time) {
	delete(o.Meta, policy.MetaStart)
	delete(o.Meta, policy.MetaEnd)
	if !start.IsZero() {
		o.Meta[policy.MetaStart] = start.Format(time.RFC3339)
	}
	if !end.IsZero() {
		o.Meta[policy.MetaEnd] = end.Format(time.RFC3339)
	}
}

// AddPeriodic appends a periodic clause as written.
func AddPeriodic(o *policy.Object, clause string) {
	if p := o.Meta[policy.MetaPeriodic]; p != "" {
		clause = p + "; " + clause
	}
	o.Meta[policy.MetaPeriodic] = clause
}
