package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLintExpiredNow(t *testing.T) {
	isolateCache(t)
	out, errOut, code := fwpol(t, "lint", "--now", "2026-01-01", "-o", "json", "--fail-on", "warning", "../../testdata/asa/timerange.cfg")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a warning): %s", code, errOut)
	}
	var res struct {
		Findings []struct {
			Check, Object, Ended, Message string
			Line                          int
		}
		Summary struct {
			ByCheck map[string]int `json:"by_check"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var n int
	for _, f := range res.Findings {
		if f.Check == "expired" {
			n++
			if f.Ended != "2023-12-31T18:00:00Z" || f.Object != "PROJECT-2023" || f.Line != 22 || !strings.Contains(f.Message, "2023-12-31 18:00") {
				t.Errorf("%+v", f)
			}
		}
	}
	if n != 1 || res.Summary.ByCheck["expired"] != 1 {
		t.Errorf("expired findings %d, summary %+v", n, res.Summary)
	}
	// before the end: nothing expired, only notes
	_, _, code = fwpol(t, "lint", "--now", "2023-06-01T12:00:00Z", "--fail-on", "warning", "../../testdata/asa/timerange.cfg")
	if code != 0 {
		t.Errorf("exit %d before the end", code)
	}
	_, errOut, code = fwpol(t, "lint", "--now", "yesterday", "../../testdata/asa/timerange.cfg")
	if code != 2 || !strings.Contains(errOut, "--now") {
		t.Errorf("bad --now: exit %d %s", code, errOut)
	}
}
