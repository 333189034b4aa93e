package blocklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Event is one line of the audit log (JSON lines, append-only).
type Event struct {
	Time   time.Time `json:"time"`
	User   string    `json:"user"`
	Action string    `json:"action"` // add, merge, remove, expire
	ID     string    `json:"id"`
	Ranges []string  `json:"ranges"`
	Reason string    `json:"reason,omitempty"`
	Ticket string    `json:"ticket,omitempty"`
	// Expires is the entry's expiry (add, merge).
	Expires time.Time `json:"expires,omitzero"`
	Scope   string    `json:"scope,omitempty"`
	Force   bool      `json:"force,omitempty"`
}

// EventOf describes entry e for the audit log.
func EventOf(action, user string, at time.Time, e *Entry) Event {
	return Event{Time: at.UTC(), User: user, Action: action, ID: e.ID, Ranges: append([]string(nil), e.Ranges...),
		Reason: e.Reason, Ticket: e.Ticket, Expires: e.Expires, Scope: e.Scope.String()}
}

// AuditPath is the audit log beside a blocklist: blocklist.yaml → blocklist.audit.log.
func AuditPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".audit.log"
}

// lockPath is the lock file beside a blocklist (hidden, so an inventory
// directory walk skips it).
func lockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// Load reads the blocklist at path; a missing file is an empty list.
func Load(path string) (*List, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &List{Path: path, NextID: 1}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Update changes the blocklist at path under an exclusive lock: it reads
// the current file, lets fn change the list and report audit events, then
// writes the result atomically (temp file, fsync, rename, fsync of the
// directory) and appends the events to the audit log. fn returning an
// error, or no events, leaves the file untouched. A file that does not
// parse is never replaced.
func Update(path string, fn func(l *List) ([]Event, error)) ([]Event, error) {
	unlock, err := Lock(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	l, err := Load(path)
	if err != nil {
		return nil, err
	}
	events, err := fn(l)
	if err != nil || len(events) == 0 {
		return events, err
	}
	if err := WriteAtomic(path, l.Marshal()); err != nil {
		return nil, err
	}
	if err := appendAudit(AuditPath(path), events); err != nil {
		return events, fmt.Errorf("blocklist written, but the audit log failed: %w", err)
	}
	return events, nil
}

// Lock takes the exclusive lock of the blocklist at path (flock on a lock
// file beside it), waiting for other writers. The lock dies with the
// process, so a killed writer never leaves it stuck.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(lockPath(path), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// crashHook, when set (tests), runs after half of the temp file is written:
// a test kills the process there to show a crash mid-write leaves the old
// file intact.
var crashHook = os.Getenv("FWPOL_BLOCKLIST_TEST_PAUSE_MID_WRITE")

// WriteAtomic replaces path with data: a crash at any point leaves either
// the old or the new content, never a mix.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if st, err := os.Stat(path); err == nil {
		tmp.Chmod(st.Mode().Perm())
	} else {
		tmp.Chmod(0o644)
	}
	if crashHook != "" {
		half := len(data) / 2
		if _, err := tmp.Write(data[:half]); err != nil {
			return err
		}
		tmp.Sync()
		os.WriteFile(crashHook, []byte("paused"), 0o644)
		time.Sleep(time.Hour) // the test kills us here
		data = data[half:]
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

func appendAudit(path string, events []Event) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var buf []byte
	for _, ev := range events {
		b, err := json.Marshal(ev)
		if err != nil {
			f.Close()
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadAudit returns the audit log's events (for tests and reports).
func ReadAudit(path string) ([]Event, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Event
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return nil, fmt.Errorf("%s:%d:1: %v", path, i+1, err)
		}
		out = append(out, ev)
	}
	return out, nil
}
