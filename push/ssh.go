package push

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Target is how to reach one device.
type Target struct {
	Device string
	// Addr is host:port (the inventory mgmt address, port 22 by default).
	Addr       string
	User       string
	KeyFile    string
	KnownHosts string
	// Timeout bounds connecting and each command.
	Timeout time.Duration
}

// SSHOptions are the transport settings shared by every device.
type SSHOptions struct {
	// AcceptNewHostKeys records the key of a host not yet in known_hosts
	// (trust on first use) instead of refusing it. A changed key is always
	// refused.
	AcceptNewHostKeys bool
	// Retries is how many times a failed connection is retried (exponential
	// backoff from Backoff); authentication and host-key failures are final.
	Retries int
	Backoff time.Duration
	// Timeout is the default connect/command timeout (30s).
	Timeout time.Duration
	// Dial, when set, opens the TCP connection (a jump host, a network
	// namespace in tests); default net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// hostKeyMu serializes known_hosts writes within the process; a file lock
// covers other processes.
var hostKeyMu sync.Mutex

// ErrHostKey marks host-key refusals (unknown or changed keys).
var ErrHostKey = errors.New("host key refused")

// permanentError is a failure retrying cannot fix.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// Dial connects and authenticates to t, retrying connection failures with
// exponential backoff. Errors never contain key material.
func Dial(ctx context.Context, t Target, o SSHOptions) (*ssh.Client, int, error) {
	if t.Timeout <= 0 {
		t.Timeout = o.Timeout
	}
	if t.Timeout <= 0 {
		t.Timeout = 30 * time.Second
	}
	cfg, closeAgent, err := clientConfig(t, o)
	if err != nil {
		return nil, 0, err
	}
	defer closeAgent()
	backoff := o.Backoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	var last error
	for attempt := 1; ; attempt++ {
		c, err := dialOnce(ctx, t, cfg, o.Dial)
		if err == nil {
			return c, attempt, nil
		}
		last = err
		var pe permanentError
		if errors.As(err, &pe) || attempt > o.Retries || ctx.Err() != nil {
			return nil, attempt, fmt.Errorf("%s: ssh %s: %w", t.Device, t.Addr, last)
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, attempt, fmt.Errorf("%s: ssh %s: %w", t.Device, t.Addr, ctx.Err())
		}
		backoff *= 2
	}
}

func dialOnce(ctx context.Context, t Target, cfg *ssh.ClientConfig, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*ssh.Client, error) {
	if dial == nil {
		d := net.Dialer{Timeout: t.Timeout}
		dial = d.DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, t.Timeout)
	conn, err := dial(dctx, "tcp", t.Addr)
	cancel()
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(t.Timeout))
	cc, chans, reqs, err := ssh.NewClientConn(conn, t.Addr, cfg)
	if err != nil {
		conn.Close()
		if errors.Is(err, ErrHostKey) || strings.Contains(err.Error(), "unable to authenticate") {
			return nil, permanentError{err}
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(cc, chans, reqs), nil
}

// clientConfig builds the SSH client settings; the returned func closes
// the agent connection (signing needs it open for the whole handshake).
func clientConfig(t Target, o SSHOptions) (*ssh.ClientConfig, func(), error) {
	nop := func() {}
	if t.User == "" {
		return nil, nop, fmt.Errorf("%s: no transport user in the inventory", t.Device)
	}
	var methods []ssh.AuthMethod
	if t.KeyFile != "" {
		signer, err := loadKey(t.KeyFile)
		if err != nil {
			return nil, nop, fmt.Errorf("%s: %w", t.Device, err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	var mu sync.Mutex
	var conns []net.Conn
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			c, err := net.Dial("unix", sock)
			if err != nil {
				return nil, fmt.Errorf("ssh agent: %v", err)
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			return agent.NewClient(c).Signers()
		}))
	}
	if len(methods) == 0 {
		return nil, nop, fmt.Errorf("%s: no credentials: set transport.key_file in the inventory or run an ssh agent (SSH_AUTH_SOCK)", t.Device)
	}
	kh := t.KnownHosts
	if kh == "" {
		home, _ := os.UserHomeDir()
		kh = filepath.Join(home, ".ssh", "known_hosts")
	}
	return &ssh.ClientConfig{
		User:            t.User,
		Auth:            methods,
		HostKeyCallback: hostKeyCallback(kh, o.AcceptNewHostKeys),
		Timeout:         t.Timeout,
	}, closeAll, nil
}

func loadKey(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(expandHome(path))
	if err != nil {
		return nil, fmt.Errorf("key_file: %v", err)
	}
	s, err := ssh.ParsePrivateKey(data)
	var pp *ssh.PassphraseMissingError
	if errors.As(err, &pp) {
		return nil, fmt.Errorf("key_file %s is passphrase-protected: load it into an ssh agent (ssh-add) instead", path)
	}
	if err != nil {
		// the parser's message never quotes key bytes
		return nil, fmt.Errorf("key_file %s: %v", path, err)
	}
	return s, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// hostKeyCallback checks keys against the known_hosts file; unknown keys
// are refused unless accept, then appended (under a lock); changed keys are
// always refused.
func hostKeyCallback(file string, accept bool) ssh.HostKeyCallback {
	file = expandHome(file)
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		hostKeyMu.Lock()
		defer hostKeyMu.Unlock()
		cb, err := knownHostsDB(file)
		if err != nil && !(errors.Is(err, os.ErrNotExist) && accept) {
			return permanentError{fmt.Errorf("%w: known_hosts: %v", ErrHostKey, err)}
		}
		if err == nil {
			err = cb(hostname, remote, key)
			if err == nil {
				return nil
			}
			var ke *knownhosts.KeyError
			if !errors.As(err, &ke) {
				return permanentError{fmt.Errorf("%w: %v", ErrHostKey, err)}
			}
			if len(ke.Want) > 0 {
				return permanentError{fmt.Errorf("%w: %s presented %s %s, but %s:%d has a different key: possible man-in-the-middle; fix known_hosts if the device was replaced",
					ErrHostKey, hostname, key.Type(), ssh.FingerprintSHA256(key), ke.Want[0].Filename, ke.Want[0].Line)}
			}
		}
		if !accept {
			return permanentError{fmt.Errorf("%w: %s is not in %s (%s %s); check the fingerprint and re-run with --accept-new-hostkeys",
				ErrHostKey, hostname, file, key.Type(), ssh.FingerprintSHA256(key))}
		}
		return appendKnownHost(file, hostname, remote, key)
	}
}

// knownHostsCache keeps each parsed known_hosts file while its size and
// modification time are unchanged (a push reads it once per device).
var knownHostsCache = map[string]struct {
	size int64
	mod  time.Time
	cb   ssh.HostKeyCallback
}{}

// knownHostsDB parses file (cached); callers hold hostKeyMu.
func knownHostsDB(file string) (ssh.HostKeyCallback, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if c, ok := knownHostsCache[file]; ok && c.size == st.Size() && c.mod.Equal(st.ModTime()) {
		return c.cb, nil
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, err
	}
	knownHostsCache[file] = struct {
		size int64
		mod  time.Time
		cb   ssh.HostKeyCallback
	}{st.Size(), st.ModTime(), cb}
	return cb, nil
}

func appendKnownHost(file, hostname string, remote net.Addr, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return permanentError{err}
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return permanentError{fmt.Errorf("known_hosts: %v", err)}
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return permanentError{err}
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	// another process may have written it meanwhile
	if cb, err := knownhosts.New(file); err == nil && cb(hostname, remote, key) == nil {
		return nil
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		return permanentError{err}
	}
	return f.Sync()
}
