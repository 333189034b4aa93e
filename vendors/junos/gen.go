package junos

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
)

// GenerateConfig writes a deterministic hierarchical Junos configuration with
// about rules firewall terms spread over filters of 50 terms, prefix-lists,
// interface bindings and non-firewall stanzas, for benchmarks and estate
// generation. The same rules and seed always give the same bytes.
func GenerateConfig(w io.Writer, rules int, seed int64) error {
	return generate(w, rules, seed, false)
}

// GenerateSetConfig writes the same configuration as GenerateConfig in
// "display set" format.
func GenerateSetConfig(w io.Writer, rules int, seed int64) error {
	return generate(w, rules, seed, true)
}

var genPorts = []string{"ssh", "http", "https", "bgp", "ntp", "snmp", "domain", "8080", "1024-65535", "telnet", "syslog", "ldap"}
var genProtos = []string{"tcp", "udp", "icmp"}
var genActions = []string{"accept", "discard", "reject", "accept", "accept"}

func generate(w io.Writer, rules int, seed int64, set bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	r := rand.New(rand.NewSource(seed))
	nfilters := (rules + 49) / 50
	nlists := nfilters/2 + 1
	e := &emitter{w: bw, set: set}
	e.open("system")
	e.leaf("host-name", fmt.Sprintf("gen-%d", seed))
	e.close()
	e.open("interfaces")
	for i := 0; i < nfilters; i++ {
		e.open(fmt.Sprintf("ge-0/0/%d", i))
		e.open("unit 0")
		e.open("family inet")
		e.open("filter")
		e.leaf("input", fmt.Sprintf("F%d", i))
		e.close()
		e.leaf("address", fmt.Sprintf("10.%d.%d.1/24", i/256, i%256))
		e.close()
		e.close()
		e.close()
	}
	e.close()
	e.open("policy-options")
	for i := 0; i < nlists; i++ {
		e.open(fmt.Sprintf("prefix-list PL%d", i))
		for j := 0; j < 8; j++ {
			e.leaf(fmt.Sprintf("172.%d.%d.0/24", 16+r.Intn(16), r.Intn(256)))
		}
		e.close()
	}
	e.close()
	e.open("firewall")
	e.open("family inet")
	left := rules
	for i := 0; i < nfilters; i++ {
		e.open(fmt.Sprintf("filter F%d", i))
		n := min(50, left)
		left -= n
		for t := 0; t < n; t++ {
			e.open(fmt.Sprintf("term t%d", t))
			e.open("from")
			if r.Intn(3) == 0 {
				e.open("source-prefix-list")
				e.leaf(fmt.Sprintf("PL%d", r.Intn(nlists)))
				e.close()
			} else {
				e.open("source-address")
				e.leaf(fmt.Sprintf("10.%d.%d.0/24", r.Intn(256), r.Intn(256)))
				if r.Intn(4) == 0 {
					e.leaf(fmt.Sprintf("10.%d.0.0/16", r.Intn(256)), "except")
				}
				e.close()
			}
			e.open("destination-address")
			e.leaf(fmt.Sprintf("192.168.%d.%d/32", r.Intn(256), r.Intn(256)))
			e.close()
			proto := genProtos[r.Intn(len(genProtos))]
			e.leaf("protocol", proto)
			if proto != "icmp" {
				e.leaf("destination-port", genPorts[r.Intn(len(genPorts))])
			} else {
				e.leaf("icmp-type", "echo-request")
			}
			e.close()
			e.open("then")
			if r.Intn(5) == 0 {
				e.leaf("count", fmt.Sprintf("c%d-%d", i, t))
			}
			e.leaf(genActions[r.Intn(len(genActions))])
			e.close()
			e.close()
		}
		e.close()
	}
	e.close()
	e.close()
	e.open("routing-options")
	e.open("static")
	e.leaf("route", "0.0.0.0/0", "next-hop", "10.0.0.254")
	e.close()
	e.close()
	return bw.Flush()
}

// emitter writes nested statements in either format.
type emitter struct {
	w    *bufio.Writer
	set  bool
	path []string
}

func (e *emitter) open(s string) {
	if !e.set {
		e.indent()
		e.w.WriteString(s)
		e.w.WriteString(" {\n")
	}
	e.path = append(e.path, s)
}

func (e *emitter) close() {
	e.path = e.path[:len(e.path)-1]
	if !e.set {
		e.indent()
		e.w.WriteString("}\n")
	}
}

func (e *emitter) leaf(words ...string) {
	if e.set {
		e.w.WriteString("set")
		for _, p := range e.path {
			e.w.WriteByte(' ')
			e.w.WriteString(p)
		}
		for _, s := range words {
			e.w.WriteByte(' ')
			e.w.WriteString(s)
		}
		e.w.WriteByte('\n')
		return
	}
	e.indent()
	for i, s := range words {
		if i > 0 {
			e.w.WriteByte(' ')
		}
		e.w.WriteString(s)
	}
	e.w.WriteString(";\n")
}

func (e *emitter) indent() {
	for range e.path {
		e.w.WriteString("    ")
	}
}
