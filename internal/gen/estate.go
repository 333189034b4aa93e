// Package gen writes deterministic synthetic estates for demos and
// benchmarks: four data centers, every supported vendor, an inventory.
package gen

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// Spec sizes an estate.
type Spec struct {
	Seed int64
	// Hosts is the number of Linux hosts (iptables and nftables, 4:1).
	Hosts int
	// EdgeTerms is the number of terms per Junos edge filter.
	EdgeTerms int
	// CoreEntries is the number of entries per IOS/NX-OS/EOS ACL.
	CoreEntries int
	// FirewallEntries is the number of ACL lines per ASA.
	FirewallEntries int
	// Intents is the number of standing intents written to intents.yaml.
	Intents int
}

// Demo is a small estate a newcomer can read (a few thousand lines).
var Demo = Spec{Seed: 1, Hosts: 40, EdgeTerms: 40, CoreEntries: 40, FirewallEntries: 60, Intents: 4}

// Large is the 850K-line, 37K-host estate of the performance targets.
var Large = Spec{Seed: 1, Hosts: 37200, EdgeTerms: 3500, CoreEntries: 2500, FirewallEntries: 5000, Intents: 200}

// Sites are the four data centers; each owns a 10.N.0.0/16 and a v6 /48.
var Sites = []struct {
	Name, Desc string
	Octet      int
}{{"dc1", "Frankfurt", 1}, {"dc2", "Amsterdam", 2}, {"dc3", "Ashburn", 3}, {"dc4", "Singapore", 4}}

// Stats reports what was written.
type Stats struct {
	Files, Lines, Devices, HostAddrs int
}

type writer struct {
	root  string
	stats *Stats
	err   error
}

