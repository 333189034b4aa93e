package policy

import "time"

// Time-based rules: ASA and IOS "time-range" objects and Junos SRX
// schedulers are kept as Objects of kind KindTimeRange or KindScheduler
// with their dates in Object.Meta; a rule names the one it uses in
// Extras.TimeRange. Rules are evaluated as always active; fwpol lint reports
// rules whose range has ended ("expired").
const (
	KindTimeRange = "time-range"
	KindScheduler = "scheduler"

	// MetaStart and MetaEnd are RFC 3339 times. Devices write local time
	// without a zone; it is kept as written, labelled UTC.
	MetaStart = "start"
	MetaEnd   = "end"
	// MetaPeriodic holds the recurring clauses as written, "; "-separated
	// (they never end, so they do not affect expiry).
	MetaPeriodic = "periodic"
)

// TimeRangeEnd returns when a time-range or scheduler stops being active:
// ok is false when it never ends (no end date) or the object is no range.
func TimeRangeEnd(o *Object) (end time.Time, ok bool) {
	if o == nil || (o.Kind != KindTimeRange && o.Kind != KindScheduler) {
		return time.Time{}, false
	}
	v, has := o.Meta[MetaEnd]
	if !has {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
