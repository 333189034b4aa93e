package blocklist

import (
	"fmt"
	"math/rand"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go4.org/netipx"

	"github.com/fwpol/fwpol/parser"
)

const helperEnv = "FWPOL_BLOCKLIST_HELPER"

// TestMain doubles as the writer process of the multi-process tests:
// FWPOL_BLOCKLIST_HELPER=PATH:N:TAG adds N entries to PATH, one Update each.
func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		parts := strings.Split(h, "|")
		n, _ := strconv.Atoi(parts[1])
		for i := 0; i < n; i++ {
			r := fmt.Sprintf("198.18.%s.%d", parts[2], i)
			_, err := Update(parts[0], func(l *List) ([]Event, error) {
				res, evs, err := Add(l, Request{Ranges: []string{r}, Reason: "load", Ticket: "T", User: "proc" + parts[2]}, NewSafety(nil, DefaultLimits), time.Now())
				if err == nil && len(res.Added) != 1 {
					err = fmt.Errorf("not added: %+v", res)
				}
				return evs, err
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	const procs, each = 12, 8
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d|%d", helperEnv, path, each, p))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != procs*each {
		t.Fatalf("%d entries, want %d", len(l.Entries), procs*each)
	}
	ids, ranges := map[string]bool{}, map[string]bool{}
	for _, e := range l.Entries {
		ids[e.ID], ranges[e.Ranges[0]] = true, true
	}
	if len(ids) != procs*each || len(ranges) != procs*each {
		t.Fatalf("duplicate IDs or lost ranges: %d ids, %d ranges", len(ids), len(ranges))
	}
	evs, err := ReadAudit(AuditPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != procs*each {
		t.Fatalf("%d audit events, want %d", len(evs), procs*each)
	}
}

func TestKilledWriterLeavesValidFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFile)
	if _, err := Update(path, func(l *List) ([]Event, error) {
		_, evs, err := Add(l, Request{Ranges: []string{"203.0.113.0/24"}, Reason: "r", Ticket: "t"}, NewSafety(nil, DefaultLimits), time.Now())
		return evs, err
	}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	ready := filepath.Join(dir, "paused")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path+"|1|7", "FWPOL_BLOCKLIST_TEST_PAUSE_MID_WRITE="+ready)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("writer never reached the middle of its write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Fatalf("file changed by a killed writer:\n%s", after)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	// the lock died with the writer: the next change goes through
	done := make(chan error, 1)
	go func() {
		_, err := Update(path, func(l *List) ([]Event, error) { return Expire(l, "u", time.Now()), nil })
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lock still held after the writer was killed")
	}
}

func TestBrokenFileIsAPositionedErrorAndNeverReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	bad := "version: 1\nentries:\n  - id: B1\n    ranges: [203.0.113.0/24, 10.0.0.1/8]\n"
	os.WriteFile(path, []byte(bad), 0o644)
	_, err := Update(path, func(l *List) ([]Event, error) { return Expire(l, "u", time.Now()), nil })
	pe, ok := parser.AsError(err)
	if !ok || pe.Pos.Line != 4 || pe.Pos.Col != 30 || !strings.Contains(err.Error(), "host bits") {
		t.Fatalf("want a positioned error at 4:30, got %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != bad {
		t.Fatal("broken file was replaced")
	}
	for _, tc := range []struct{ text, want string }{
		{"entries:\n  - id: B1\n    rangez: [1.2.3.4]\n", ":3:5: unknown key"},
		{"entries:\n  - id: B1\n    ranges: [1.2.3.4]\n    expires: tomorrow\n", ":4:14: expires: bad time"},
		{"entries:\n  - id: B1\n    ranges: [1.2.3.4]\n  - id: B1\n    ranges: [1.2.3.5]\n", ":4:9: duplicate entry id"},
		{"entries: [\n", ":"},
	} {
		_, err := Parse("f.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestExpiryBoundary(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := &List{NextID: 1}
	req := Request{Ranges: []string{"203.0.113.0/24"}, Reason: "r", Ticket: "t", Expires: at}
	if _, _, err := Add(l, req, NewSafety(nil, DefaultLimits), at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("203.0.113.9")
	if src, _ := Aggregate(l.Entries, "s", "d", "r", at.Add(-time.Nanosecond)); !src.Contains(ip) {
		t.Fatal("not active just before expiry")
	}
	if src, _ := Aggregate(l.Entries, "s", "d", "r", at); src.Contains(ip) {
		t.Fatal("still active at the expiry instant")
	}
	if len(Check(l, ip, at.Add(-time.Nanosecond))) != 1 || len(Check(l, ip, at)) != 0 {
		t.Fatal("check disagrees with the expiry boundary")
	}
	if evs := Expire(l, "u", at.Add(-time.Nanosecond)); len(evs) != 0 {
		t.Fatal("expired early")
	}
	if evs := Expire(l, "u", at); len(evs) != 1 || len(l.Entries) != 0 {
		t.Fatal("not expired at the boundary")
	}
}

// TestAggregateEqualsUnion compares Aggregate with a naive model: an
// address is blocked as source (destination) exactly when some active
// entry in scope with that direction contains it; and the set holds no
// address outside the entries.
func TestAggregateEqualsUnion(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for iter := 0; iter < 200; iter++ {
		var entries []*Entry
		for i := 0; i < 1+rng.Intn(30); i++ {
			e := &Entry{ID: "B" + strconv.Itoa(i), Direction: []Direction{Both, Src, Dst}[rng.Intn(3)]}
			if rng.Intn(4) == 0 {
				e.Expires = now.Add(time.Duration(rng.Intn(3)-1) * time.Hour)
			}
			if rng.Intn(3) == 0 {
				e.Scope.Sites = []string{[]string{"dc1", "dc2"}[rng.Intn(2)]}
			}
			for k := 0; k < 1+rng.Intn(3); k++ {
				var r netipx.IPRange
				base := uint32(0xC6120000) + uint32(rng.Intn(4096)) // 198.18.0.0 + small offsets: lots of overlap/adjacency
				switch rng.Intn(3) {
				case 0:
					bits := 20 + rng.Intn(13)
					p, _ := netip.AddrFrom4(be(base)).Prefix(bits)
					r = netipx.RangeOfPrefix(p)
				case 1:
					r = netipx.IPRangeFrom(netip.AddrFrom4(be(base)), netip.AddrFrom4(be(base+uint32(rng.Intn(300)))))
				default:
					r = netipx.IPRangeFrom(netip.AddrFrom4(be(base)), netip.AddrFrom4(be(base)))
				}
				s := FormatRange(r)
				pr, err := ParseRange(s)
				if err != nil || pr != r {
					t.Fatalf("range %v does not round-trip through %q", r, s)
				}
				e.Ranges, e.rr = append(e.Ranges, s), append(e.rr, r)
			}
			entries = append(entries, e)
		}
		src, dst := Aggregate(entries, "dc1", "dev", "edge", now)
		for probe := 0; probe < 400; probe++ {
			a := netip.AddrFrom4(be(0xC6120000 - 16 + uint32(rng.Intn(4096+600))))
			var ws, wd bool
			for _, e := range entries {
				if e.Active(now) && e.Scope.Matches("dc1", "dev", "edge") && e.Contains(a) {
					ws = ws || e.BlocksSrc()
					wd = wd || e.BlocksDst()
				}
			}
			if src.Contains(a) != ws || dst.Contains(a) != wd {
				t.Fatalf("iter %d: %s: src %v (want %v), dst %v (want %v)", iter, a, src.Contains(a), ws, dst.Contains(a), wd)
			}
		}
		// ranges are disjoint and non-adjacent (merged)
		rs := src.Ranges()
		for i := 1; i < len(rs); i++ {
			if !rs[i-1].To().Next().Less(rs[i].From()) {
				t.Fatalf("ranges %v and %v not merged", rs[i-1], rs[i])
			}
		}
	}
}

func be(v uint32) [4]byte { return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

func TestAddRemoveMergeAndSafety(t *testing.T) {
	now := time.Now()
	l := &List{NextID: 1}
	s := NewSafety(nil, DefaultLimits)
	res, _, _ := Add(l, Request{Ranges: []string{"203.0.113.0/24", "198.51.100.1-198.51.100.9"}, Reason: "r", Ticket: "t"}, s, now)
	if len(res.Added) != 1 || len(l.Entries) != 1 {
		t.Fatalf("%+v", res)
	}
	res, _, _ = Add(l, Request{Ranges: []string{"203.0.113.64/26"}, Reason: "r", Ticket: "t"}, s, now)
	if len(res.Merged) != 1 || len(res.Added) != 0 {
		t.Fatalf("covered range not merged: %+v", res)
	}
	res, _, _ = Add(l, Request{Ranges: []string{"10.0.0.0/8"}, Reason: "r", Ticket: "t"}, s, now)
	if len(res.Refused) != 1 || !res.Refused[0].Forcible {
		t.Fatalf("wide range not refused: %+v", res)
	}
	if _, err := Remove(l, []string{"203.0.113.9"}, "u", now); err == nil || !strings.Contains(err.Error(), "B1") {
		t.Fatalf("partial remove: %v", err)
	}
	if _, err := Remove(l, []string{"198.51.100.1-198.51.100.9"}, "u", now); err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 1 || len(l.Entries[0].Ranges) != 1 {
		t.Fatalf("%+v", l.Entries)
	}
	if _, err := Remove(l, []string{"b1"}, "u", now); err != nil || len(l.Entries) != 0 {
		t.Fatalf("remove by ID: %v", err)
	}
	// the file round-trips
	l2 := &List{NextID: 5}
	Add(l2, Request{Ranges: []string{"2001:db8::/48", "192.0.2.1"}, Reason: "quote \" and: colon", Ticket: "t", Scope: Scope{Sites: []string{"dc1"}, Roles: []string{"edge"}}, Direction: Dst, Expires: now.Add(time.Hour).Truncate(time.Second)}, s, now)
	back, err := Parse("x", l2.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Marshal()) != string(l2.Marshal()) {
		t.Fatalf("round trip:\n%s\n%s", l2.Marshal(), back.Marshal())
	}
}

func TestParseFeed(t *testing.T) {
	items, err := ParseFeed([]byte("# feed\n203.0.113.5 ; c2\n\n198.51.100.0/24 # botnet\nnot-an-ip\n10.0.0.1-10.0.0.9\n"), "")
	if err != nil || len(items) != 4 || items[2].Err == "" || items[2].Line != 5 || items[3].Range.To() != netip.MustParseAddr("10.0.0.9") {
		t.Fatalf("%v %+v", err, items)
	}
	items, err = ParseFeed([]byte("first_seen,ip_address,malware\n2026-01-01,203.0.113.7,x\n2026-01-01,\"198.51.100.0/25\",y\n"), "")
	if err != nil || len(items) != 2 || items[1].Err != "" {
		t.Fatalf("%v %+v", err, items)
	}
}
