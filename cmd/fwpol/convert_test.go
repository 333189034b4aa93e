package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors/junos"
	"github.com/fwpol/fwpol/vendors/render"
)

func TestConvertIOSToJunosEquivalent(t *testing.T) {
	out, errOut, code := fwpol(t, "convert", "../../testdata/cisco/ios-router.cfg", "--to", "junos", "--format", "set")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "equivalent: EDGE-IN -> EDGE-IN") || !strings.Contains(errOut, "8 filters, 8 equivalent, 0 not") {
		t.Fatalf("stderr lacks the equivalence result:\n%s", errOut)
	}
	if strings.Contains(out, "equivalent") || !strings.HasPrefix(out, "set ") {
		t.Fatalf("stdout must hold only the set config:\n%.300s", out)
	}
	// the output is a Junos config of its own
	cfg, err := junos.Parse("out.set", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Filter("EDGE-IN") == nil || cfg.Filter("V6-IN") == nil {
		t.Fatalf("missing filters: %v", cfg.Filters)
	}
	// the object-group DMZ stayed a named object
	if cfg.Object("DMZ") == nil {
		t.Errorf("object-group DMZ not kept as a prefix-list")
	}
}

func TestConvertRejectToIOSIsReported(t *testing.T) {
	_, errOut, code := fwpol(t, "convert", "../../testdata/junos/policy.conf", "--to", "ios", "--filter", "PROTECT")
	if code != 1 {
		t.Fatalf("reject written as deny must not pass as equivalent: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "no reject action") || !strings.Contains(errOut, "NOT equivalent: PROTECT") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	_, errOut, code = fwpol(t, "convert", "../../testdata/junos/policy.conf", "--to", "ios", "--filter", "PROTECT", "--reject-as-deny")
	if code != 0 {
		t.Fatalf("--reject-as-deny: exit %d\n%s", code, errOut)
	}
	// both families of PROTECT were written and proven
	if !strings.Contains(errOut, "equivalent: PROTECT -> PROTECT") || !strings.Contains(errOut, "equivalent: inet6:PROTECT -> ipv6:PROTECT") {
		t.Fatalf("stderr:\n%s", errOut)
	}
}

func TestConvertIptablesJumpsInlined(t *testing.T) {
	out, errOut, code := fwpol(t, "convert", "../../testdata/iptables/basic.rules", "--to", "asa", "--reject-as-deny")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "decision map") || !strings.Contains(out, "access-list INPUT extended") {
		t.Fatalf("stderr:\n%s\nstdout:\n%.400s", errOut, out)
	}
}

func TestConvertUsage(t *testing.T) {
	for _, args := range [][]string{
		{"convert", "../../testdata/asa/policy.cfg"},
		{"convert", "../../testdata/asa/policy.cfg", "--to", "nosuch"},
		{"convert", "../../testdata/asa/policy.cfg", "--to", "ios", "--format", "set"},
		{"convert", "../../testdata/asa/policy.cfg", "--to", "ios", "--filter", "NOPE"},
		{"convert", "--to", "ios"},
	} {
		if _, errOut, code := fwpol(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
	if _, _, code := fwpol(t, "convert", "/nonexistent.cfg", "--to", "ios"); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}

// A negated source (iptables "! -s") has no ACL form: it is written as the
// complement's prefixes, exactly.
func TestConvertNegatedSet(t *testing.T) {
	neg := policy.MustParseSet("10.0.0.0/8")
	f := &policy.Filter{Name: "IN", Kind: "iptables-chain", Family: policy.FamilyIPv4, Entry: true, Default: policy.Permit,
		Rules: []*policy.Rule{{Name: "1", Action: policy.Deny, Match: policy.Match{
			Src: policy.AddrMatch{Set: neg, Negate: true}, Dst: policy.AnyAddr(), Protocols: policy.Single(policy.ProtoTCP).Ptr(),
			DstPorts: policy.Single(22).Ptr()}}}}
	cfg := &policy.Config{File: "x", Vendor: "iptables"}
	cfg.AddFilter(f)
	for _, v := range []string{"junos", "ios", "nxos", "eos", "asa"} {
		res, err := render.Lower(cfg, cfg.Filters, render.Caps{Vendor: v, SplitFamilies: v != "asa"})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Filters[0].Rules[0]
		if r.Src.Any || r.Src.Set.Contains(mustAddr("10.1.2.3")) || !r.Src.Set.Contains(mustAddr("11.0.0.1")) {
			t.Fatalf("%s: complement wrong: %v", v, r.Src.Set)
		}
		if last := res.Filters[0].Rules[len(res.Filters[0].Rules)-1]; last.Action != policy.Permit || !last.Src.Any {
			t.Fatalf("%s: default permit not written as a final rule", v)
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
