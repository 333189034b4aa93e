package nftables

// Kernel ground truth: fixtures are validated by the real nft, loaded into
// throw-away network namespaces, dumped back and re-parsed, and for the
// kernel-*.nft fixtures real packets are sent across a veth pair and the
// kernel's verdicts compared with fwpol's. Everything happens inside
// namespaces created here (10.251.0.0/24 and fd00:251::/64 only); tests skip cleanly when not
// root or when nft/ip/namespaces are unavailable.

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fwpol/fwpol/policy"
)

const helperEnv = "FWPOL_NFT_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "listen":
		helperListen()
		os.Exit(0)
	case "probe":
		helperProbe()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var nsSeq atomic.Int32

// netns creates a namespace that is deleted when the test ends, or skips.
func netns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	name := fmt.Sprintf("fwpolnft%d-%d", os.Getpid(), nsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("network namespaces unavailable: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}

func inNS(ns string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
}

func run(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
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
		run(t, inNS(ns, "nft", "-I", dir, "-c", "-f", abs))
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
	run(t, inNS(ns, "nft", "-c", "-f", gen))
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
		run(t, inNS(ns, "nft", "flush", "ruleset"))
		run(t, inNS(ns, "nft", "-I", dir, "-f", abs))
		for _, args := range [][]string{{"list", "ruleset"}, {"-a", "list", "ruleset"}} {
			dump := run(t, inNS(ns, append([]string{"nft"}, args...)...))
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
	rx := netns(t)
	tx := netns(t)
	run(t, exec.Command("ip", "link", "add", "fwk1", "netns", tx, "type", "veth", "peer", "name", "fwk0", "netns", rx))
	run(t, exec.Command("ip", "-n", rx, "addr", "add", "10.251.0.2/24", "dev", "fwk0"))
	run(t, exec.Command("ip", "-n", tx, "addr", "add", "10.251.0.1/24", "dev", "fwk1"))
	for _, a := range []string{"10", "20", "30", "40", "50", "51", "66"} {
		run(t, exec.Command("ip", "-n", tx, "addr", "add", "10.251.0."+a+"/24", "dev", "fwk1"))
	}
	run(t, exec.Command("ip", "-n", rx, "addr", "add", "fd00:251::2/64", "dev", "fwk0", "nodad"))
	for _, a := range []string{"1", "10"} {
		run(t, exec.Command("ip", "-n", tx, "addr", "add", "fd00:251::"+a+"/64", "dev", "fwk1", "nodad"))
	}
	for _, ns := range []string{rx, tx} {
		run(t, exec.Command("ip", "-n", ns, "link", "set", "lo", "up"))
	}
	run(t, exec.Command("ip", "-n", rx, "link", "set", "fwk0", "up"))
	run(t, exec.Command("ip", "-n", tx, "link", "set", "fwk1", "up"))

	// Listener in the receiver namespace on every port any suite probes.
	tcpPorts, udpPorts := map[uint16]bool{}, map[uint16]bool{}
	for _, s := range suites {
		for _, f := range s.flows {
			if f.proto == tcp {
				tcpPorts[f.port] = true
			} else {
				udpPorts[f.port] = true
			}
		}
	}
	var spec []string
	for p := range tcpPorts {
		spec = append(spec, fmt.Sprintf("tcp:%d", p))
	}
	for p := range udpPorts {
		spec = append(spec, fmt.Sprintf("udp:%d", p))
	}
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	lis := inNS(rx, self, "-test.run=^$")
	lis.Env = append(os.Environ(), helperEnv+"=listen", "FWPOL_NFT_PORTS="+strings.Join(spec, ","))
	stdin, _ := lis.StdinPipe()
	stdout, _ := lis.StdoutPipe()
	lis.Stderr = os.Stderr
	if err := lis.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { lis.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			lis.Process.Kill()
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case l := <-ready:
		if strings.TrimSpace(l) != "ready" {
			t.Fatalf("listener: %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not start")
	}

	dir := absFixtures(t)
	for _, s := range suites {
		s := s
		t.Run(s.fixture, func(t *testing.T) {
			abs := filepath.Join(dir, s.fixture)
			run(t, inNS(rx, "nft", "-f", abs))
			cfg := parseFixture(t, s.fixture)
			var lines []string
			for _, f := range s.flows {
				p := "tcp"
				if f.proto == udp {
					p = "udp"
				}
				src, dst := "10.251.0."+f.src, "10.251.0.2"
				if strings.Contains(f.src, ":") {
					src, dst = f.src, "fd00:251::2"
				}
				lines = append(lines, fmt.Sprintf("%s %s %s %d", p, src, dst, f.port))
			}
			probe := inNS(tx, self, "-test.run=^$")
			probe.Env = append(os.Environ(), helperEnv+"=probe", "FWPOL_NFT_FLOWS="+strings.Join(lines, ";"))
			out, err := probe.Output()
			if err != nil {
				t.Fatalf("probe: %v", err)
			}
			got := strings.Fields(string(out))
			if len(got) != len(s.flows) {
				t.Fatalf("probe returned %q", out)
			}
			for i, f := range s.flows {
				kernel, _ := policy.ParseAction(got[i])
				w := strings.Fields(lines[i])
				fl := &policy.Flow{Proto: f.proto, Src: netip.MustParseAddr(w[1]), Dst: netip.MustParseAddr(w[2]),
					SrcPort: 40000, DstPort: f.port, InIface: "fwk0"}
				d, _ := CombinedVerdict(cfg, "input", fl)
				if kernel != f.want {
					t.Errorf("%s: kernel says %v, fixture expects %v (%s)", lines[i], kernel, f.want, f.why)
				}
				if d.Action != kernel {
					t.Errorf("%s: fwpol says %v, kernel %v (%s) trail %+v", lines[i], d.Action, kernel, f.why, d.Trail)
				}
			}
		})
	}
}

// helperListen accepts TCP connections and echoes UDP datagrams on the
// ports in FWPOL_NFT_PORTS until stdin closes (or a minute passes).
func helperListen() {
	var closers []func()
	for _, spec := range strings.Split(os.Getenv("FWPOL_NFT_PORTS"), ",") {
		proto, port, _ := strings.Cut(spec, ":")
		switch proto {
		case "tcp":
			l, err := net.Listen("tcp", ":"+port)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			closers = append(closers, func() { l.Close() })
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
		case "udp":
			pc, err := net.ListenPacket("udp", ":"+port)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			closers = append(closers, func() { pc.Close() })
			go func() {
				buf := make([]byte, 512)
				for {
					n, a, err := pc.ReadFrom(buf)
					if err != nil {
						return
					}
					pc.WriteTo(buf[:n], a)
				}
			}()
		}
	}
	fmt.Println("ready")
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 16)
		for {
			if _, err := os.Stdin.Read(buf); err != nil {
				close(done)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
	}
	for _, c := range closers {
		c()
	}
}

// helperProbe sends one connection attempt per flow in FWPOL_NFT_FLOWS
// ("tcp SRC DST PORT;...") concurrently and prints permit, reject (refused
// or unreachable) or deny (no answer) per flow, in order.
func helperProbe() {
	specs := strings.Split(os.Getenv("FWPOL_NFT_FLOWS"), ";")
	res := make([]string, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Add(1)
		go func(i int, f []string) {
			defer wg.Done()
			res[i] = probeOne(f[0], f[1], f[2], f[3])
		}(i, strings.Fields(spec))
	}
	wg.Wait()
	fmt.Println(strings.Join(res, "\n"))
}

const probeTimeout = 2500 * time.Millisecond

func classify(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "permit"
	case errors.As(err, &ne) && ne.Timeout():
		return "deny"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EACCES):
		return "reject"
	}
	return "error:" + strings.ReplaceAll(err.Error(), " ", "_")
}

func probeOne(proto, src, dst, port string) string {
	addr := net.JoinHostPort(dst, port)
	if proto == "tcp" {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: probeTimeout}
		c, err := d.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return classify(err)
	}
	d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("udp", addr)
	if err != nil {
		return classify(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(probeTimeout))
	if _, err := c.Write([]byte("fwpol")); err != nil {
		return classify(err)
	}
	buf := make([]byte, 64)
	_, err = c.Read(buf)
	return classify(err)
}
