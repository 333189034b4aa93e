package netns

import (
	"net/netip"
	"os/exec"
	"testing"
	"time"
)

func TestPairProbes(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	p, err := NewPair("nstest")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv, err := Serve(p.B, p.AddrB.Addr(), []uint16{8080}, []uint16{5353})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	b := p.AddrB.Addr()
	any := netip.AddrPortFrom(p.AddrA.Addr(), 0)
	const to = 400 * time.Millisecond
	check := func(name string, got Result, err error, want Result) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	r, err := ProbeTCP(p.A, any, netip.AddrPortFrom(b, 8080), to)
	check("tcp listener", r, err, Accepted)
	r, err = ProbeTCP(p.A, any, netip.AddrPortFrom(b, 8081), to)
	check("tcp closed port", r, err, Rejected)
	r, err = ProbeUDP(p.A, any, netip.AddrPortFrom(b, 5353), to)
	check("udp echo", r, err, Accepted)
	r, err = ProbeUDP(p.A, any, netip.AddrPortFrom(b, 5354), to)
	check("udp closed port", r, err, Rejected)
	// a second source address on A
	if err := p.AddAddr(p.A, "10.250.0.77/24"); err != nil {
		t.Fatal(err)
	}
	r, err = ProbeTCP(p.A, netip.MustParseAddrPort("10.250.0.77:0"), netip.AddrPortFrom(b, 8080), to)
	check("tcp from extra address", r, err, Accepted)

	if _, err := exec.LookPath("iptables-restore"); err != nil {
		return
	}
	rules := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 8080 -j DROP\nCOMMIT\n"
	if _, err := Run(p.B, []byte(rules), "iptables-restore"); err != nil {
		t.Skip(err)
	}
	r, err = ProbeTCP(p.A, any, netip.AddrPortFrom(b, 8080), to)
	check("tcp dropped", r, err, Dropped)
}

func TestCloseIdempotent(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	p, err := NewPair("nsclose")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); len(out) > 0 && contains(string(out), p.A) {
		t.Fatalf("namespace %s left behind", p.A)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
