// Package blocktest checks a vendor's RenderBlock end to end: render a
// block, apply the commands to the config text the way the device stores
// it, parse the result back with fwpol's own parser, check decisions for
// blocked and unblocked addresses, and check that rendering again yields
// no commands.
package blocktest

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// Case is one round trip.
type Case struct {
	Vendor vendors.Vendor
	File   string
	Text   string
	// Apply returns the config text after the device ran cmds.
	Apply func(text string, cmds []string) string
	// Filters to protect; nil means every bound entry filter.
	Filters []string
	// Extra objects the device has besides the file's (iptables: ipsets).
	Extra func(text string) []*policy.Object
}

// Step renders spec (src/dst CIDRs) against text, applies it, and checks
// the result against the original Text: blocked flows are dropped, every
// other flow is decided as in the original. It returns the new text.
func (c Case) Step(t *testing.T, text string, src, dst []string) string {
	t.Helper()
	cfg := c.parse(t, text)
	spec := vendors.BlockSpec{Name: "FWPOL-BLOCK", Src: policy.MustParseSet(src...), Dst: policy.MustParseSet(dst...), Filters: c.filters(cfg)}
	if len(spec.Filters) == 0 {
		t.Fatalf("no filters to protect in %s", c.File)
	}
	ch, err := c.Vendor.RenderBlock(c.withExtra(cfg, text), spec)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	next := c.Apply(text, ch.Commands)
	after := c.parse(t, next)
	for _, name := range spec.Filters {
		f := after.Filter(name)
		if f == nil {
			t.Fatalf("filter %s gone after applying:\n%s", name, strings.Join(ch.Commands, "\n"))
		}
		c.checkFilter(t, c.parse(t, c.Text), after, name, spec, ch.Commands)
	}
	again, err := c.Vendor.RenderBlock(c.withExtra(after, next), spec)
	if err != nil {
		t.Fatalf("re-render: %v", err)
	}
	if len(again.Commands) != 0 {
		t.Fatalf("re-render not idempotent; first render:\n%s\nsecond:\n%s", strings.Join(ch.Commands, "\n"), strings.Join(again.Commands, "\n"))
	}
	return next
}

func (c Case) withExtra(cfg *policy.Config, text string) *policy.Config {
	if c.Extra == nil {
		return cfg
	}
	cp := *cfg
	cp.Objects = append(append([]*policy.Object(nil), cfg.Objects...), c.Extra(text)...)
	return &cp
}

func (c Case) parse(t *testing.T, text string) *policy.Config {
	t.Helper()
	cfg, err := c.Vendor.Parse(c.File, []byte(text))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	if c.Vendor.Link != nil {
		c.Vendor.Link([]*policy.Config{cfg})
	}
	return cfg
}

func (c Case) filters(cfg *policy.Config) []string {
	if c.Filters != nil {
		return c.Filters
	}
	bound := map[string]bool{}
	for _, b := range cfg.Bindings {
		bound[b.Filter] = true
	}
	var out []string
	for _, f := range cfg.Filters {
		if f.Entry && bound[f.Name] {
			out = append(out, f.Name)
		}
	}
	return out
}

// probes are addresses checked in every filter: each blocked range's
// first and last address, the addresses just outside, and fixed ones.
func probes(spec vendors.BlockSpec) []netip.Addr {
	out := []netip.Addr{netip.MustParseAddr("192.0.2.77"), netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8:77::1")}
	for _, s := range []*policy.AddrSet{spec.Src, spec.Dst} {
		for _, r := range s.Ranges() {
			out = append(out, r.From(), r.To(), r.From().Prev(), r.To().Next())
		}
	}
	var valid []netip.Addr
	for _, a := range out {
		if a.IsValid() {
			valid = append(valid, a)
		}
	}
	return valid
}

func (c Case) checkFilter(t *testing.T, before, after *policy.Config, name string, spec vendors.BlockSpec, cmds []string) {
	t.Helper()
	fb, fa := before.Filter(name), after.Filter(name)
	peer4, peer6 := netip.MustParseAddr("198.51.100.200"), netip.MustParseAddr("2001:db8:fe::9")
	for _, a := range probes(spec) {
		peer := peer4
		if a.Is6() {
			peer = peer6
		}
		for _, asSrc := range []bool{true, false} {
			fl := &policy.Flow{Proto: policy.ProtoTCP, Src: a, Dst: peer, SrcPort: 49152, DstPort: 443}
			blocked := spec.Src.Contains(a)
			if !asSrc {
				fl.Src, fl.Dst = peer, a
				blocked = spec.Dst.Contains(a)
			}
			blocked = blocked || (spec.Src.Contains(fl.Src) || spec.Dst.Contains(fl.Dst))
			if !fa.Family.Applies(fl) {
				continue
			}
			got := after.Decide(fa, fl)
			if blocked {
				if got.Action != policy.Deny {
					t.Errorf("%s: %s -> %s should be dropped by the block, got %v (rule %v)\ncommands:\n%s", name, fl.Src, fl.Dst, got.Action, ruleName(got), strings.Join(cmds, "\n"))
				}
				continue
			}
			want := before.Decide(fb, fl)
			if got.Action != want.Action {
				t.Errorf("%s: %s -> %s not blocked: want %v as before (rule %s), got %v (rule %s)\ncommands:\n%s", name, fl.Src, fl.Dst, want.Action, ruleName(want), got.Action, ruleName(got), strings.Join(cmds, "\n"))
			}
		}
	}
}

func ruleName(d policy.Decision) string {
	if d.Rule == nil {
		return "default"
	}
	return d.Rule.Name
}
