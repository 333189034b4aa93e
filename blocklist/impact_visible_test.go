package blocklist

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

// TestImpactSeesOnlyHostTraffic: a host's input filter is only cut for
// packets to its own address, and a host's forward chain never.
func TestImpactSeesOnlyHostTraffic(t *testing.T) {
	c := &policy.Config{Device: "web", Site: "dc1", Vendor: "iptables", Role: "host", OwnAddrs: []netip.Addr{netip.MustParseAddr("10.0.0.5")}}
	for _, name := range []string{"INPUT", "FORWARD"} {
		c.AddFilter(&policy.Filter{Name: name, Kind: "iptables-chain", Entry: true, Family: policy.FamilyIPv4, Default: policy.Deny,
			Rules: []*policy.Rule{{Name: "1", Action: policy.Permit, Match: policy.Match{Src: policy.AnyAddr(), Dst: policy.AnyAddr()}}}})
		c.Bindings = append(c.Bindings, policy.Binding{Filter: name, Kind: "hook", Target: name})
	}
	cuts := Impact([]*policy.Config{c}, Scope{}, policy.MustParseSet("198.18.0.0/24"), policy.MustParseSet())
	if len(cuts) != 1 || cuts[0].Filter != "INPUT" || !strings.Contains(cuts[0].Example, "dst 10.0.0.5/32") {
		t.Fatalf("cuts: %+v", cuts)
	}
}
