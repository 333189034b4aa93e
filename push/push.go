package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fwpol/fwpol/vendors/registry"
)

// LogFile is the push log's name beside the inventory.
const LogFile = "push.log"

// Options control a push.
type Options struct {
	DryRun bool
	// Parallel bounds concurrent sessions (per wave; waves are one site,
	// or the canaries). Default 8.
	Parallel int
	// Canary devices are pushed first, alone in their wave.
	Canary int
	SSH    SSHOptions
	// ConfirmMinutes is the commit-confirmed window (Junos), default 5.
	ConfirmMinutes int
	// User is who pushes (recorded).
	User string
	// LogPath is the JSON-lines log (empty: no log).
	LogPath string
	// InventoryDir resolves relative key_file / known_hosts paths.
	InventoryDir string
	// Fault breaks devices between apply and verify (tests only).
	Fault Fault
	// Progress receives each device's result as it finishes.
	Progress func(Result)

	memo *verifyMemo
}

// Summary is a whole push.
type Summary struct {
	ID         string    `json:"id"`
	User       string    `json:"user"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	DryRun     bool      `json:"dry_run"`
	Parallel   int       `json:"parallel"`
	Canary     int       `json:"canary"`
	OK         bool      `json:"ok"`
	Applied    int       `json:"applied"`
	InSync     int       `json:"in_sync"`
	Failed     int       `json:"failed"`
	RolledBack int       `json:"rolled_back"`
	NotStarted int       `json:"not_started"`
	Results    []Result  `json:"results"`
}

// TargetOf is how to reach the plan's device: its inventory mgmt address
// and transport settings (port 22 by default; relative key_file and
// known_hosts paths are relative to the inventory directory).
func TargetOf(p *DevicePlan, invDir string) (Target, error) {
	d := p.Inventory
	if d == nil {
		return Target{}, fmt.Errorf("%s: not in the inventory", p.DeviceChange.Device)
	}
	if !d.Mgmt.IsValid() {
		return Target{}, fmt.Errorf("%s: no mgmt address in the inventory (%s)", d.Name, d.Pos)
	}
	t := Target{Device: d.Name}
	port := 22
	if tr := d.Transport; tr != nil {
		if tr.Port > 0 {
			port = tr.Port
		}
		t.User, t.Timeout = tr.User, tr.Timeout
		t.KeyFile = resolve(invDir, tr.KeyFile)
		t.KnownHosts = resolve(invDir, tr.KnownHosts)
	}
	if t.User == "" {
		return Target{}, fmt.Errorf("%s: no transport user in the inventory (%s)", d.Name, d.Pos)
	}
	t.Addr = net.JoinHostPort(d.Mgmt.String(), strconv.Itoa(port))
	return t, nil
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || p[0] == '~' || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// Waves orders the devices with changes: the first canary ones, then one
// wave per site (plan order).
func Waves(plans []*DevicePlan, canary int) (names []string, waves [][]*DevicePlan) {
	var changed []*DevicePlan
	for _, p := range plans {
		if p.Changed() {
			changed = append(changed, p)
		}
	}
	if canary > len(changed) {
		canary = len(changed)
	}
	if canary > 0 {
		names = append(names, "canary")
		waves = append(waves, changed[:canary])
	}
	idx := map[string]int{}
	for _, p := range changed[canary:] {
		i, ok := idx[p.Site]
		if !ok {
			i = len(waves)
			idx[p.Site] = i
			names = append(names, "site "+p.Site)
			waves = append(waves, nil)
		}
		waves[i] = append(waves[i], p)
	}
	return names, waves
}

// Push applies the plans: canaries first, then one site at a time,
// stopping at the first failure. A plan that could not be rendered stops
// the push before anything is applied.
func Push(ctx context.Context, plans []*DevicePlan, opt Options) (*Summary, error) {
	if opt.Parallel <= 0 {
		opt.Parallel = 8
	}
	opt.memo = &verifyMemo{out: map[[32]byte]string{}}
	for _, p := range plans {
		if p.Error != "" {
			return nil, fmt.Errorf("%s: cannot render the change: %s", p.DeviceChange.Device, p.Error)
		}
	}
	now := time.Now().UTC()
	s := &Summary{ID: now.Format("20060102T150405.000000000Z"), User: opt.User, Started: now, DryRun: opt.DryRun,
		Parallel: opt.Parallel, Canary: opt.Canary, Results: []Result{}}
	var unlock func()
	if opt.LogPath != "" {
		var err error
		if unlock, err = lockPush(opt.LogPath); err != nil {
			return nil, err
		}
		defer unlock()
		var devs []string
		for _, p := range plans {
			devs = append(devs, p.DeviceChange.Device)
		}
		if err := appendLog(opt.LogPath, map[string]any{"event": "start", "id": s.ID, "user": s.User, "time": now,
			"dry_run": opt.DryRun, "parallel": opt.Parallel, "canary": opt.Canary, "devices": devs}); err != nil {
			return nil, err
		}
	}
	var mu sync.Mutex
	record := func(r Result) {
		if opt.LogPath != "" {
			if err := appendLog(opt.LogPath, map[string]any{"event": "device", "id": s.ID, "time": time.Now().UTC(), "result": r}); err != nil {
				// the device result stands; say the record is missing
				if r.Error != "" {
					r.Error += "; "
				}
				r.Error += "not recorded in push.log: " + err.Error()
			}
		}
		mu.Lock()
		s.Results = append(s.Results, r)
		mu.Unlock()
		if opt.Progress != nil {
			opt.Progress(r)
		}
	}
	for _, p := range plans {
		if !p.Changed() {
			record(Result{Site: p.Site, Device: p.DeviceChange.Device, Vendor: p.Vendor, Wave: "-", Status: StatusInSync, Commands: []string{}, Verified: false})
		}
	}
	names, waves := Waves(plans, opt.Canary)
	var stopped atomic.Bool
	for wi, wave := range waves {
		if stopped.Load() || ctx.Err() != nil {
			for _, p := range wave {
				record(notStarted(p, names[wi]))
			}
			continue
		}
		sem := make(chan struct{}, opt.Parallel)
		var wg sync.WaitGroup
		for _, p := range wave {
			sem <- struct{}{}
			if stopped.Load() || ctx.Err() != nil {
				<-sem
				record(notStarted(p, names[wi]))
				continue
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				r := pushOne(ctx, p, names[wi], &opt)
				if r.Status == StatusFailed || r.Status == StatusRolledBack {
					stopped.Store(true)
				}
				record(r)
			}()
		}
		wg.Wait()
	}
	s.Finished = time.Now().UTC()
	sort.SliceStable(s.Results, func(i, j int) bool {
		a, b := s.Results[i], s.Results[j]
		if a.Site != b.Site {
			return a.Site < b.Site
		}
		return a.Device < b.Device
	})
	for _, r := range s.Results {
		switch r.Status {
		case StatusApplied:
			s.Applied++
		case StatusInSync:
			s.InSync++
		case StatusRolledBack:
			s.RolledBack++
			s.Failed++
		case StatusFailed:
			s.Failed++
		case StatusNotStarted:
			s.NotStarted++
		}
	}
	s.OK = s.Failed == 0 && s.NotStarted == 0 && ctx.Err() == nil
	if opt.LogPath != "" {
		if err := appendLog(opt.LogPath, map[string]any{"event": "end", "id": s.ID, "time": s.Finished, "ok": s.OK,
			"applied": s.Applied, "in_sync": s.InSync, "failed": s.Failed, "rolled_back": s.RolledBack, "not_started": s.NotStarted}); err != nil {
			return s, err
		}
	}
	return s, nil
}

func notStarted(p *DevicePlan, wave string) Result {
	return Result{Site: p.Site, Device: p.DeviceChange.Device, Vendor: p.Vendor, Wave: wave, Status: StatusNotStarted,
		Commands: p.Commands, Error: "not started: an earlier device failed"}
}

// pushOne connects to one device and applies its plan.
func pushOne(ctx context.Context, p *DevicePlan, wave string, opt *Options) Result {
	r := Result{Site: p.Site, Device: p.DeviceChange.Device, Vendor: p.Vendor, Wave: wave, Commands: p.Commands, Started: time.Now().UTC()}
	defer func() { r.DurationMS = time.Since(r.Started).Milliseconds() }()
	t, err := TargetOf(p, opt.InventoryDir)
	if err != nil {
		r.Status, r.Error = StatusFailed, err.Error()
		return r
	}
	r.Addr = t.Addr
	if opt.DryRun {
		r.Status = StatusDryRun
		return r
	}
	if t.Timeout <= 0 {
		t.Timeout = opt.SSH.Timeout
	}
	if t.Timeout <= 0 {
		t.Timeout = 30 * time.Second
	}
	v, ok := registry.Lookup(p.Vendor)
	if !ok {
		r.Status, r.Error = StatusFailed, "unknown vendor "+p.Vendor
		return r
	}
	c, attempts, err := Dial(ctx, t, opt.SSH)
	r.Attempts = attempts
	if err != nil {
		r.Status, r.Error = StatusFailed, err.Error()
		return r
	}
	defer c.Close()
	d := &device{p: p, v: v, t: t, o: opt, res: &r}
	applyDevice(ctx, c, d)
	if r.Status == "" {
		r.Status, r.Error = StatusFailed, "no result"
	}
	return r
}

// lockPush takes the estate's push lock (one push at a time).
func lockPush(logPath string) (func(), error) {
	lp := filepath.Join(filepath.Dir(logPath), "."+filepath.Base(logPath)+".lock")
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another push is running (lock %s held)", lp)
		}
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// appendLog appends one JSON line under an exclusive lock, then fsyncs.
func appendLog(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Sync()
}
