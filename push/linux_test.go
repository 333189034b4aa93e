package push_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/push"
)

// linuxHost is a real Linux firewall host: namespace B of a veth pair
// runs the ruleset and Debian's sshd (listening on 10.250.0.2 inside the
// namespace only); pushes connect from namespace A.
type linuxHost struct {
	*lab
	pair *netns.Pair
}

func newLinuxHost(t *testing.T, vendor, ruleset string) *linuxHost {
	if err := netns.Available(); err != nil {
		t.Skip(err)
	}
	for _, bin := range []string{"/usr/sbin/sshd", "ssh-keygen", "nft", "iptables", "iptables-save", "iptables-restore", "ipset"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	p, err := netns.NewPair("fwpush")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.AddAddr(p.A, "10.250.0.30/24"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// keys: sshd's host key and the client key fwpol uses
	for _, k := range []string{"host_key", "id_fwpol"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "id_fwpol.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	hostPub, _ := os.ReadFile(filepath.Join(dir, "host_key.pub"))
	os.WriteFile(filepath.Join(dir, "known_hosts"), []byte("[10.250.0.2]:2222 "+string(hostPub)), 0o600)
	os.MkdirAll("/run/sshd", 0o755) // sshd's privilege-separation directory
	cfg := fmt.Sprintf("Port 2222\nListenAddress 10.250.0.2\nHostKey %s\nAuthorizedKeysFile %s\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile %s\nLogLevel ERROR\n",
		filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600)
	// the host's ruleset, loaded for real
	if vendor == "nftables" {
		if _, err := netns.Run(p.B, []byte(ruleset), "nft", "-f", "-"); err != nil {
			t.Fatal(err)
		}
	} else if _, err := netns.Run(p.B, []byte(ruleset), "iptables-restore"); err != nil {
		t.Fatal(err)
	}
	sshd := exec.Command("ip", "netns", "exec", p.B, "/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	var sshdLog strings.Builder
	sshd.Stderr = &sshdLog
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sshd: %s", sshdLog.String())
		}
	})
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sshd.Process.Kill(); sshd.Wait() })
	srv, err := netns.Serve(p.B, netip.MustParseAddr("10.250.0.2"), []uint16{8080}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, _ := netns.ProbeTCP(p.A, netip.MustParseAddrPort("10.250.0.1:0"), netip.MustParseAddrPort("10.250.0.2:2222"), 200*time.Millisecond)
		if r == netns.Accepted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sshd did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.WriteFile(filepath.Join(dir, "host.rules"), []byte(ruleset), 0o644)
	inv := fmt.Sprintf("sites:\n  - name: lab\ndevices:\n  - name: host1\n    site: lab\n    role: host\n    vendor: %s\n    mgmt: 10.250.0.2\n    config: host.rules\n    transport: {user: root, port: 2222, key_file: id_fwpol, known_hosts: known_hosts, timeout: 10s}\n", vendor)
	os.WriteFile(filepath.Join(dir, "fwpol.yaml"), []byte(inv), 0o644)
	l := &lab{t: t, dir: dir}
	l.block("10.250.0.30/32", "192.0.2.0/24")
	return &linuxHost{lab: l, pair: p}
}

func (h *linuxHost) opts() push.Options {
	o := h.lab.opts()
	o.SSH.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := netns.Do(h.pair.A, func() error {
			var err error
			c, err = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(10, 250, 0, 1)}}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
	return o
}

