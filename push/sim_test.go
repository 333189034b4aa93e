package push_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/fwpol/fwpol/blocklist"
	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/internal/devsim"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/push"
	"github.com/fwpol/fwpol/vendors/registry"
)

// lab is an estate of simulated devices: inventory, configs, blocklist,
// client key and known_hosts in a temp dir.
type lab struct {
	t       testing.TB
	dir     string
	sim     *devsim.Sim
	hostKey ssh.Signer
	devs    map[string]*devsim.Device
	inv     strings.Builder
	cfgs    map[string]string
}

type simDev struct{ name, site, vendor, file string }

func newLab(t testing.TB, devs []simDev) *lab {
	t.Helper()
	dir := t.TempDir()
	_, hpriv, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, _ := ssh.NewSignerFromKey(hpriv)
	cpub, cpriv, _ := ed25519.GenerateKey(rand.Reader)
	blk, err := ssh.MarshalPrivateKey(cpriv, "fwpol-test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "id_fwpol"), pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(cpub)
	l := &lab{t: t, dir: dir, sim: devsim.New(hostKey, sshPub), hostKey: hostKey, devs: map[string]*devsim.Device{}, cfgs: map[string]string{}}
	t.Cleanup(l.sim.Close)
	sites := map[string]bool{}
	var kh strings.Builder
	l.inv.WriteString("devices:\n")
	for _, sd := range devs {
		text, err := os.ReadFile(sd.file)
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.sim.Add(sd.name, sd.vendor, "fwpol", string(text))
		if err != nil {
			t.Fatal(err)
		}
		l.devs[sd.name] = d
		l.cfgs[sd.name] = string(text)
		os.WriteFile(filepath.Join(dir, sd.name+".cfg"), text, 0o644)
		port := d.Addr[strings.LastIndexByte(d.Addr, ':')+1:]
		fmt.Fprintf(&l.inv, "  - name: %s\n    site: %s\n    vendor: %s\n    mgmt: 127.0.0.1\n    config: %s.cfg\n    transport: {user: fwpol, port: %s, key_file: id_fwpol, known_hosts: known_hosts, timeout: 5s}\n",
			sd.name, sd.site, sd.vendor, sd.name, port)
		kh.WriteString(knownhosts.Line([]string{knownhosts.Normalize(d.Addr)}, hostKey.PublicKey()) + "\n")
		sites[sd.site] = true
	}
	var s strings.Builder
	s.WriteString("sites:\n")
	for _, site := range sortedKeys(sites) {
		fmt.Fprintf(&s, "  - name: %s\n", site)
	}
	os.WriteFile(filepath.Join(dir, "fwpol.yaml"), []byte(s.String()+l.inv.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(kh.String()), 0o600)
	l.block("203.0.113.0/24", "100.64.0.1")
	return l
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func (l *lab) block(ranges ...string) {
	var b strings.Builder
	b.WriteString("version: 1\nnext_id: 2\nentries:\n  - id: B1\n    ranges: [")
	for i, r := range ranges {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", r)
	}
	b.WriteString("]\n    direction: both\n    reason: test\n    ticket: T-1\n")
	os.WriteFile(filepath.Join(l.dir, "blocklist.yaml"), []byte(b.String()), 0o644)
}

func (l *lab) plan() []*push.DevicePlan {
	l.t.Helper()
	var names []string
	for _, v := range registry.All() {
		names = append(names, v.Name)
	}
	inv, err := netdb.Load(filepath.Join(l.dir, "fwpol.yaml"), netdb.Options{KnownVendors: names, DeviceName: estate.DeviceName})
	if err != nil {
		l.t.Fatal(err)
	}
	est, err := estate.Load(nil, estate.Options{Inventory: inv})
	if err != nil {
		l.t.Fatal(err)
	}
	bl, err := blocklist.Load(filepath.Join(l.dir, "blocklist.yaml"))
	if err != nil {
		l.t.Fatal(err)
	}
	now := time.Now()
	return push.Plan(est.Configs, inv, bl.Active(now), now)
}

func (l *lab) opts() push.Options {
	return push.Options{Parallel: 4, User: "tester", LogPath: filepath.Join(l.dir, push.LogFile), InventoryDir: l.dir,
		SSH: push.SSHOptions{Retries: 2, Backoff: 10 * time.Millisecond, Timeout: 5 * time.Second}, ConfirmMinutes: 1}
}

func (l *lab) push(opt push.Options) *push.Summary {
	l.t.Helper()
	s, err := push.Push(context.Background(), l.plan(), opt)
	if err != nil {
		l.t.Fatal(err)
	}
	return s
}

func result(t testing.TB, s *push.Summary, dev string) push.Result {
	t.Helper()
	for _, r := range s.Results {
		if r.Device == dev {
			return r
		}
	}
	t.Fatalf("no result for %s", dev)
	return push.Result{}
}

// inSync re-plans from the device's running config: no commands means the
// device enforces the blocklist.
func (l *lab) pendingOn(name string) int {
	l.t.Helper()
	os.WriteFile(filepath.Join(l.dir, name+".cfg"), []byte(l.devs[name].Running()), 0o644)
	for _, p := range l.plan() {
		if p.DeviceChange.Device == name {
			if p.Error != "" {
				l.t.Fatalf("%s: %s", name, p.Error)
			}
			return len(p.Commands)
		}
	}
	l.t.Fatalf("no plan for %s", name)
	return 0
}

var moreVendors = []simDev{
	{"leaf1", "dc1", "nxos", "../testdata/cisco/nxos-leaf.cfg"},
	{"sw1", "dc1", "eos", "../testdata/cisco/eos-switch.cfg"},
}

var threeVendors = []simDev{
	{"edge1", "dc1", "junos", "../testdata/junos/policy.set"},
	{"rtr1", "dc1", "ios", "../testdata/cisco/ios-router.cfg"},
	{"fw1", "dc2", "asa", "../testdata/asa/policy.cfg"},
}
