// Package netns is test support for kernel ground truth: it creates pairs of
// Linux network namespaces joined by a veth link, runs commands inside a
// namespace (ip netns exec) and sends TCP/UDP probes from one namespace to
// the other, so vendor tests can compare a parsed ruleset's decisions with
// what the kernel really does.
//
// Everything it creates lives in namespaces it made itself; addresses are
// only ever assigned inside them (10.250.0.0/24 by default), so no probe
// can leave the machine. It needs root and the ip binary; tests call
// Available and skip when it returns an error.
package netns

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	availOnce sync.Once
	availErr  error
	counter   atomic.Uint32
)

// Available reports why network namespaces cannot be used here (nil when
// they can): not root, no ip binary, or namespace creation refused.
func Available() error {
	availOnce.Do(func() {
		if os.Geteuid() != 0 {
			availErr = errors.New("netns: needs root")
			return
		}
		if _, err := exec.LookPath("ip"); err != nil {
			availErr = errors.New("netns: no ip binary")
			return
		}
		name := uniqueName("fwchk")
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			availErr = fmt.Errorf("netns: ip netns add: %v: %s", err, bytes.TrimSpace(out))
			return
		}
		exec.Command("ip", "netns", "del", name).Run()
	})
	return availErr
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, os.Getpid()%100000, counter.Add(1))
}

// Pair is two namespaces, A (sender) and B (receiver), joined by a veth pair.
type Pair struct {
	A, B         string // namespace names
	IfA, IfB     string // veth interface names (inside A and B)
	AddrA, AddrB netip.Prefix
	closed       bool
}

// NewPair creates two fresh namespaces named after prefix (unique per
// process and call), joins them with a veth pair addressed
// 10.250.0.1/24 (A) and 10.250.0.2/24 (B), and brings the links up. Close
// removes everything.
func NewPair(prefix string) (*Pair, error) { return NewPairWith(prefix, PairOptions{}) }

// PairOptions override NewPair's defaults.
type PairOptions struct {
	// IfA and IfB name the veth ends (fixtures that match on an interface
	// name need a fixed one; the namespaces keep them apart).
	IfA, IfB string
	// AddrA and AddrB are the ends' first addresses.
	AddrA, AddrB netip.Prefix
}

// NewPairWith is NewPair with other interface names or addresses.
func NewPairWith(prefix string, o PairOptions) (*Pair, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	n := counter.Add(1)
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, n)
	p := &Pair{
		A: fmt.Sprintf("%s-a-%s", prefix, id), B: fmt.Sprintf("%s-b-%s", prefix, id),
		IfA: "fwa" + id, IfB: "fwb" + id,
		AddrA: netip.MustParsePrefix("10.250.0.1/24"), AddrB: netip.MustParsePrefix("10.250.0.2/24"),
	}
	if len(p.IfA) > 15 {
		p.IfA, p.IfB = p.IfA[:15], p.IfB[:15]
	}
	if o.IfA != "" && o.IfB != "" {
		p.IfA, p.IfB = o.IfA, o.IfB
	}
	if o.AddrA.IsValid() && o.AddrB.IsValid() {
		p.AddrA, p.AddrB = o.AddrA, o.AddrB
	}
	steps := [][]string{
		{"netns", "add", p.A},
		{"netns", "add", p.B},
		{"link", "add", p.IfA, "netns", p.A, "type", "veth", "peer", "name", p.IfB, "netns", p.B},
		{"-n", p.A, "addr", "add", p.AddrA.String(), "dev", p.IfA},
		{"-n", p.B, "addr", "add", p.AddrB.String(), "dev", p.IfB},
		{"-n", p.A, "link", "set", p.IfA, "up"},
		{"-n", p.B, "link", "set", p.IfB, "up"},
		{"-n", p.A, "link", "set", "lo", "up"},
		{"-n", p.B, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			p.Close()
			return nil, fmt.Errorf("netns: ip %v: %v: %s", s, err, bytes.TrimSpace(out))
		}
	}
	return p, nil
}

// AddAddr adds another address (e.g. "10.250.0.30/24" or "fd00::3/64") to
// the veth end in namespace ns (p.A or p.B), so probes can use it as a
// source. IPv6 addresses skip duplicate address detection: usable at once.
func (p *Pair) AddAddr(ns string, prefix string) error {
	dev := p.IfA
	if ns == p.B {
		dev = p.IfB
	}
	args := []string{"-n", ns, "addr", "add", prefix, "dev", dev}
	if pr, err := netip.ParsePrefix(prefix); err == nil && pr.Addr().Is6() {
		args = append(args, "nodad")
	}
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("netns: add %s: %v: %s", prefix, err, bytes.TrimSpace(out))
	}
	return nil
}

