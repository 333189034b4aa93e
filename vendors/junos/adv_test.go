package junos

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAdversarialInputsAreFast guards against super-linear blowups (list
// expansion, application-set fan-out, except tables, wildcards, nesting).
// The bound is a hang guard, not a benchmark.
func TestAdversarialInputsAreFast(t *testing.T) {
	var apps strings.Builder
	for i := 0; i < 30; i++ {
		for j := 0; j < 3; j++ {
			fmt.Fprintf(&apps, "set applications application-set s%d application-set s%d\n", i, i+1)
		}
	}
	apps.WriteString("set applications application-set s30 application junos-http\nset security policies from-zone a to-zone b policy p match application s0\nset security policies from-zone a to-zone b policy p then permit\n")
	var ex strings.Builder
	ex.WriteString("set firewall filter F term t from source-address 0.0.0.0/0\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&ex, "set firewall filter F term t from source-address 10.%d.%d.0/24 except\n", i/256, i%256)
	}
	var wild strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&wild, "set security address-book global address a%d wildcard-address 10.%d.0.0/255.0.240.0\nset security address-book global address-set s address a%d\n", i, i, i)
	}
	wild.WriteString("set security policies from-zone a to-zone b policy p match source-address s\n")
	for name, src := range map[string]string{
		"appfan": apps.String(), "excepts": ex.String(), "wild": wild.String(),
		"deep":   strings.Repeat("a {", 60) + strings.Repeat("}", 60),
		"braces": strings.Repeat("a { b; }\n", 20000),
	} {
		start := time.Now()
		_, err := Parse("x", []byte(src))
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: %v (%v)", name, d, err)
		} else {
			t.Logf("%s: %v %v", name, d, err)
		}
	}
}
