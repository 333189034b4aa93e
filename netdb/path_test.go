package netdb

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/parser"
)

const pathInv = `sites:
  - name: dc1
    ranges: [10.1.0.0/16, 10.1.255.0/24]
    path: [c1, f1, e1]
  - name: dc2
    ranges: [10.2.0.0/16]
path_roles: [core, firewall, edge]
devices:
  - {name: c1, site: dc1, role: core, config: x.conf}
  - {name: f1, site: dc1, role: firewall, config: x.conf}
  - {name: e1, site: dc1, role: edge, config: x.conf}
  - {name: e2, site: dc2, role: edge, config: x.conf}
  - {name: f2, site: dc2, role: firewall, config: x.conf}
  - {name: c2, site: dc2, role: core, config: x.conf}
  - {name: h2, site: dc2, role: host, mgmt: 10.2.0.5, config: x.conf}
  - {name: r2, site: dc2, role: core, mgmt: 10.2.0.6, config: x.conf}
`

func TestSitePaths(t *testing.T) {
	dir := writeTree(t, map[string]string{"fwpol.yaml": pathInv, "x.conf": "x"})
	inv, err := Load(filepath.Join(dir, "fwpol.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := func(ds []*Device) string {
		var s []string
		for _, d := range ds {
			s = append(s, d.Name)
		}
		return strings.Join(s, " ")
	}
	if got := names(inv.SitePath("dc1")); got != "c1 f1 e1" {
		t.Fatalf("dc1 path %q", got)
	}
	// no path: by role order, then inventory order
	if got := names(inv.SitePath("dc2")); got != "c2 r2 f2 e2" {
		t.Fatalf("dc2 path %q", got)
	}
	if s := inv.SiteOf(netip.MustParseAddr("10.1.255.7")); s == nil || s.Name != "dc1" {
		t.Fatal("site of 10.1.255.7")
	}
	if inv.SiteOf(netip.MustParseAddr("192.0.2.1")) != nil {
		t.Fatal("outside every site")
	}
	if d := inv.DeviceOwning(netip.MustParseAddr("10.2.0.5")); d == nil || d.Name != "h2" {
		t.Fatal("owner of 10.2.0.5")
	}
	inv.PathRoles = []string{"edge"}
	if got := names(inv.SitePath("dc2")); got != "e2" {
		t.Fatalf("custom roles: %q", got)
	}
}

func TestSitePathErrorsArePositioned(t *testing.T) {
	cases := []struct {
		name, body string
		line, col  int
		want       string
	}{
		{"unknown device", strings.Replace(pathInv, "[c1, f1, e1]", "[c1, fx, e1]", 1), 4, 16, `unknown device "fx"`},
		{"other site", strings.Replace(pathInv, "[c1, f1, e1]", "[c1, f2, e1]", 1), 4, 16, `device "f2" is at site "dc2"`},
		{"twice", strings.Replace(pathInv, "[c1, f1, e1]", "[c1, f1, c1]", 1), 4, 20, `"c1" listed twice`},
		{"role twice", strings.Replace(pathInv, "[core, firewall, edge]", "[core, edge, core]", 1), 7, 26, `role "core" listed twice`},
		{"roles not a list", strings.Replace(pathInv, "[core, firewall, edge]", "core", 1), 7, 13, "must be a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"fwpol.yaml": tc.body, "x.conf": "x"})
			_, err := Load(filepath.Join(dir, "fwpol.yaml"), Options{})
			pe, ok := parser.AsError(err)
			if !ok || pe.Pos.Line != tc.line || pe.Pos.Col != tc.col || !strings.Contains(pe.Msg, tc.want) {
				t.Fatalf("got %v, want %d:%d %q", err, tc.line, tc.col, tc.want)
			}
		})
	}
}
