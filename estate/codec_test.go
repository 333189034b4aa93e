package estate

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	"github.com/fwpol/fwpol/policy"
)

// fullConfig sets every field of the model, so the codec test notices a
// field the codec forgets.
func fullConfig() *policy.Config {
	var b policy.AddrSetBuilder
	b.AddPrefix(netip.MustParsePrefix("10.0.0.0/8"))
	b.AddPrefix(netip.MustParsePrefix("2001:db8::/32"))
	b.AddWildcard(policy.Wildcard{Addr: netip.MustParseAddr("0.0.0.1"), Mask: netip.MustParseAddr("255.255.255.254")})
	set := b.Set()
	r := func(lo, hi uint16) *policy.Ranges { x := policy.NewRanges(policy.Range{Lo: lo, Hi: hi}); return &x }
	p := policy.Pos{File: "a.conf", Line: 7, Col: 3}
	c := &policy.Config{File: "a.conf", Device: "d", Site: "s", Role: "edge", OwnAddrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Vendor: "v", Format: "set",
		Objects:   []*policy.Object{{Kind: "prefix-list", Name: "PL", Pos: p, Addrs: set, Members: []string{"x"}, Unresolved: "apply-path", Scope: "trust", Meta: map[string]string{"end": "2025-01-01T00:00:00Z"}}},
		Bindings:  []policy.Binding{{Filter: "F", Kind: "interface", Target: "ge-0/0/0.0", Direction: "in", Pos: policy.Pos{File: "other.conf", Line: 2, Col: 1}}},
		Warnings:  []policy.Warning{{Pos: p, Msg: "w"}},
		Undefined: []policy.Reference{{Kind: "prefix-list", Name: "NOPE", Pos: p}},
	}
	c.AddFilter(&policy.Filter{Name: "F", Kind: "junos-filter", Family: policy.FamilyIPv6, Entry: true, Default: policy.Permit, Pos: p,
		Meta: map[string]string{"hook": "input"},
		Rules: []*policy.Rule{{Name: "t1", Pos: p, Action: policy.Jump, Target: "G", Inactive: true,
			Extras: policy.Extras{Count: "c", Log: true, Comment: "hi", Policer: "pol", RejectWith: "tcp-reset", TimeRange: "tr", Vendor: map[string]string{"k": "v"}},
			Match: policy.Match{
				Src:       policy.AddrMatch{Any: false, Set: set, Negate: true, Refs: []string{"PL"}, Unresolved: []string{"U"}},
				Dst:       policy.AddrMatch{Any: true, Set: nil, Negate: false, Refs: []string{"D"}, Unresolved: []string{"U2"}},
				Protocols: r(6, 6), SrcPorts: r(1024, 65535), DstPorts: r(443, 443), ICMPTypes: r(8, 8), ICMPCodes: r(1, 3),
				InIface: "eth+", OutIface: "eth1", NegInIface: true, NegOutIface: true, TCPEstablished: true, TCPFlags: "syn",
				Fragment: "is-fragment", CtStates: []string{"NEW"}, NotInitial: true, ServiceRefs: []string{"WEB"}, Unresolved: []string{"SVC"},
			}}}})
	return c
}

// assertAllSet fails for zero-valued fields reachable from v (maps, slices
// and pointers are followed once).
func assertAllSet(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is nil in the sample config: set it so the codec is tested", path)
			return
		}
		if v.Type() == reflect.TypeOf(&policy.AddrSet{}) {
			return
		}
		assertAllSet(t, v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(netip.Addr{}) {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			// Dst.Any=true and Set=nil are deliberate: check through Src.
			if path == "Config.Filters.Rules.Match.Dst" {
				continue
			}
			if fv.IsZero() && !(f.Type.Kind() == reflect.Bool && path == "Config.Filters.Rules.Match.Src" && f.Name == "Any") {
				t.Errorf("%s.%s is zero in the sample config: set it so the codec is tested", path, f.Name)
				continue
			}
			assertAllSet(t, fv, path+"."+f.Name)
		}
	case reflect.Slice:
		if v.Len() > 0 {
			assertAllSet(t, v.Index(0), path)
		}
	}
}

func TestCodecRoundTripsEveryField(t *testing.T) {
	c := fullConfig()
	assertAllSet(t, reflect.ValueOf(c), "Config")
	got, err := decodeConfig(encodeConfig(c), c.File)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(c)
	have, _ := json.Marshal(got)
	if string(want) != string(have) {
		t.Fatalf("round trip differs:\nwant %s\nhave %s", want, have)
	}
	if got.Filters[0].Rules[0].Match.Src.Set.Contains(netip.MustParseAddr("11.0.0.3")) != true {
		t.Fatal("wildcard lost")
	}
	if got.Bindings[0].Pos.File != "other.conf" || got.Filters[0].Pos.File != "a.conf" {
		t.Fatal("positions")
	}
}

func TestCodecRejectsDamage(t *testing.T) {
	b := encodeConfig(fullConfig())
	for cut := 0; cut < len(b); cut += 7 {
		if _, err := decodeConfig(b[:cut], "a.conf"); err == nil {
			t.Fatalf("truncation at %d not detected", cut)
		}
	}
	junk := append(append([]byte(nil), b...), 0)
	if _, err := decodeConfig(junk, "a.conf"); err == nil {
		t.Fatal("trailing bytes not detected")
	}
}
