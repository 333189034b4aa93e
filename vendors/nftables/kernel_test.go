package nftables

// Kernel ground truth: fixtures are validated by the real nft, loaded into
// throw-away network namespaces (internal/netns), dumped back and
// re-parsed, and for the kernel-*.nft fixtures real packets are sent across
// a veth pair and the kernel's verdicts compared with fwpol's. Everything
// happens inside namespaces created here (10.251.0.0/24 and fd00:251::/64
// only); tests skip cleanly when not root or when nft/ip/namespaces are
// unavailable.

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	nsx "github.com/fwpol/fwpol/internal/netns"
	"github.com/fwpol/fwpol/policy"
)

// netns creates a namespace that is deleted when the test ends, or skips.
func netns(t *testing.T) string {
	t.Helper()
	if err := nsx.Available(); err != nil {
		t.Skip(err)
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed")
	}
	name, remove, err := nsx.New("fwpolnft")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { remove() })
	return name
}

// nft runs nft with args in namespace ns and returns its output.
func nft(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := nsx.Run(ns, nil, "nft", args...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func absFixtures(t *testing.T) string {
	d, err := filepath.Abs(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFixturesValidWithNft(t *testing.T) {
	ns := netns(t)
	dir := absFixtures(t)
	for _, f := range fixtureFiles(t) {
		abs, _ := filepath.Abs(f)
		nft(t, ns, "-I", dir, "-c", "-f", abs)
	}
	// the generated ruleset is valid nft too
	gen := filepath.Join(t.TempDir(), "gen.nft")
	fh, err := os.Create(gen)
	if err != nil {
		t.Fatal(err)
	}
	if err := GenerateConfig(fh, 200, 3); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	nft(t, ns, "-c", "-f", gen)
}

// sampleFlows covers the addresses, ports and interfaces the fixtures use.
func sampleFlows() []*policy.Flow {
	srcs := []string{"10.251.0.1", "10.251.0.66", "10.10.0.5", "10.10.50.5", "10.10.99.5", "10.10.1.5", "192.0.2.3",
		"203.0.113.9", "198.51.100.9", "192.0.2.66", "8.8.8.8", "172.16.10.10", "10.30.0.15", "127.0.0.1",
		"2001:db8::1", "2001:db8:100:ff::9", "2001:db8:a:1::5", "fe80::1"}
	dsts4 := []string{"192.0.2.100", "172.16.10.10", "10.1.1.1", "192.0.2.255"}
	dsts6 := []string{"2001:db8::2", "2001:dead::2"}
	ports := []uint16{22, 23, 25, 53, 68, 80, 123, 443, 5353, 5432, 7001, 7002, 7100, 7501, 8001, 8050, 8443, 9100, 9999, 33500}
	ifaces := []string{"", "lo", "eth0", "eth1", "eth2", "fwk0", "wg0"}
	var out []*policy.Flow
	for _, s := range srcs {
		src := netip.MustParseAddr(s)
		dsts := dsts4
		if src.Is6() {
			dsts = dsts6
		}
		for _, d := range dsts {
			dst := netip.MustParseAddr(d)
			for i, in := range ifaces {
				out2 := ifaces[(i+1)%len(ifaces)]
				for _, p := range ports {
					for _, proto := range []uint8{tcp, udp} {
						out = append(out, &policy.Flow{Proto: proto, Src: src, Dst: dst, SrcPort: 67, DstPort: p, InIface: in, OutIface: out2})
					}
				}
				ip := uint8(icmp)
				if src.Is6() {
					ip = icm6
				}
				for _, ty := range []uint8{8, 128, 135, 13} {
					out = append(out, &policy.Flow{Proto: ip, Src: src, Dst: dst, ICMPType: ty, InIface: in})
				}
				out = append(out, &policy.Flow{Proto: policy.ProtoGRE, Src: src, Dst: dst, InIface: in, OutIface: out2})
			}
		}
	}
	return out
}

// TestKernelDumpsParse loads every fixture into a namespace, dumps it with
// "nft list ruleset" and "nft -a list ruleset" and checks that the dumps
// (nft's canonical form) parse to the same filters and decisions.
func TestKernelDumpsParse(t *testing.T) {
	ns := netns(t)
	dir := absFixtures(t)
	flows := sampleFlows()
	for _, f := range fixtureFiles(t) {
		name := filepath.Base(f)
		abs, _ := filepath.Abs(f)
		orig := parseFixture(t, name)
		nft(t, ns, "flush", "ruleset")
		nft(t, ns, "-I", dir, "-f", abs)
		for _, args := range [][]string{{"list", "ruleset"}, {"-a", "list", "ruleset"}} {
			dump := nft(t, ns, args...)
			label := name + " (nft " + strings.Join(args, " ") + ")"
			cfg, err := Parse("dump-"+name, []byte(dump))
			if err != nil {
				t.Errorf("%s: %v\n%s", label, err, dump)
				continue
			}
			if len(cfg.Filters) != len(orig.Filters) {
				t.Errorf("%s: %d filters, source has %d", label, len(cfg.Filters), len(orig.Filters))
				continue
			}
			if len(cfg.Warnings) != len(orig.Warnings) {
				t.Errorf("%s: warnings %v, source %v", label, cfg.Warnings, orig.Warnings)
			}
			for i, of := range orig.Filters {
				df := cfg.Filters[i]
				if df.Name != of.Name || df.Entry != of.Entry || df.Default != of.Default || df.Meta["priority"] != of.Meta["priority"] || len(df.Rules) != len(of.Rules) {
					t.Errorf("%s: filter %s/%d rules vs source %s/%d rules", label, df.Name, len(df.Rules), of.Name, len(of.Rules))
					continue
				}
				if args[0] == "-a" {
					for _, r := range df.Rules {
						if _, err := strconv.Atoi(r.Name); err != nil || r.Name == "" {
							t.Errorf("%s: rule name %q is not a handle", label, r.Name)
						}
					}
				}
				if !of.Entry {
					continue
				}
				for _, fl := range flows {
					a, b := orig.Decide(of, fl), cfg.Decide(df, fl)
					if a.Action != b.Action || a.Default != b.Default || len(a.Trail) != len(b.Trail) {
						t.Errorf("%s: %s %+v: source %v (default %v), dump %v (default %v)", label, of.Name, *fl, a.Action, a.Default, b.Action, b.Default)
						break
					}
				}
			}
		}
	}
}

type kflow struct {
	proto uint8
	src   string // last octet in 10.251.0.0/24, or an IPv6 address
	port  uint16
	want  policy.Action
	why   string
}

func TestKernelVerdicts(t *testing.T) {
	suites := []struct {
		fixture string
		flows   []kflow
	}{
		{"kernel-host.nft", []kflow{
			{tcp, "1", 8001, policy.Permit, "named inet_service interval set"},
			{tcp, "66", 8001, policy.Deny, "named address set drop"},
			{tcp, "1", 7001, policy.Reject, "reject with tcp reset"},
			{tcp, "1", 7002, policy.Deny, "drop"},
			{udp, "1", 5353, policy.Permit, "udp accept"},
			{udp, "1", 7400, policy.Reject, "udp reject (icmpx port-unreachable)"},
			{tcp, "10", 7500, policy.Permit, "vmap jump, accept in chain"},
			{tcp, "10", 7501, policy.Permit, "vmap jump, return, later accept"},
			{tcp, "20", 7601, policy.Deny, "vmap goto, falling off applies the base policy"},
			{tcp, "20", 7600, policy.Permit, "vmap goto, accept in chain"},
			{tcp, "1", 7601, policy.Permit, "no vmap element: later rule"},
			{tcp, "30", 7100, policy.Deny, "vmap drop"},
			{tcp, "1", 7100, policy.Permit, "jump, return, accept"},
			{tcp, "40", 7100, policy.Deny, "jump, drop in chain"},
			{tcp, "1", 7200, policy.Permit, "ct state new"},
			{tcp, "1", 7300, policy.Deny, "ct state established never matches a new flow"},
			{tcp, "1", 7700, policy.Permit, "iifname"},
			{tcp, "1", 7701, policy.Deny, "iifname !="},
			{udp, "1", 9999, policy.Deny, "chain policy"},
			{tcp, "50", 7900, policy.Permit, "named verdict map accept"},
			{tcp, "51", 7900, policy.Deny, "named verdict map drop"},
			{tcp, "1", 7900, policy.Deny, "no map element: next rules, then policy"},
			{tcp, "1", 7901, policy.Permit, "interface set"},
		}},
		{"kernel-dual.nft", []kflow{
			{tcp, "1", 7800, policy.Permit, "IPv4 accept"},
			{tcp, "fd00:251::1", 7800, policy.Permit, "ip saddr != never matches IPv6"},
			{tcp, "fd00:251::10", 7800, policy.Deny, "ip6 saddr drop"},
			{tcp, "1", 7801, policy.Deny, "meta nfproto ipv6 excludes IPv4"},
			{tcp, "fd00:251::1", 7801, policy.Permit, "meta nfproto ipv6"},
			{tcp, "1", 7802, policy.Permit, "ip protocol tcp"},
			{tcp, "fd00:251::1", 7802, policy.Deny, "ip protocol never matches IPv6"},
			{udp, "fd00:251::1", 7803, policy.Permit, "th dport over IPv6"},
			{udp, "1", 7803, policy.Permit, "ip6 daddr != never matches IPv4"},
		}},
		{"kernel-multi.nft", []kflow{
			{tcp, "1", 7001, policy.Deny, "drop in the first base chain"},
			{tcp, "1", 7002, policy.Deny, "accept in the first chain, dropped by the second's policy"},
			{tcp, "1", 8001, policy.Permit, "accepted by both chains"},
			{tcp, "1", 7003, policy.Permit, "first chain's policy accept, second accepts"},
			{udp, "1", 5353, policy.Permit, "udp accepted by both"},
			{udp, "1", 7400, policy.Reject, "reject in the first chain is final"},
			{tcp, "66", 8001, policy.Reject, "reject by source in the first chain"},
			{udp, "1", 9999, policy.Deny, "second chain's policy"},
		}},
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed")
	}
	// the fixtures match the receiver's interface by name (fwk0)
	pair, err := nsx.NewPairWith("nftk", nsx.PairOptions{IfA: "fwk1", IfB: "fwk0",
		AddrA: netip.MustParsePrefix("10.251.0.1/24"), AddrB: netip.MustParsePrefix("10.251.0.2/24")})
	if err != nil {
		t.Skip(err)
	}
	defer pair.Close()
	rx, tx := pair.B, pair.A
	for _, a := range []string{"10", "20", "30", "40", "50", "51", "66"} {
		if err := pair.AddAddr(tx, "10.251.0."+a+"/24"); err != nil {
			t.Fatal(err)
		}
	}
	rx6 := netip.MustParseAddr("fd00:251::2")
	if err := pair.AddAddr(rx, "fd00:251::2/64"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"1", "10"} {
		if err := pair.AddAddr(tx, "fd00:251::"+a+"/64"); err != nil {
			t.Fatal(err)
		}
	}

	// Listeners in the receiver namespace on every port any suite probes.
	var tcpPorts, udpPorts []uint16
	seen := map[[2]uint16]bool{}
	for _, s := range suites {
		for _, f := range s.flows {
			k := [2]uint16{uint16(f.proto), f.port}
			if seen[k] {
				continue
			}
			seen[k] = true
			if f.proto == tcp {
				tcpPorts = append(tcpPorts, f.port)
			} else {
				udpPorts = append(udpPorts, f.port)
			}
		}
	}
	for _, addr := range []netip.Addr{pair.AddrB.Addr(), rx6} {
		srv, err := nsx.Serve(rx, addr, tcpPorts, udpPorts)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
	}

	dir := absFixtures(t)
	for _, s := range suites {
		s := s
		t.Run(s.fixture, func(t *testing.T) {
			abs := filepath.Join(dir, s.fixture)
			nft(t, rx, "-f", abs)
			cfg := parseFixture(t, s.fixture)
			ends := func(f kflow) (src, dst netip.Addr) {
				if strings.Contains(f.src, ":") {
					return netip.MustParseAddr(f.src), rx6
				}
				return netip.MustParseAddr("10.251.0." + f.src), pair.AddrB.Addr()
			}
			// probe every flow at once: a dropped one waits for the timeout
			got := make([]nsx.Result, len(s.flows))
			errs := make([]error, len(s.flows))
			var wg sync.WaitGroup
			for i, f := range s.flows {
				src, dst := ends(f)
				wg.Add(1)
				go func() {
					defer wg.Done()
					from, to := netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, f.port)
					if f.proto == tcp {
						got[i], errs[i] = nsx.ProbeTCP(tx, from, to, probeTimeout)
					} else {
						got[i], errs[i] = nsx.ProbeUDP(tx, from, to, probeTimeout)
					}
				}()
			}
			wg.Wait()
			verdict := map[nsx.Result]policy.Action{nsx.Accepted: policy.Permit, nsx.Rejected: policy.Reject, nsx.Dropped: policy.Deny}
			for i, f := range s.flows {
				src, dst := ends(f)
				label := fmt.Sprintf("%d %s -> %s:%d", f.proto, src, dst, f.port)
				if errs[i] != nil {
					t.Fatalf("%s: probe: %v", label, errs[i])
				}
				kernel := verdict[got[i]]
				fl := &policy.Flow{Proto: f.proto, Src: src, Dst: dst, SrcPort: 40000, DstPort: f.port, InIface: pair.IfB}
				d, _ := CombinedVerdict(cfg, "input", fl)
				if kernel != f.want {
					t.Errorf("%s: kernel says %v, fixture expects %v (%s)", label, kernel, f.want, f.why)
				}
				if d.Action != kernel {
					t.Errorf("%s: fwpol says %v, kernel %v (%s) trail %+v", label, d.Action, kernel, f.why, d.Trail)
				}
			}
		})
	}
}

const probeTimeout = 1500 * time.Millisecond
