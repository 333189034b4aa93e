package junos

import (
	"strings"
	"time"

	"github.com/fwpol/fwpol/policy"
)

// SRX schedulers: "schedulers scheduler NAME start-date D stop-date D" (one
// or more date ranges, D = YYYY-MM-DD.hh:mm[:ss]) and daily/weekday clauses.
// A policy naming one with "scheduler-name" is active only while it is; the
// policy is evaluated as always active, and the scheduler is kept as a
// policy.KindScheduler object whose end is the latest stop-date, so lint can
// report policies whose scheduler has expired.

type scheduler struct {
	obj         *policy.Object
	start, stop time.Time
}

func (b *builder) schedulers(st *stmt) error {
	w := st.w
	if st.inact > 0 || len(w) < 3 || w[1].s != "scheduler" {
		return nil
	}
	s := b.srx
	name := w[2].s
	sc := s.scheds[name]
	if sc == nil {
		sc = &scheduler{obj: &policy.Object{Kind: policy.KindScheduler, Name: name, Pos: b.pos(w[2]), Meta: map[string]string{}}}
		if s.scheds == nil {
			s.scheds = map[string]*scheduler{}
		}
		s.scheds[name] = sc
		s.schedOrder = append(s.schedOrder, sc)
	}
	rest := w[3:]
	if len(rest) == 0 || st.container {
		return nil
	}
	switch rest[0].s {
	case "start-date":
		if len(rest) < 4 || rest[2].s != "stop-date" {
			b.warnf(rest[0], "scheduler %s: start-date needs a stop-date; ignored", name)
			return nil
		}
		start, ok1 := parseJunosDate(rest[1].s)
		stop, ok2 := parseJunosDate(rest[3].s)
		switch {
		case !ok1:
			b.warnf(rest[1], "scheduler %s: bad start-date %q (want YYYY-MM-DD.hh:mm); ignored", name, rest[1].s)
		case !ok2:
			b.warnf(rest[3], "scheduler %s: bad stop-date %q (want YYYY-MM-DD.hh:mm); ignored", name, rest[3].s)
		default:
			if sc.start.IsZero() || start.Before(sc.start) {
				sc.start = start
				sc.obj.Meta[policy.MetaStart] = start.Format(time.RFC3339)
			}
			if stop.After(sc.stop) {
				sc.stop = stop
				sc.obj.Meta[policy.MetaEnd] = stop.Format(time.RFC3339)
			}
		}
	case "daily", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday":
		parts := make([]string, len(rest))
		for i, x := range rest {
			parts[i] = x.s
		}
		clause := strings.Join(parts, " ")
		if p := sc.obj.Meta[policy.MetaPeriodic]; p != "" {
			clause = p + "; " + clause
		}
		sc.obj.Meta[policy.MetaPeriodic] = clause
	}
	return nil
}

func parseJunosDate(v string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02.15:04", "2006-01-02.15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
