// Package devsim is a SIMULATOR of network devices for tests and
// benchmarks: an SSH server (golang.org/x/crypto/ssh) per simulated device
// on 127.0.0.1 that speaks enough of the Junos, Cisco IOS and Cisco ASA
// command-line dialects for fwpol push: prompts, configuration mode,
// private candidates with "load set terminal", "commit confirmed" with an
// automatic rollback timer, "rollback N", NX-OS checkpoints, EOS
// configuration sessions (with "commit timer" reverting unless confirmed),
// errors on bad commands, and
// "show configuration | display set" / "show running-config" returning
// the stored configuration text. Faults can be injected per device: a
// dropped connection during the commit, a rejected command, a slow
// device, and a device that silently stores the change incompletely (so
// verification fails).
//
// It is not a device: it stores configuration commands the way the
// platform does (the same storage rules as the vendor packages'
// round-trip tests) and nothing more.
package devsim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Fault is what goes wrong on a simulated device.
type Fault struct {
	// DropOnCommit closes the connection when the change is committed
	// (Junos "commit confirmed", after applying it; IOS/ASA "end").
	DropOnCommit bool
	// Reject makes every configuration line containing it an error.
	Reject string
	// Delay is added before every answer.
	Delay time.Duration
	// StoreWrong makes the device silently drop the last line of the next
	// change (so the running config does not verify); later changes (the
	// rollback) are stored right.
	StoreWrong bool
	// RefuseConnections makes the first N connection attempts fail.
	RefuseConnections int
}

// Device is one simulated device.
type Device struct {
	Name, Vendor, User string
	Addr               string // 127.0.0.1:port
	// ConfirmUnit is how long one "commit confirmed" minute lasts here
	// (default one minute; tests shorten it).
	ConfirmUnit time.Duration

	mu      sync.Mutex
	running string
	saved   string
	history []string // previous committed configs, newest first (Junos rollback N)
	pending *time.Timer
	// pendingSession is the EOS session committed with "commit timer"
	// and awaiting "configure session NAME commit"; pendingBefore is the
	// config it reverts to.
	pendingSession, pendingBefore string
	fault                         Fault
	commands                      []string
	commits                       int
	// NX-OS checkpoints by name
	checkpoints map[string]string
	ln          net.Listener
}

// Sim serves simulated devices.
type Sim struct {
	cfg     *ssh.ServerConfig
	mu      sync.Mutex
	devices []*Device
	wg      sync.WaitGroup
}

// New makes a simulator whose devices present hostKey and accept the
// authorized public key.
func New(hostKey ssh.Signer, authorized ssh.PublicKey) *Sim {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(k.Marshal(), authorized.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unauthorized key")
		},
	}
	cfg.AddHostKey(hostKey)
	return &Sim{cfg: cfg}
}

// Add starts a device (vendor "junos", "ios", "nxos", "eos" or "asa") holding config on a
// free port of 127.0.0.1.
func (s *Sim) Add(name, vendor, user, config string) (*Device, error) {
	switch vendor {
	case "junos", "ios", "nxos", "eos", "asa":
	default:
		return nil, fmt.Errorf("devsim: no %s simulator", vendor)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &Device{Name: name, Vendor: vendor, User: user, Addr: ln.Addr().String(), running: config, saved: config, ln: ln, ConfirmUnit: time.Minute}
	s.mu.Lock()
	s.devices = append(s.devices, d)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.mu.Lock()
			refuse := d.fault.RefuseConnections > 0
			if refuse {
				d.fault.RefuseConnections--
			}
			d.mu.Unlock()
			if refuse {
				c.Close()
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(d, c)
			}()
		}
	}()
	return d, nil
}