func (h *linuxHost) probe(src string) netns.Result {
	h.t.Helper()
	r, err := netns.ProbeTCP(h.pair.A, netip.AddrPortFrom(netip.MustParseAddr(src), 0), netip.MustParseAddrPort("10.250.0.2:8080"), 400*time.Millisecond)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

var linuxRulesets = []struct{ vendor, ruleset, tamper string }{
	{"nftables", "table inet filter {\n chain input {\n  type filter hook input priority filter; policy drop;\n  iifname \"lo\" accept\n  tcp dport { 2222, 8080 } accept\n }\n}\n",
		"nft insert rule inet filter input ip saddr 10.250.0.30 accept"},
	{"iptables", "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m multiport --dports 2222,8080 -j ACCEPT\nCOMMIT\n",
		"iptables -I INPUT 1 -s 10.250.0.30 -j ACCEPT"},
}

// TestPushLinuxOverRealSSH pushes the blocklist to real nftables and
// iptables hosts through Debian's sshd and proves with packets that the
// rules took effect.
func TestPushLinuxOverRealSSH(t *testing.T) {
	for _, tc := range linuxRulesets {
		t.Run(tc.vendor, func(t *testing.T) {
			h := newLinuxHost(t, tc.vendor, tc.ruleset)
			if h.probe("10.250.0.30") != netns.Accepted {
				t.Fatal("before: blocked source should pass")
			}
			plans := h.plan()
			if len(plans) != 1 || len(plans[0].Commands) == 0 || plans[0].Error != "" {
				t.Fatalf("plan: %+v", plans)
			}
			s, err := push.Push(context.Background(), plans, h.opts())
			if err != nil {
				t.Fatal(err)
			}
			r := result(t, s, "host1")
			if r.Status != push.StatusApplied || !r.Verified {
				t.Fatalf("%+v", r)
			}
			if got := h.probe("10.250.0.30"); got != netns.Dropped {
				t.Errorf("blocked source: %v, want dropped", got)
			}
			if got := h.probe("10.250.0.1"); got != netns.Accepted {
				t.Errorf("other source: %v, want accepted", got)
			}
			// pushing again: the host already enforces it (checked live)
			s, err = push.Push(context.Background(), plans, h.opts())
			if err != nil {
				t.Fatal(err)
			}
			if r := result(t, s, "host1"); r.Status != push.StatusInSync {
				t.Fatalf("second push: %+v", r)
			}
		})
	}
}

// TestPushLinuxFailedVerificationRestoresRuleset breaks the host between
// apply and verify; the saved ruleset must come back, proven by packets.
func TestPushLinuxFailedVerificationRestoresRuleset(t *testing.T) {
	for _, tc := range linuxRulesets {
		t.Run(tc.vendor, func(t *testing.T) {
			h := newLinuxHost(t, tc.vendor, tc.ruleset)
			opt := h.opts()
			var tampered bool
			opt.Fault = func(dev string, run func(string) (string, error)) {
				if _, err := run(tc.tamper); err != nil {
					t.Errorf("tamper: %v", err)
				}
				// in between, the change really is live: the block drops
				// 192.0.2.0/24 (not exercised) and the tamper lets .30 in
				tampered = true
			}
			s, err := push.Push(context.Background(), h.plan(), opt)
			if err != nil {
				t.Fatal(err)
			}
			r := result(t, s, "host1")
			if !tampered || r.Status != push.StatusRolledBack || !r.RolledBack || !strings.Contains(r.Error, "verification failed") {
				t.Fatalf("%+v", r)
			}
			// back to the original ruleset: no block, no tamper rule
			var out []byte
			if tc.vendor == "nftables" {
				out, _ = netns.Run(h.pair.B, nil, "nft", "list", "ruleset")
			} else {
				out, _ = netns.Run(h.pair.B, nil, "iptables-save")
				sets, _ := netns.Run(h.pair.B, nil, "ipset", "list", "-n")
				if strings.TrimSpace(string(sets)) != "" {
					t.Errorf("ipsets left after rollback: %s", sets)
				}
			}
			if strings.Contains(string(out), "FWPOL") || strings.Contains(string(out), "10.250.0.30") {
				t.Fatalf("ruleset not restored:\n%s", out)
			}
			if got := h.probe("10.250.0.30"); got != netns.Accepted {
				t.Errorf("after rollback the source should pass again: %v", got)
			}
			if n := len(h.plan()[0].Commands); n == 0 {
				t.Error("after rollback the change should be pending again")
			}
		})
	}
}
