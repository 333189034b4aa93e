package netdb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/parser"
)

const good = `sites:
  - name: dc1
    description: Frankfurt
    ranges: [10.1.0.0/16, "2001:db8:1::/48"]
    infrastructure: [10.1.255.0/24]
  - name: dc2
    ranges: [10.2.0.0/16]
protected:
  - range: 192.0.2.0/24
    reason: payment partner
  - range: 10.1.255.53
    reason: resolver
devices:
  - name: dc1-edge1
    site: dc1
    role: edge
    vendor: junos
    mgmt: 10.1.255.1
    tags: [pci, internet]
    config: configs/edge1.conf
    transport:
      user: fwpol
      port: 22
      timeout: 30s
device_groups:
  - config: hosts/*.rules
    site: dc2
    role: host
    vendor: iptables
`

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadInventory(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"fwpol.yaml": good, "configs/edge1.conf": "x", "hosts/web1.rules": "x", "hosts/web2.rules": "x",
		"blocklist.yaml": "entries: []\n",
	})
	for _, path := range []string{filepath.Join(dir, "fwpol.yaml"), dir} {
		inv, err := Load(path, Options{KnownVendors: []string{"junos", "iptables"}, DeviceName: func(p string) string {
			return strings.TrimSuffix(filepath.Base(p), ".rules")
		}})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(inv.Sites) != 2 || len(inv.Devices) != 3 || len(inv.Protected) != 2 {
			t.Fatalf("sites %d devices %d protected %d", len(inv.Sites), len(inv.Devices), len(inv.Protected))
		}
		e := inv.Device("dc1-edge1")
		if e == nil || e.Mgmt.String() != "10.1.255.1" || e.Transport.Timeout.Seconds() != 30 || len(e.Files) != 1 {
			t.Fatalf("edge1: %+v", e)
		}
		if inv.Device("web2") == nil || inv.Device("web2").Site != "dc2" {
			t.Fatal("device group not expanded")
		}
		if inv.Protected[1].Prefix.String() != "10.1.255.53/32" {
			t.Fatal(inv.Protected[1].Prefix)
		}
		sel := inv.Select(Filter{Sites: []string{"dc2"}})
		if len(sel) != 2 || sel[0].Name != "web1" {
			t.Fatalf("select: %v", sel)
		}
	}
}

func TestInventoryErrorsArePositioned(t *testing.T) {
	cases := []struct {
		name, body string
		line, col  int
		want       string
	}{
		{"unknown key", strings.Replace(good, "    role: edge\n", "    role: edge\n    rack: 12\n", 1), 17, 5, `unknown key "rack"`},
		{"duplicate device", strings.Replace(good, "device_groups:", "  - name: dc1-edge1\n    site: dc1\n    config: configs/edge1.conf\ndevice_groups:", 1), 25, 11, `duplicate device "dc1-edge1"`},
		{"missing config", strings.Replace(good, "configs/edge1.conf", "configs/nope.conf", 1), 20, 13, "no such file"},
		{"bad mgmt", strings.Replace(good, "10.1.255.1\n", "10.1.255.300\n", 1), 18, 11, "bad management address"},
		{"bad range", strings.Replace(good, "10.2.0.0/16", "10.2.0.0/33", 1), 7, 14, "bad prefix"},
		{"host bits", strings.Replace(good, "10.2.0.0/16", "10.2.0.1/16", 1), 7, 14, "host bits"},
		{"unknown site", strings.Replace(good, "site: dc1\n", "site: dc9\n", 1), 15, 11, `unknown site "dc9"`},
		{"unknown vendor", strings.Replace(good, "vendor: junos", "vendor: junso", 1), 17, 13, `unknown vendor "junso"`},
		{"not yaml", "sites: [\n", 1, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"fwpol.yaml": tc.body, "configs/edge1.conf": "x", "hosts/a.rules": "x"})
			_, err := Load(filepath.Join(dir, "fwpol.yaml"), Options{KnownVendors: []string{"junos", "iptables"}})
			if err == nil {
				t.Fatal("expected an error")
			}
			pe, ok := parser.AsError(err)
			if !ok {
				t.Fatalf("not positioned: %v", err)
			}
			if pe.Pos.Line != tc.line || (tc.col != 0 && pe.Pos.Col != tc.col) || !strings.Contains(pe.Msg, tc.want) {
				t.Fatalf("got %v, want line %d col %d %q", err, tc.line, tc.col, tc.want)
			}
			if !strings.HasSuffix(pe.Pos.File, "fwpol.yaml") {
				t.Fatalf("file not named: %v", err)
			}
		})
	}
}
