package push

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fwpol/fwpol/blocklist"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/search"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/registry"
)

// Status values of a device result.
const (
	StatusApplied    = "applied"     // applied, verified, confirmed and saved
	StatusInSync     = "in-sync"     // nothing to do (planned or found on the device)
	StatusDryRun     = "dry-run"     // would be applied
	StatusFailed     = "failed"      // failed; see Error and RolledBack
	StatusRolledBack = "rolled-back" // failed, and the device is back as it was (verified)
	StatusNotStarted = "not-started" // an earlier failure stopped the push
)

// Result is what happened on one device.
type Result struct {
	Site     string   `json:"site,omitempty"`
	Device   string   `json:"device"`
	Vendor   string   `json:"vendor"`
	Addr     string   `json:"addr,omitempty"`
	Wave     string   `json:"wave"`
	Status   string   `json:"status"`
	Commands []string `json:"commands"`
	// Verified: the running config fetched after the change parses to the
	// intended decisions and re-rendering the block yields nothing.
	Verified     bool   `json:"verified"`
	Verification string `json:"verification,omitempty"`
	// Rollback are the commands sent to undo the change (when sent);
	// RolledBack says the device was checked to decide as before.
	Rollback   []string  `json:"rollback,omitempty"`
	RolledBack bool      `json:"rolled_back"`
	Error      string    `json:"error,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	Started    time.Time `json:"started"`
	DurationMS int64     `json:"duration_ms"`
}

// Fault is a hook for tests to break a device between apply and verify
// (it receives a function running a command on the device).
type Fault func(device string, run func(cmd string) (string, error))

// device is one push in progress.
type device struct {
	p       *DevicePlan
	v       vendors.Vendor
	t       Target
	o       *Options
	res     *Result
	pre     *policy.Config
	preText string // with the ipset save text appended (iptables)
	extra   []*policy.Object
}

func (d *device) fail(format string, args ...any) {
	d.res.Status = StatusFailed
	msg := fmt.Sprintf(format, args...)
	if d.res.Error == "" {
		d.res.Error = msg
	} else {
		d.res.Error += "; " + msg
	}
}

// applyDevice runs one device's change over an established client.
func applyDevice(ctx context.Context, c *ssh.Client, d *device) {
	switch d.p.Vendor {
	case "iptables", "nftables":
		d.linux(ctx, c)
	case "junos":
		d.cli(c, d.junos)
	case "ios", "nxos", "asa":
		d.cli(c, d.cisco)
	case "eos":
		d.cli(c, d.eos)
	default:
		d.fail("push does not support vendor %s", d.p.Vendor)
	}
}

// parse parses fetched running-config text as the device's vendor.
func (d *device) parse(text string, sets string) (*policy.Config, []*policy.Object, error) {
	cfg, err := d.v.Parse(d.p.File+"@running", []byte(text))
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the running config: %w", err)
	}
	cfg.Device, cfg.Site, cfg.Role = d.p.Config.Device, d.p.Config.Site, d.p.Config.Role
	var extra []*policy.Object
	if sets != "" {
		iv, _ := registry.Lookup("ipset")
		sc, err := iv.Parse(d.p.File+"@ipset", []byte(sets))
		if err != nil {
			return nil, nil, fmt.Errorf("parsing ipset save: %w", err)
		}
		sc.Device = cfg.Device
		if d.v.Link != nil {
			d.v.Link([]*policy.Config{cfg, sc})
		}
		extra = sc.Objects
	}
	return cfg, extra, nil
}

// render is RenderBlock of the plan's spec against a fetched config.
func (d *device) render(cfg *policy.Config, extra []*policy.Object) ([]string, error) {
	dc := blocklist.RenderOne(d.v, cfg, extra, d.p.Spec.Src, d.p.Spec.Dst)
	if dc.Error != "" {
		return nil, errors.New(dc.Error)
	}
	return dc.Commands, nil
}

// checkPre parses the config fetched before the change and refuses when
// the device needs other commands than planned (its config drifted from
// the inventory's copy). It returns false when nothing is to be done.
func (d *device) checkPre(text, sets string) bool {
	cfg, extra, err := d.parse(text, sets)
	if err != nil {
		d.fail("%v", err)
		return false
	}
	cmds, err := d.render(cfg, extra)
	if err != nil {
		d.fail("rendering against the running config: %v", err)
		return false
	}
	if len(cmds) == 0 {
		d.res.Status = StatusInSync
		d.res.Verified = true
		d.res.Verification = "running config already enforces the blocklist"
		return false
	}
	if !slices.Equal(cmds, d.p.Commands) {
		d.fail("running config differs from the inventory's copy (%s): the device needs other commands than planned; refresh the config and plan again", d.p.File)
		return false
	}
	d.pre, d.extra, d.preText = cfg, extra, text+"\x00"+sets
	return true
}

// verifyMemo remembers verification outcomes by content: the outcome is a
// function of the pre-change text, the fetched text and the spec only, so
// devices with the same policy are verified once per push (each device's
// texts are still fetched from it and compared byte for byte).
type verifyMemo struct {
	mu  sync.Mutex
	out map[[32]byte]string
}

func (d *device) memoKey(text, sets string) [32]byte {
	h := sha256.New()
	for _, s := range []string{d.p.Vendor, d.preText, text, sets, strings.Join(d.p.Spec.Filters, ","), d.p.Spec.Src.String(), d.p.Spec.Dst.String()} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// verify checks a config fetched after the change against the intent.
func (d *device) verify(text, sets string) error {
	m := d.o.memo
	if m == nil {
		return d.verifyNow(text, sets)
	}
	key := d.memoKey(text, sets)
	m.mu.Lock()
	msg, ok := m.out[key]
	m.mu.Unlock()
	if ok {
		if msg == "" {
			return nil
		}
		return errors.New(msg)
	}
	err := d.verifyNow(text, sets)
	msg = ""
	if err != nil {
		msg = err.Error()
	}
	m.mu.Lock()
	m.out[key] = msg
	m.mu.Unlock()
	return err
}

func (d *device) verifyNow(text, sets string) error {
	cfg, extra, err := d.parse(text, sets)
	if err != nil {
		return err
	}
	cmds, err := d.render(cfg, extra)
	if err != nil {
		return err
	}
	if len(cmds) > 0 {
		return fmt.Errorf("device does not enforce the blocklist: %d commands still needed (first: %s)", len(cmds), cmds[0])
	}
	want := Intended(d.pre, d.p.Spec)
	if err := sameDecisions(want, cfg, d.p.Spec.Filters); err != nil {
		return err
	}
	return nil
}

// restored checks that a config fetched after a rollback decides as before.
func (d *device) restored(text, sets string) error {
	cfg, extra, err := d.parse(text, sets)
	if err != nil {
		return err
	}
	if err := sameDecisions(d.pre, cfg, d.p.Spec.Filters); err != nil {
		return err
	}
	// the block objects are back too: the same change is needed again
	if cmds, err := d.render(cfg, extra); err != nil || !slices.Equal(cmds, d.p.Commands) {
		return fmt.Errorf("the device does not need the planned change again after the rollback (block objects left behind)")
	}
	return nil
}

// sameDecisions diffs each named filter of want against got.
func sameDecisions(want, got *policy.Config, filters []string) error {
	var m *policy.Manager
	for _, name := range filters {
		a, b := want.Filter(name), got.Filter(name)
		if b == nil {
			return fmt.Errorf("filter %s missing from the running config", name)
		}
		if a == nil {
			continue
		}
		if m == nil {
			m = policy.NewManager(1 << 16)
		}
		diff := m.DiffFilters(want, a, got, b, policy.DiffOptions{RegionLimit: 1})
		if len(diff.Changes) > 0 {
			c := diff.Changes[0]
			return fmt.Errorf("filter %s decides differently than intended: %d changes, e.g. %s: want %s, device %s",
				name, len(diff.Changes), search.FormatFlow(&c.Sample), c.Old, c.New)
		}
	}
	return nil
}

// ---- network devices: an interactive CLI session ----

func (d *device) cli(c *ssh.Client, flow func(*shell)) {
	sh, err := openShell(c, d.t.Timeout)
	if err != nil {
		d.fail("opening a CLI session: %v", err)
		return
	}
	defer sh.close()
	flow(sh)
}

var (
	junosErr = regexp.MustCompile(`(?m)^\s*(error:|syntax error|unknown command|.*: syntax error|missing argument|invalid value)`)
	ciscoErr = regexp.MustCompile(`(?m)^\s*(% |ERROR:|Error:)`)
	loadEnd  = regexp.MustCompile(`\[Type \^D at a new line to end input\]\n?$`)
)

func (d *device) confirmMinutes() int {
	if d.o.ConfirmMinutes > 0 {
		return d.o.ConfirmMinutes
	}
	return 5
}

func (d *device) fault(run func(string) (string, error)) {
	if d.o.Fault != nil {
		d.o.Fault(d.p.DeviceChange.Device, run)
	}
}

func (d *device) junos(sh *shell) {
	dl := junosDialect()
	sh.run("set cli screen-length 0")
	pre, err := sh.run("show configuration | display set | no-more")
	if err != nil {
		d.fail("fetching the running config: %v", err)
		return
	}
	if !d.checkPre(pre, "") {
		return
	}
	abort := func() { sh.run("rollback 0"); sh.run(dl.Exit[0]) }
	for _, cmd := range dl.Enter {
		if out, err := sh.run(cmd); err != nil || junosErr.MatchString(out) {
			d.fail("%s: %s", cmd, firstErr(out, err))
			return
		}
	}
	if _, err := sh.runUntil(dl.Load[0], loadEnd); err != nil {
		d.fail("%s: %v", dl.Load[0], err)
		return
	}
	if err := sh.send(strings.Join(d.p.Commands, "\n") + "\n"); err != nil {
		d.fail("loading: %v", err)
		return
	}
	out, err := sh.run("\x04")
	if err != nil || junosErr.MatchString(out) || !strings.Contains(out, "load complete") || strings.Contains(out, "errors)") {
		d.fail("load set terminal rejected the change: %s", firstErr(out, err))
		abort()
		return
	}
	cc := fmt.Sprintf(dl.CommitConfirmed[0], d.confirmMinutes())
	out, err = sh.run(cc)
	var lost errConnLost
	if errors.As(err, &lost) {
		d.fail("connection lost during %q: the commit is unconfirmed and Junos rolls it back by itself within %d minutes", cc, d.confirmMinutes())
		return
	}
	if err != nil || junosErr.MatchString(out) || !strings.Contains(out, "commit complete") {
		d.fail("%s: %s", cc, firstErr(out, err))
		abort()
		return
	}
	d.fault(sh.run)
	post, err := sh.run("run show configuration | display set | no-more")
	if err == nil {
		err = d.verify(post, "")
	}
	if err != nil {
		d.res.Verification = err.Error()
		d.fail("verification failed: %v", err)
		// the commit-confirmed timer may have rolled back already: then
		// "rollback 1" would bring the change back
		if now, err := sh.run("run show configuration | display set | no-more"); err == nil && d.restored(now, "") == nil {
			d.res.Error += " (the device had already rolled back: commit confirmed expired)"
			d.rolledBack(nil)
			sh.run(dl.Exit[0])
			return
		}
		d.res.Rollback = dl.Rollback
		for _, cmd := range dl.Rollback {
			if out, err := sh.run(cmd); err != nil || junosErr.MatchString(out) {
				d.fail("rollback %q: %s (unconfirmed commit: Junos rolls back by itself within %d minutes)", cmd, firstErr(out, err), d.confirmMinutes())
				return
			}
		}
		after, err := sh.run("run show configuration | display set | no-more")
		if err == nil {
			err = d.restored(after, "")
		}
		d.rolledBack(err)
		sh.run(dl.Exit[0])
		return
	}
	d.res.Verified, d.res.Verification = true, "running config parsed back: intended decisions, nothing left to render"
	for _, cmd := range dl.Confirm {
		if out, err := sh.run(cmd); err != nil || junosErr.MatchString(out) {
			d.fail("confirming (%s): %s: Junos rolls the change back within %d minutes", cmd, firstErr(out, err), d.confirmMinutes())
			return
		}
	}
	sh.run(dl.Exit[0])
	d.res.Status = StatusApplied
}

func (d *device) rolledBack(err error) {
	if err != nil {
		d.fail("rollback not verified: %v", err)
		return
	}
	d.res.RolledBack = true
	d.res.Status = StatusRolledBack
}

func (d *device) cisco(sh *shell) {
	dl := ciscoDialect(d.p.Vendor)
	if d.p.Vendor == "asa" {
		sh.run("terminal pager 0")
	} else {
		sh.run("terminal length 0")
	}
	pre, err := sh.run("show running-config")
	if err != nil {
		d.fail("fetching the running config: %v", err)
		return
	}
	if !d.checkPre(pre, "") {
		return
	}
	checkpoint := fmt.Sprintf("fwpol-%d", time.Now().Unix())
	for _, cmd := range dl.Checkpoint {
		if out, err := sh.run(fmt.Sprintf(cmd, checkpoint)); err != nil || ciscoErr.MatchString(out) {
			d.fail("%s: %s", cmd, firstErr(out, err))
			return
		}
	}
	rollback := func(applied []string) {
		var cmds []string
		if len(dl.Checkpoint) > 0 {
			for _, c := range dl.Rollback {
				cmds = append(cmds, fmt.Sprintf(c, checkpoint))
			}
		} else {
			cmds = append(append([]string{"configure terminal"}, Inverse(d.p.Vendor, pre, applied)...), "end")
		}
		d.res.Rollback = cmds
		for _, c := range cmds {
			if out, err := sh.run(c); err != nil || ciscoErr.MatchString(out) {
				d.fail("rollback %q: %s", c, firstErr(out, err))
				return
			}
		}
		after, err := sh.run("show running-config")
		if err == nil {
			err = d.restored(after, "")
		}
		d.rolledBack(err)
	}
	if out, err := sh.run(dl.Enter[0]); err != nil || ciscoErr.MatchString(out) {
		d.fail("%s: %s", dl.Enter[0], firstErr(out, err))
		return
	}
	for i, cmd := range d.p.Commands {
		out, err := sh.run(cmd)
		if err != nil {
			d.fail("%q: %v: the device may hold part of the change (%d of %d lines sent); run fwpol plan to see what remains", cmd, err, i, len(d.p.Commands))
			return
		}
		if ciscoErr.MatchString(out) {
			d.fail("device rejected %q: %s", cmd, firstErr(out, nil))
			sh.run("end")
			rollback(d.p.Commands[:i])
			return
		}
	}
	sh.run("end")
	d.fault(sh.run)
	post, err := sh.run("show running-config")
	if err == nil {
		err = d.verify(post, "")
	}
	if err != nil {
		var lost errConnLost
		if errors.As(err, &lost) {
			d.fail("%v after applying: unverified and unsaved (a reload restores the saved config)", err)
			return
		}
		d.res.Verification = err.Error()
		d.fail("verification failed: %v", err)
		rollback(d.p.Commands)
		return
	}
	d.res.Verified, d.res.Verification = true, "running config parsed back: intended decisions, nothing left to render"
	for _, cmd := range dl.Save {
		if out, err := sh.run(cmd); err != nil || ciscoErr.MatchString(out) {
			d.fail("saving (%s): %s: the change is live but not saved", cmd, firstErr(out, err))
			return
		}
	}
	d.res.Status = StatusApplied
}

// eos: a configuration session; nothing applies before the commit, which
// runs with a timer: unless confirmed ("configure session NAME commit")
// after verification, EOS reverts by itself, also when the connection is
// lost; a failed verification aborts the pending session.
func (d *device) eos(sh *shell) {
	sh.run("terminal length 0")
	pre, err := sh.run("show running-config")
	if err != nil {
		d.fail("fetching the running config: %v", err)
		return
	}
	if !d.checkPre(pre, "") {
		return
	}
	session := fmt.Sprintf("fwpol-%d", time.Now().UnixNano())
	if out, err := sh.run("configure session " + session); err != nil || ciscoErr.MatchString(out) {
		d.fail("configure session: %s", firstErr(out, err))
		return
	}
	for _, cmd := range d.p.Commands {
		if out, err := sh.run(cmd); err != nil || ciscoErr.MatchString(out) {
			d.fail("device rejected %q: %s (session aborted, nothing applied)", cmd, firstErr(out, err))
			sh.run("abort")
			return
		}
	}
	mins := d.confirmMinutes()
	commit := fmt.Sprintf("commit timer %02d:%02d:00", mins/60, mins%60)
	if out, err := sh.run(commit); err != nil || ciscoErr.MatchString(out) {
		if err != nil {
			d.fail("connection lost during %q: the commit is unconfirmed and EOS reverts it by itself within %d minutes", commit, mins)
			return
		}
		d.fail("commit: %s", firstErr(out, err))
		sh.run("abort")
		return
	}
	d.fault(sh.run)
	post, err := sh.run("show running-config")
	if err == nil {
		err = d.verify(post, "")
	}
	if err != nil {
		d.res.Verification = err.Error()
		d.fail("verification failed: %v", err)
		abort := "configure session " + session + " abort"
		d.res.Rollback = []string{abort}
		if out, aerr := sh.run(abort); aerr != nil || ciscoErr.MatchString(out) {
			// the timer may have run out already: undo by inverse commands
			cmds := append(append([]string{"configure session " + session + "-undo"}, Inverse("eos", pre, d.p.Commands)...), "commit")
			d.res.Rollback = append(d.res.Rollback, cmds...)
			for _, c := range cmds {
				if out, err := sh.run(c); err != nil || ciscoErr.MatchString(out) {
					d.fail("rollback %q: %s (an unconfirmed commit timer reverts by itself within %d minutes)", c, firstErr(out, err), mins)
					return
				}
			}
		}
		after, err := sh.run("show running-config")
		if err == nil {
			err = d.restored(after, "")
		}
		d.rolledBack(err)
		return
	}
	if out, err := sh.run("configure session " + session + " commit"); err != nil || ciscoErr.MatchString(out) {
		d.fail("confirming the commit timer: %s: EOS reverts the change within %d minutes", firstErr(out, err), mins)
		return
	}
	d.res.Verified, d.res.Verification = true, "running config parsed back: intended decisions, nothing left to render"
	if out, err := sh.run("write memory"); err != nil || ciscoErr.MatchString(out) {
		d.fail("write memory: %s: the change is live but not saved", firstErr(out, err))
		return
	}
	d.res.Status = StatusApplied
}

func firstErr(out string, err error) string {
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(out, "\n") {
		if t := strings.TrimSpace(l); t != "" && (junosErr.MatchString(l) || ciscoErr.MatchString(l)) {
			return t
		}
	}
	return strings.TrimSpace(out)
}