// Close deletes both namespaces (which removes the veth pair).
func (p *Pair) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for _, ns := range []string{p.A, p.B} {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil && !bytes.Contains(out, []byte("No such file")) {
			errs = append(errs, fmt.Errorf("netns: del %s: %v: %s", ns, err, bytes.TrimSpace(out)))
		}
	}
	return errors.Join(errs...)
}

// New creates one fresh namespace named after prefix, with lo up (for
// loading rulesets into a kernel without any traffic); remove deletes it.
func New(prefix string) (name string, remove func() error, err error) {
	if err := Available(); err != nil {
		return "", nil, err
	}
	name = uniqueName(prefix)
	for _, s := range [][]string{{"netns", "add", name}, {"-n", name, "link", "set", "lo", "up"}} {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			exec.Command("ip", "netns", "del", name).Run()
			return "", nil, fmt.Errorf("netns: ip %v: %v: %s", s, err, bytes.TrimSpace(out))
		}
	}
	return name, func() error {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			return fmt.Errorf("netns: del %s: %v: %s", name, err, bytes.TrimSpace(out))
		}
		return nil
	}, nil
}

// Run runs name with args inside namespace ns (ip netns exec), feeding stdin,
// and returns the combined output.
func Run(ns string, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %v in %s: %v: %s", name, args, ns, err, bytes.TrimSpace(out))
	}
	return out, nil
}

// Do runs fn on an OS thread that has joined namespace ns. Sockets created
// by fn belong to ns for their whole life, whichever thread uses them later.
// The thread is discarded afterwards (never unlocked), so no other goroutine
// ever runs in the wrong namespace.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// no UnlockOSThread: the goroutine exits locked and the runtime
		// terminates the thread.
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- fmt.Errorf("netns: %w", err)
			return
		}
		defer f.Close()
		if err := setns(f.Fd()); err != nil {
			errc <- fmt.Errorf("netns: setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Servers are TCP listeners and UDP echo servers in one namespace.
type Servers struct {
	closers []func()
	wg      sync.WaitGroup
}

// Close stops every server.
func (s *Servers) Close() {
	for _, c := range s.closers {
		c()
	}
	s.wg.Wait()
}

// Serve starts, in namespace ns, a TCP listener (accepting and closing every
// connection) on each of tcpPorts and a UDP echo server on each of udpPorts,
// all on addr.
func Serve(ns string, addr netip.Addr, tcpPorts, udpPorts []uint16) (*Servers, error) {
	s := &Servers{}
	err := Do(ns, func() error {
		for _, port := range tcpPorts {
			l, err := net.Listen("tcp", netip.AddrPortFrom(addr, port).String())
			if err != nil {
				return err
			}
			s.closers = append(s.closers, func() { l.Close() })
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
		}
		for _, port := range udpPorts {
			pc, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, port).String())
			if err != nil {
				return err
			}
			s.closers = append(s.closers, func() { pc.Close() })
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				buf := make([]byte, 1500)
				for {
					n, from, err := pc.ReadFrom(buf)
					if err != nil {
						return
					}
					pc.WriteTo(buf[:n], from)
				}
			}()
		}
		return nil
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Result is what a probe observed.
type Result int

const (
	// Accepted: the TCP connection was established / the UDP datagram was echoed.
	Accepted Result = iota
	// Rejected: a TCP RST or an ICMP error came back (REJECT, or no listener).
	Rejected
	// Dropped: nothing came back before the timeout.
	Dropped
)

func (r Result) String() string {
	return [...]string{"accepted", "rejected", "dropped"}[r]
}

// ProbeTCP connects from src (port 0: any) to dst inside namespace ns.
func ProbeTCP(ns string, src, dst netip.AddrPort, timeout time.Duration) (Result, error) {
	var res Result
	err := Do(ns, func() error {
		d := net.Dialer{Timeout: timeout, LocalAddr: net.TCPAddrFromAddrPort(src)}
		c, err := d.Dial("tcp", dst.String())
		if err == nil {
			c.Close()
			res = Accepted
			return nil
		}
		res, err = classify(err)
		return err
	})
	return res, err
}

// ProbeUDP sends one datagram from src (port 0: any) to dst inside namespace
// ns and waits for the echo.
func ProbeUDP(ns string, src, dst netip.AddrPort, timeout time.Duration) (Result, error) {
	var c *net.UDPConn
	err := Do(ns, func() error {
		var err error
		c, err = net.DialUDP("udp", net.UDPAddrFromAddrPort(src), net.UDPAddrFromAddrPort(dst))
		return err
	})
	if err != nil {
		return Dropped, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("fwpol-probe")); err != nil {
		return classify(err)
	}
	buf := make([]byte, 64)
	if _, err := c.Read(buf); err != nil {
		return classify(err)
	}
	return Accepted, nil
}

func classify(err error) (Result, error) {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return Dropped, nil
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return Rejected, nil
	}
	return Dropped, err
}