// Close stops every device.
func (s *Sim) Close() {
	s.mu.Lock()
	for _, d := range s.devices {
		d.ln.Close()
		d.mu.Lock()
		if d.pending != nil {
			d.pending.Stop()
		}
		d.mu.Unlock()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// SetFault replaces the device's faults.
func (d *Device) SetFault(f Fault) { d.mu.Lock(); d.fault = f; d.mu.Unlock() }

// Running is the running configuration text.
func (d *Device) Running() string { d.mu.Lock(); defer d.mu.Unlock(); return d.running }

// Saved is the startup configuration text.
func (d *Device) Saved() string { d.mu.Lock(); defer d.mu.Unlock(); return d.saved }

// Commands are the lines the device received, in order.
func (d *Device) Commands() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.commands...)
}

// Commits counts commits (Junos) or "end"s after changes (IOS/ASA).
func (d *Device) Commits() int { d.mu.Lock(); defer d.mu.Unlock(); return d.commits }

// Pending reports an unconfirmed Junos commit or EOS commit timer.
func (d *Device) Pending() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.pending != nil }

func (s *Sim) serve(d *Device, c net.Conn) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for r := range creqs {
				switch r.Type {
				case "pty-req", "shell", "env", "window-change":
					r.Reply(true, nil)
					if r.Type == "shell" {
						go func() {
							cli := &session{d: d, ch: ch, conn: sc}
							cli.loop()
							ch.SendRequest("exit-status", false, ssh.Marshal(struct{ C uint32 }{0}))
							ch.Close()
						}()
					}
				default:
					r.Reply(false, nil)
				}
			}
		}()
	}
}

// session is one CLI session.
type session struct {
	d    *Device
	ch   ssh.Channel
	conn *ssh.ServerConn
	mode string // "", "config", "sub", "load"
	// Junos: the private candidate; IOS/ASA: the config at "configure
	// terminal" and the lines typed since.
	candidate string
	base      string
	lines     []string
	session   string // EOS configuration session: nothing applies before commit
	loadLines []string
	loadErrs  int
}

func (s *session) host() string { return s.d.Name }

func (s *session) prompt() string {
	switch s.d.Vendor {
	case "junos":
		if s.mode == "config" {
			return "\n[edit]\n" + s.d.User + "@" + s.host() + "# "
		}
		if s.mode == "load" {
			return ""
		}
		return s.d.User + "@" + s.host() + "> "
	}
	switch {
	case s.session != "" && s.mode != "":
		return s.host() + "(config-s-" + s.session + ")#"
	case s.mode == "config":
		return s.host() + "(config)#"
	case s.mode == "sub":
		return s.host() + "(config-sub)#"
	}
	return s.host() + "#"
}

func (s *session) write(text string) {
	io.WriteString(s.ch, strings.ReplaceAll(text, "\n", "\r\n"))
}

func (s *session) loop() {
	s.write("fwpol device simulator (" + s.d.Vendor + ")\n" + s.prompt())
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		n, err := s.ch.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		for {
			i := bytes.IndexAny(buf, "\n\x04")
			if i < 0 {
				break
			}
			line := string(buf[:i])
			if buf[i] == 4 {
				// Ctrl-D ends a paste; text before it on the line is dropped
				line = "\x04"
				if i+1 < len(buf) && buf[i+1] == '\n' {
					i++
				}
			}
			buf = buf[i+1:]
			line = strings.TrimRight(line, "\r")
			if !s.handle(line) {
				return
			}
		}
	}
}

// handle runs one line; false ends the session.
func (s *session) handle(line string) bool {
	s.d.mu.Lock()
	delay := s.d.fault.Delay
	s.d.commands = append(s.d.commands, line)
	s.d.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	var out string
	var keep bool
	if s.d.Vendor == "junos" {
		out, keep = s.junos(line)
	} else {
		out, keep = s.cisco(line)
	}
	if !keep {
		return false
	}
	s.write(out + s.prompt())
	return true
}

func (s *session) rejected(line string) bool {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	return s.d.fault.Reject != "" && strings.Contains(line, s.d.fault.Reject)
}