func (w *writer) file(rel string, fn func(p func(format string, args ...any))) {
	if w.err != nil {
		return
	}
	path := filepath.Join(w.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.err = err
		return
	}
	f, err := os.Create(path)
	if err != nil {
		w.err = err
		return
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	lines := 0
	fn(func(format string, args ...any) {
		text := fmt.Sprintf(format, args...)
		bw.WriteString(text)
		bw.WriteByte('\n')
		lines += strings.Count(text, "\n") + 1
	})
	if err := bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	if err := f.Close(); err != nil && w.err == nil {
		w.err = err
	}
	w.stats.Files++
	w.stats.Lines += lines
}

// Write generates the estate under root (configs/ and fwpol.yaml).
func Write(root string, s Spec) (Stats, error) {
	st := &Stats{}
	w := &writer{root: root, stats: st}
	r := rand.New(rand.NewSource(s.Seed))
	inv := &invBuilder{}
	for _, site := range Sites {
		n := site.Octet
		inv.site(site.Name, site.Desc, n)
		for i := 1; i <= 2; i++ {
			name := fmt.Sprintf("%s-edge%d", site.Name, i)
			rel := fmt.Sprintf("configs/%s/%s.conf", site.Name, name)
			setFormat := i == 2
			w.file(rel, func(p func(string, ...any)) { junos(p, r, name, n, s.EdgeTerms, setFormat) })
			inv.device(name, site.Name, "edge", "junos", fmt.Sprintf("10.%d.255.%d", n, i), rel)
		}
		for i, v := range []string{"ios", "nxos", "eos"} {
			name := fmt.Sprintf("%s-core%d", site.Name, i+1)
			rel := fmt.Sprintf("configs/%s/%s.cfg", site.Name, name)
			w.file(rel, func(p func(string, ...any)) { cisco(p, r, v, name, n, s.CoreEntries) })
			inv.device(name, site.Name, "core", v, fmt.Sprintf("10.%d.255.%d", n, 10+i), rel)
		}
		name := site.Name + "-fw1"
		rel := fmt.Sprintf("configs/%s/%s.cfg", site.Name, name)
		w.file(rel, func(p func(string, ...any)) { asa(p, r, name, n, s.FirewallEntries) })
		inv.device(name, site.Name, "firewall", "asa", fmt.Sprintf("10.%d.255.20", n), rel)
		st.Devices += 6
	}
	perSite := s.Hosts / len(Sites)
	for _, site := range Sites {
		n := site.Octet
		before := st.Lines
		w.file(fmt.Sprintf("configs/%s/hosts.csv", site.Name), func(p func(string, ...any)) {
			p("name,addresses")
			for h := 0; h < perSite; h++ {
				p("%s-h%05d,%s", site.Name, h, hostAddr(n, h))
			}
		})
		st.Lines = before // an address list, not config
		for h := 0; h < perSite; h++ {
			addr := hostAddr(n, h)
			st.HostAddrs++
			if h%5 == 4 {
				rel := fmt.Sprintf("configs/%s/hosts/h%05d.nft", site.Name, h)
				w.file(rel, func(p func(string, ...any)) { nft(p, r, n, addr, h) })
			} else {
				rel := fmt.Sprintf("configs/%s/hosts/h%05d.rules", site.Name, h)
				w.file(rel, func(p func(string, ...any)) { iptables(p, r, n, addr, h) })
			}
			st.Devices++
		}
		hosts := fmt.Sprintf("configs/%s/hosts.csv", site.Name)
		inv.group(site.Name, fmt.Sprintf("configs/%s/hosts/*.rules", site.Name), "iptables", site.Name+"-", hosts)
		inv.group(site.Name, fmt.Sprintf("configs/%s/hosts/*.nft", site.Name), "nftables", site.Name+"-", hosts)
	}
	before := st.Lines
	w.file("fwpol.yaml", func(p func(string, ...any)) { inv.write(p) })
	st.Lines = before // the inventory is not config
	if s.Intents > 0 {
		before = st.Lines
		w.file("intents.yaml", func(p func(string, ...any)) { intents(p, s.Intents) })
		st.Lines = before // intents are not config
	}
	return *st, w.err
}

// hostAddr gives host h of site n a distinct address in 10.n.16.0/20+.
func hostAddr(n, h int) string {
	return fmt.Sprintf("10.%d.%d.%d", n, 16+h/250, 1+h%250)
}

type invBuilder struct {
	sites, devices, groups []string
}

func (b *invBuilder) site(name, desc string, n int) {
	b.sites = append(b.sites, fmt.Sprintf("  - name: %s\n    description: %s\n    ranges: [10.%d.0.0/16, \"2001:db8:%d::/48\"]\n    infrastructure: [10.%d.255.0/24]", name, desc, n, n, n))
}

func (b *invBuilder) device(name, site, role, vendor, mgmt, rel string) {
	b.devices = append(b.devices, fmt.Sprintf("  - name: %s\n    site: %s\n    role: %s\n    vendor: %s\n    mgmt: %s\n    config: %s", name, site, role, vendor, mgmt, rel))
}

func (b *invBuilder) group(site, glob, vendor, prefix, hosts string) {
	b.groups = append(b.groups, fmt.Sprintf("  - config: %s\n    site: %s\n    role: host\n    vendor: %s\n    name_prefix: %s\n    hosts_file: %s", glob, site, vendor, prefix, hosts))
}

func (b *invBuilder) write(p func(string, ...any)) {
	emit := func(s string) { p("%s", s) }
	emit("# Generated by fwpol dev gen-estate: four data centers, every vendor.")
	emit("sites:")
	for _, s := range b.sites {
		emit(s)
	}
	emit("protected:\n  - range: 192.0.2.0/24\n    reason: payment partner\n  - range: 198.51.100.53\n    reason: upstream resolver")
	emit("devices:")
	for _, d := range b.devices {
		emit(d)
	}
	emit("device_groups:")
	for _, g := range b.groups {
		emit(g)
	}
}

// pick helpers --------------------------------------------------------------

var servicePorts = []int{22, 25, 53, 80, 123, 161, 389, 443, 636, 1433, 3306, 5432, 6379, 8080, 8443, 9090, 9100}

func port(r *rand.Rand) int { return servicePorts[r.Intn(len(servicePorts))] }

// internalNet is a random /24../32 inside site n.
func internalNet(r *rand.Rand, n int) string {
	bits := 24 + r.Intn(9)
	a := fmt.Sprintf("10.%d.%d.%d", n, r.Intn(256), r.Intn(256))
	return maskCIDR(a, bits)
}

// externalNet is a random public-looking /16../32.
func externalNet(r *rand.Rand) string {
	bits := 16 + r.Intn(17)
	a := fmt.Sprintf("%d.%d.%d.%d", 11+r.Intn(180), r.Intn(256), r.Intn(256), r.Intn(256))
	return maskCIDR(a, bits)
}

func maskCIDR(a string, bits int) string {
	var o [4]int
	fmt.Sscanf(a, "%d.%d.%d.%d", &o[0], &o[1], &o[2], &o[3])
	v := uint32(o[0])<<24 | uint32(o[1])<<16 | uint32(o[2])<<8 | uint32(o[3])
	if bits < 32 {
		v &= ^uint32(0) << (32 - bits)
	}
	return fmt.Sprintf("%d.%d.%d.%d/%d", v>>24, v>>16&255, v>>8&255, v&255, bits)
}

// wildcardOf turns "a.b.c.d/len" into "a.b.c.d w.x.y.z" (Cisco wildcard).
func wildcardOf(cidr string) string {
	var o [4]int
	var bits int
	fmt.Sscanf(cidr, "%d.%d.%d.%d/%d", &o[0], &o[1], &o[2], &o[3], &bits)
	if bits == 32 {
		return fmt.Sprintf("host %d.%d.%d.%d", o[0], o[1], o[2], o[3])
	}
	m := ^(^uint32(0) << (32 - bits))
	return fmt.Sprintf("%d.%d.%d.%d %d.%d.%d.%d", o[0], o[1], o[2], o[3], m>>24, m>>16&255, m>>8&255, m&255)
}

func netmaskOf(cidr string) string {
	var o [4]int
	var bits int
	fmt.Sscanf(cidr, "%d.%d.%d.%d/%d", &o[0], &o[1], &o[2], &o[3], &bits)
	if bits == 32 {
		return fmt.Sprintf("host %d.%d.%d.%d", o[0], o[1], o[2], o[3])
	}
	m := ^uint32(0) << (32 - bits)
	return fmt.Sprintf("%d.%d.%d.%d %d.%d.%d.%d", o[0], o[1], o[2], o[3], m>>24, m>>16&255, m>>8&255, m&255)
}

// intents writes n standing intents cycling through the kinds a team keeps:
// no telnet on network devices, management SSH to each site's edges,
// partners never reaching databases, hosts serving HTTPS to their site.
func intents(p func(string, ...any), n int) {
	p("intents:")
	for i := 0; i < n; i++ {
		site := Sites[i%len(Sites)]
		switch i % 4 {
		case 0:
			p("  - name: no-telnet-%d\n    owner: secops\n    reason: telnet is cleartext\n    scope: {roles: [edge, core, firewall]}\n    match: {protocol: tcp, dport: 23}\n    expect: deny", i)
		case 1:
			p("  - name: mgmt-ssh-%s-%d\n    owner: netops\n    scope: {sites: [%s], roles: [edge]}\n    match: {protocol: tcp, src: 10.%d.255.0/24, dport: 22}\n    expect: permit", site.Name, i, site.Name, site.Octet)
		case 2:
			p("  - name: partner-no-db-%d\n    owner: dba\n    match: {protocol: tcp, src: protected, dport: [5432, 3306]}\n    expect: deny", i)
		default:
			p("  - name: hosts-serve-https-%s-%d\n    owner: web\n    scope: {sites: [%s], roles: [host]}\n    match: {protocol: tcp, src: site:%s, dport: 443}\n    expect: reachable", site.Name, i, site.Name, site.Name)
		}
	}
}
