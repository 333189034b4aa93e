package junos

import (
	"testing"

	"github.com/fwpol/fwpol/policy"
)

func TestSchedulers(t *testing.T) {
	set := `set system host-name srx-sched
set schedulers scheduler AUDIT-2024 start-date 2024-03-01.08:00 stop-date 2024-03-31.18:00
set schedulers scheduler AUDIT-2024 start-date 2024-01-01.08:00 stop-date 2024-01-31.18:00
set schedulers scheduler WORKHOURS daily start-time 08:00:00 stop-time 18:00:00
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust address-book address web1 192.0.2.30/32
set security zones security-zone trust address-book address db1 192.0.2.31/32
set security zones security-zone trust interfaces ge-0/0/1.0
set security policies from-zone untrust to-zone trust policy auditor-web match source-address any
set security policies from-zone untrust to-zone trust policy auditor-web match destination-address web1
set security policies from-zone untrust to-zone trust policy auditor-web match application junos-http
set security policies from-zone untrust to-zone trust policy auditor-web match application junos-https
set security policies from-zone untrust to-zone trust policy auditor-web then permit
set security policies from-zone untrust to-zone trust policy auditor-web scheduler-name AUDIT-2024
set security policies from-zone untrust to-zone trust policy office-db match source-address any
set security policies from-zone untrust to-zone trust policy office-db match destination-address db1
set security policies from-zone untrust to-zone trust policy office-db match application junos-ssh
set security policies from-zone untrust to-zone trust policy office-db then permit
set security policies from-zone untrust to-zone trust policy office-db scheduler-name WORKHOURS
set security policies from-zone untrust to-zone trust policy ghost match source-address any
set security policies from-zone untrust to-zone trust policy ghost match destination-address any
set security policies from-zone untrust to-zone trust policy ghost match application any
set security policies from-zone untrust to-zone trust policy ghost then permit
set security policies from-zone untrust to-zone trust policy ghost scheduler-name NOPE
`
	for name, c := range map[string]*policy.Config{"hierarchical": load(t, "scheduler.conf"), "set": mustParseString(t, set)} {
		objs := map[string]*policy.Object{}
		for _, o := range c.Objects {
			if o.Kind == policy.KindScheduler {
				objs[o.Name] = o
			}
		}
		a, w := objs["AUDIT-2024"], objs["WORKHOURS"]
		if a == nil || a.Meta[policy.MetaEnd] != "2024-03-31T18:00:00Z" {
			t.Fatalf("%s: AUDIT-2024 %+v", name, a)
		}
		if w == nil || w.Meta[policy.MetaPeriodic] != "daily start-time 08:00:00 stop-time 18:00:00" {
			t.Fatalf("%s: WORKHOURS %+v", name, w)
		}
		if _, ok := policy.TimeRangeEnd(w); ok {
			t.Errorf("%s: daily scheduler has an end", name)
		}
		f := c.Filter("untrust>trust")
		if f == nil {
			t.Fatalf("%s: no zone pair", name)
		}
		got := map[string]string{}
		for _, r := range f.Rules {
			got[r.Name] = r.Extras.TimeRange
		}
		if got["auditor-web"] != "AUDIT-2024" || got["office-db"] != "WORKHOURS" {
			t.Errorf("%s: rules %v", name, got)
		}
		if name == "set" {
			if a.Meta[policy.MetaStart] != "2024-01-01T08:00:00Z" {
				t.Errorf("earliest start: %+v", a.Meta)
			}
			if len(c.Undefined) != 1 || c.Undefined[0].Kind != "scheduler" || c.Undefined[0].Name != "NOPE" || c.Undefined[0].Pos.Line != 24 {
				t.Errorf("undefined: %+v", c.Undefined)
			}
		}
	}
}

func mustParseString(t *testing.T, src string) *policy.Config {
	t.Helper()
	c, err := Parse("t.set", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
