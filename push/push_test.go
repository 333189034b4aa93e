package push_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/fwpol/fwpol/internal/devsim"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/push"
)

func TestPlanShowsCommandsAndNewlyDeniedTraffic(t *testing.T) {
	l := newLab(t, threeVendors)
	plans := l.plan()
	if len(plans) != 3 {
		t.Fatalf("want 3 plans, got %d", len(plans))
	}
	for _, p := range plans {
		if p.Error != "" || len(p.Commands) == 0 {
			t.Fatalf("%s: error %q, %d commands", p.DeviceChange.Device, p.Error, len(p.Commands))
		}
		denied := 0
		for _, fc := range p.Traffic {
			denied += fc.NewlyDenied
			if fc.NewlyPermitted != 0 {
				t.Errorf("%s %s: a block must not permit anything new", p.DeviceChange.Device, fc.Filter)
			}
			for _, r := range fc.Denied {
				ok := false
				for _, a := range append(r.Src, r.Dst...) {
					if strings.HasPrefix(a, "203.0.113.") || strings.HasPrefix(a, "100.64.0.1") {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s %s: denied region outside the blocklist: %+v", p.DeviceChange.Device, fc.Filter, r)
				}
			}
		}
		if denied == 0 {
			t.Errorf("%s: no newly denied traffic in %+v", p.DeviceChange.Device, p.Traffic)
		}
	}
}

func TestPushAppliesVerifiesAndLogs(t *testing.T) {
	l := newLab(t, threeVendors)
	s := l.push(l.opts())
	if !s.OK || s.Applied != 3 {
		t.Fatalf("push: %+v", s)
	}
	for name, d := range l.devs {
		r := result(t, s, name)
		if r.Status != push.StatusApplied || !r.Verified {
			t.Errorf("%s: %+v", name, r)
		}
		if n := l.pendingOn(name); n != 0 {
			t.Errorf("%s: %d commands still pending after push", name, n)
		}
		if d.Saved() != d.Running() {
			t.Errorf("%s: running config not saved", name)
		}
	}
	if d := l.devs["edge1"]; d.Pending() {
		t.Error("junos commit left unconfirmed")
	}
	// a second push finds everything in sync and touches nothing
	commits := l.devs["rtr1"].Commits()
	s = l.push(l.opts())
	if !s.OK || s.InSync != 3 || l.devs["rtr1"].Commits() != commits {
		t.Fatalf("second push: %+v", s)
	}
	// the log: start, one line per device, end, for both pushes
	f, err := os.Open(filepath.Join(l.dir, push.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad log line %q: %v", sc.Text(), err)
		}
		events = append(events, m["event"].(string))
		if m["event"] == "start" && m["user"] != "tester" {
			t.Errorf("log start without user: %v", m)
		}
	}
	if strings.Join(events, ",") != "start,device,device,device,end,start,device,device,device,end" {
		t.Fatalf("log events: %v", events)
	}
	if data, _ := os.ReadFile(filepath.Join(l.dir, push.LogFile)); strings.Contains(string(data), "PRIVATE KEY") {
		t.Fatal("credentials in the log")
	}
}

func TestJunosDroppedConnectionMidCommitRollsBackByItself(t *testing.T) {
	l := newLab(t, threeVendors[:1])
	d := l.devs["edge1"]
	d.ConfirmUnit = 200 * time.Millisecond
	d.SetFault(devsim.Fault{DropOnCommit: true})
	s := l.push(l.opts())
	r := result(t, s, "edge1")
	if s.OK || r.Status != push.StatusFailed || !strings.Contains(r.Error, "connection lost") || !strings.Contains(r.Error, "rolls it back") {
		t.Fatalf("%+v", r)
	}
	if !d.Pending() {
		t.Fatal("the commit should be pending confirmation")
	}
	// commit confirmed 1 = 200ms here: the device rolls back by itself
	deadline := time.Now().Add(3 * time.Second)
	for d.Pending() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if d.Running() != l.cfgs["edge1"] {
		t.Fatal("device did not roll back to the original config")
	}
}

func TestRejectedCommandRollsBackWithInverseCommands(t *testing.T) {
	for _, dev := range []simDev{threeVendors[1], threeVendors[2]} {
		t.Run(dev.vendor, func(t *testing.T) {
			l := newLab(t, []simDev{dev})
			d := l.devs[dev.name]
			plan := l.plan()[0]
			// reject the last command: everything before it was applied
			last := strings.TrimSpace(plan.Commands[len(plan.Commands)-1])
			d.SetFault(devsim.Fault{Reject: last})
			s := l.push(l.opts())
			r := result(t, s, dev.name)
			if r.Status != push.StatusRolledBack || !r.RolledBack || !strings.Contains(r.Error, "rejected") || len(r.Rollback) == 0 {
				t.Fatalf("%+v", r)
			}
			if n := l.pendingOn(dev.name); n != len(plan.Commands) {
				t.Fatalf("after rollback the device needs %d commands, want the original %d:\n%s", n, len(plan.Commands), d.Running())
			}
			if d.Saved() != l.cfgs[dev.name] {
				t.Fatal("a failed change was saved")
			}
		})
	}
}

func TestWrongStoredConfigFailsVerificationAndRollsBack(t *testing.T) {
	for _, dev := range threeVendors {
		t.Run(dev.vendor, func(t *testing.T) {
			l := newLab(t, []simDev{dev})
			d := l.devs[dev.name]
			d.SetFault(devsim.Fault{StoreWrong: true})
			s := l.push(l.opts())
			r := result(t, s, dev.name)
			if r.Status != push.StatusRolledBack || r.Verified || !strings.Contains(r.Error, "verification failed") {
				t.Fatalf("%+v", r)
			}
			d.SetFault(devsim.Fault{})
			if n, want := l.pendingOn(dev.name), len(l.plan()[0].Commands); n != want || n == 0 {
				t.Fatalf("after rollback the device needs %d commands, want %d:\n%s", n, want, d.Running())
			}
			if d.Pending() {
				t.Fatal("unconfirmed commit left")
			}
		})
	}
}

func TestSlowDeviceTimesOut(t *testing.T) {
	l := newLab(t, threeVendors[1:2])
	l.devs["rtr1"].SetFault(devsim.Fault{Delay: 40 * time.Millisecond})
	opt := l.opts()
	plans := l.plan()
	// a slow device within the timeout works
	s := l.push(opt)
	if r := result(t, s, "rtr1"); r.Status != push.StatusApplied {
		t.Fatalf("slow but in time: %+v", r)
	}
	_ = plans
	l2 := newLab(t, threeVendors[1:2])
	l2.devs["rtr1"].SetFault(devsim.Fault{Delay: 2 * time.Second})
	data, _ := os.ReadFile(filepath.Join(l2.dir, "fwpol.yaml"))
	os.WriteFile(filepath.Join(l2.dir, "fwpol.yaml"), []byte(strings.ReplaceAll(string(data), "timeout: 5s", "timeout: 500ms")), 0o644)
	start := time.Now()
	s = l2.push(l2.opts())
	if r := result(t, s, "rtr1"); r.Status != push.StatusFailed || !strings.Contains(r.Error, "timed out") {
		t.Fatalf("too slow: %+v", r)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("timeout not enforced")
	}
}

func TestCanaryThenSitesStopAtFirstFailure(t *testing.T) {
	devs := []simDev{
		{"a1", "dc1", "ios", "../testdata/cisco/ios-router.cfg"},
		{"a2", "dc1", "ios", "../testdata/cisco/ios-router.cfg"},
		{"b1", "dc2", "ios", "../testdata/cisco/ios-router.cfg"},
		{"b2", "dc2", "ios", "../testdata/cisco/ios-router.cfg"},
	}
	l := newLab(t, devs)
	names, waves := push.Waves(l.plan(), 1)
	if strings.Join(names, "|") != "canary|site dc1|site dc2" || len(waves[0]) != 1 || len(waves[1]) != 1 || len(waves[2]) != 2 {
		t.Fatalf("waves %v %v", names, waves)
	}
	l.devs["a2"].SetFault(devsim.Fault{StoreWrong: true})
	opt := l.opts()
	opt.Canary = 1
	s := l.push(opt)
	if s.OK || result(t, s, "a1").Status != push.StatusApplied || result(t, s, "a2").Status != push.StatusRolledBack {
		t.Fatalf("%+v", s.Results)
	}
	for _, n := range []string{"b1", "b2"} {
		if r := result(t, s, n); r.Status != push.StatusNotStarted {
			t.Fatalf("%s: %+v", n, r)
		}
		if l.devs[n].Commits() != 0 || len(l.devs[n].Commands()) != 0 {
			t.Fatalf("%s was contacted after a failure", n)
		}
	}
}

func TestHostKeysAndRetries(t *testing.T) {
	l := newLab(t, threeVendors[1:2])
	kh := filepath.Join(l.dir, "known_hosts")
	os.WriteFile(kh, nil, 0o600)
	s := l.push(l.opts())
	if r := result(t, s, "rtr1"); r.Status != push.StatusFailed || !strings.Contains(r.Error, "--accept-new-hostkeys") || r.Attempts != 1 {
		t.Fatalf("unknown key: %+v", r)
	}
	if len(l.devs["rtr1"].Commands()) != 0 {
		t.Fatal("commands sent to an unverified host")
	}
	opt := l.opts()
	opt.SSH.AcceptNewHostKeys = true
	l.devs["rtr1"].SetFault(devsim.Fault{RefuseConnections: 2})
	s = l.push(opt)
	if r := result(t, s, "rtr1"); r.Status != push.StatusApplied || r.Attempts != 3 {
		t.Fatalf("accept-new + retries: %+v", r)
	}
	data, _ := os.ReadFile(kh)
	if !strings.Contains(string(data), "ssh-ed25519") {
		t.Fatalf("key not recorded: %q", data)
	}
	// a changed key is refused even with --accept-new-hostkeys
	other := strings.Replace(string(data), "ssh-ed25519 AAAA", "ssh-ed25519 AAAB", 1)
	_ = other
	l2 := newLab(t, threeVendors[1:2])
	os.WriteFile(filepath.Join(l2.dir, "known_hosts"), []byte(strings.Replace(string(data), strings.Fields(string(data))[0], "[127.0.0.1]:"+l2.devs["rtr1"].Addr[strings.LastIndexByte(l2.devs["rtr1"].Addr, ':')+1:], 1)), 0o600)
	opt2 := l2.opts()
	opt2.SSH.AcceptNewHostKeys = true
	s = l2.push(opt2)
	if r := result(t, s, "rtr1"); r.Status != push.StatusFailed || !strings.Contains(r.Error, "man-in-the-middle") {
		t.Fatalf("changed key: %+v", r)
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	l := newLab(t, threeVendors)
	opt := l.opts()
	opt.DryRun = true
	s := l.push(opt)
	for name, d := range l.devs {
		if r := result(t, s, name); r.Status != push.StatusDryRun || len(r.Commands) == 0 {
			t.Fatalf("%s: %+v", name, r)
		}
		if len(d.Commands()) != 0 {
			t.Fatalf("%s contacted in a dry run", name)
		}
	}
}

// TestShrinkThenFailRestoresRemovedEntries pushes a block, then a changed
// blocklist (one range gone, one new) to a device that stores it wrong:
// the rollback must put back the removed entries, not just drop the new.
func TestShrinkThenFailRestoresRemovedEntries(t *testing.T) {
	for _, dev := range threeVendors {
		t.Run(dev.vendor, func(t *testing.T) {
			l := newLab(t, []simDev{dev})
			d := l.devs[dev.name]
			if s := l.push(l.opts()); !s.OK {
				t.Fatalf("first push: %+v", s.Results)
			}
			applied := d.Running()
			os.WriteFile(filepath.Join(l.dir, dev.name+".cfg"), []byte(applied), 0o644)
			l.block("203.0.113.0/25", "198.51.100.0/24")
			p := l.plan()[0]
			permitted, denied := 0, 0
			for _, fc := range p.Traffic {
				permitted += fc.NewlyPermitted
				denied += fc.NewlyDenied
			}
			if permitted == 0 || denied == 0 {
				t.Fatalf("plan should unblock 203.0.113.128/25 and 100.64.0.1 and block 198.51.100.0/24: %+v", p.Traffic)
			}
			d.SetFault(devsim.Fault{StoreWrong: true})
			s := l.push(l.opts())
			if r := result(t, s, dev.name); r.Status != push.StatusRolledBack {
				t.Fatalf("%+v", r)
			}
			if n := l.pendingOn(dev.name); n != len(p.Commands) {
				t.Fatalf("after rollback the device needs %d commands, want %d\nrunning:\n%s", n, len(p.Commands), d.Running())
			}
			// and decides exactly as after the first push
			os.WriteFile(filepath.Join(l.dir, dev.name+".cfg"), []byte(applied), 0o644)
			want := l.plan()[0]
			os.WriteFile(filepath.Join(l.dir, dev.name+".cfg"), []byte(d.Running()), 0o644)
			got := l.plan()[0]
			for _, f := range want.Filters {
				if diff := policy.DiffFilters(want.Config, want.Config.Filter(f), got.Config, got.Config.Filter(f)); len(diff.Changes) > 0 {
					t.Fatalf("%s decides differently after the rollback: %+v", f, diff.Summary)
				}
			}
		})
	}
}

func TestConcurrentPushRefused(t *testing.T) {
	l := newLab(t, threeVendors[1:2])
	l.devs["rtr1"].SetFault(devsim.Fault{Delay: 20 * time.Millisecond})
	opt := l.opts()
	done := make(chan *push.Summary)
	started := make(chan struct{})
	opt.Progress = nil
	go func() {
		o := opt
		o.Fault = func(string, func(string) (string, error)) { close(started); time.Sleep(300 * time.Millisecond) }
		s, _ := push.Push(context.Background(), l.plan(), o)
		done <- s
	}()
	<-started
	if _, err := push.Push(context.Background(), l.plan(), opt); err == nil || !strings.Contains(err.Error(), "another push is running") {
		t.Fatalf("second push: %v", err)
	}
	if s := <-done; !s.OK {
		t.Fatalf("first push: %+v", s.Results)
	}
}

func TestIOSDroppedConnectionIsReportedUnsaved(t *testing.T) {
	l := newLab(t, threeVendors[1:2])
	d := l.devs["rtr1"]
	d.SetFault(devsim.Fault{DropOnCommit: true})
	s := l.push(l.opts())
	r := result(t, s, "rtr1")
	if s.OK || r.Status != push.StatusFailed || !strings.Contains(r.Error, "connection lost") || !strings.Contains(r.Error, "unsaved") {
		t.Fatalf("%+v", r)
	}
	if d.Saved() != l.cfgs["rtr1"] {
		t.Fatal("a change that was never verified got saved")
	}
}

// TestNXOSAndEOS: NX-OS checkpoints and EOS configuration sessions, applied
// and (on a wrong store) rolled back.
func TestNXOSAndEOS(t *testing.T) {
	for _, dev := range moreVendors {
		t.Run(dev.vendor, func(t *testing.T) {
			l := newLab(t, []simDev{dev})
			d := l.devs[dev.name]
			if s := l.push(l.opts()); !s.OK || result(t, s, dev.name).Status != push.StatusApplied {
				t.Fatalf("%+v", s.Results)
			}
			if n := l.pendingOn(dev.name); n != 0 || d.Saved() != d.Running() {
				t.Fatalf("%d commands pending after push", n)
			}
			l.block("198.51.100.0/24")
			want := len(l.plan()[0].Commands)
			d.SetFault(devsim.Fault{StoreWrong: true})
			s := l.push(l.opts())
			if r := result(t, s, dev.name); r.Status != push.StatusRolledBack {
				t.Fatalf("%+v", r)
			}
			if n := l.pendingOn(dev.name); n != want {
				t.Fatalf("after rollback %d commands pending, want %d:\n%s", n, want, d.Running())
			}
		})
	}
}

// TestAgentAuth authenticates through an ssh agent (SSH_AUTH_SOCK) when the
// inventory names no key file.
func TestAgentAuth(t *testing.T) {
	l := newLab(t, threeVendors[1:2])
	data, _ := os.ReadFile(filepath.Join(l.dir, "id_fwpol"))
	key, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	ring := agent.NewKeyring()
	if err := ring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { agent.ServeAgent(ring, c); c.Close() }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	inv, _ := os.ReadFile(filepath.Join(l.dir, "fwpol.yaml"))
	os.WriteFile(filepath.Join(l.dir, "fwpol.yaml"), []byte(strings.ReplaceAll(string(inv), "key_file: id_fwpol, ", "")), 0o644)
	os.Remove(filepath.Join(l.dir, "id_fwpol"))
	s := l.push(l.opts())
	if r := result(t, s, "rtr1"); r.Status != push.StatusApplied {
		t.Fatalf("%+v", r)
	}
	// without the agent and without a key: a clear error, no retries
	t.Setenv("SSH_AUTH_SOCK", "")
	l.block("198.51.100.0/24")
	os.WriteFile(filepath.Join(l.dir, "rtr1.cfg"), []byte(l.devs["rtr1"].Running()), 0o644)
	s = l.push(l.opts())
	if r := result(t, s, "rtr1"); r.Status != push.StatusFailed || !strings.Contains(r.Error, "no credentials") {
		t.Fatalf("%+v", r)
	}
}

// TestEOSCommitTimer: EOS commits with a timer and confirms after
// verification; a failed verification aborts the pending session, and a
// connection lost during the commit leaves EOS to revert by itself.
func TestEOSCommitTimer(t *testing.T) {
	eos := moreVendors[1]
	l := newLab(t, []simDev{eos})
	d := l.devs[eos.name]
	if s := l.push(l.opts()); !s.OK {
		t.Fatalf("%+v", s.Results)
	}
	if d.Pending() || d.Saved() != d.Running() || l.pendingOn(eos.name) != 0 {
		t.Fatal("the commit timer was not confirmed, or the change not saved")
	}
	timer := false
	for _, c := range d.Commands() {
		timer = timer || strings.HasPrefix(c, "commit timer ")
	}
	if !timer {
		t.Fatalf("no commit timer in %q", d.Commands())
	}

	// verification fails: the pending session is aborted, nothing is left
	l.block("198.51.100.0/24")
	want := len(l.plan()[0].Commands)
	d.SetFault(devsim.Fault{StoreWrong: true})
	r := result(t, l.push(l.opts()), eos.name)
	if r.Status != push.StatusRolledBack || len(r.Rollback) != 1 || !strings.HasSuffix(r.Rollback[0], " abort") {
		t.Fatalf("%+v", r)
	}
	if d.Pending() || l.pendingOn(eos.name) != want {
		t.Fatalf("after the abort: pending %v, %d commands needed (want %d)", d.Pending(), l.pendingOn(eos.name), want)
	}

	// the connection drops during the commit: EOS reverts by itself
	before := d.Running()
	d.ConfirmUnit = 200 * time.Millisecond
	d.SetFault(devsim.Fault{DropOnCommit: true})
	r = result(t, l.push(l.opts()), eos.name)
	if r.Status != push.StatusFailed || !strings.Contains(r.Error, "connection lost") || !strings.Contains(r.Error, "reverts it by itself") {
		t.Fatalf("%+v", r)
	}
	if !d.Pending() || d.Running() == before {
		t.Fatal("the change should be live and pending confirmation")
	}
	deadline := time.Now().Add(30 * time.Second)
	for d.Pending() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if d.Running() != before {
		t.Fatal("EOS did not revert the unconfirmed commit")
	}
}
