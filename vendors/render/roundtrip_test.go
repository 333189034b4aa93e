package render_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/registry"
	"github.com/fwpol/fwpol/vendors/render"
)

const corpus = "../../../shared/corpus"

// network vendors with renderers, and their formats
var targets = []struct{ vendor, format string }{
	{"junos", "hierarchical"}, {"junos", "set"}, {"ios", ""}, {"nxos", ""}, {"eos", ""}, {"asa", ""},
}

func hasRender(name string) bool {
	v, ok := registry.Lookup(name)
	return ok && v.Render != nil
}

type input struct {
	name string
	cfg  *policy.Config
}

// inputs parses the fixtures and corpus files of the network vendors.
func inputs(t *testing.T) []input {
	t.Helper()
	var files []string
	for _, d := range []string{"junos", "cisco", "asa"} {
		m, _ := filepath.Glob(filepath.Join("../../testdata", d, "*"))
		files = append(files, m...)
	}
	if _, err := os.Stat(corpus); err == nil {
		_ = filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") {
				files = append(files, p)
			}
			return nil
		})
	} else {
		t.Log("corpus not present: fixtures only")
	}
	sort.Strings(files)
	var out []input
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v, ok := registry.Detect(data)
		if !ok || !hasRender(v.Name) {
			continue
		}
		cfg, err := v.Parse(f, data)
		if err != nil {
			continue // the parsers' own tests cover parse errors
		}
		if len(cfg.Filters) == 0 {
			continue
		}
		out = append(out, input{f, cfg})
	}
	return out
}

// renderable are the filters a renderer writes by default (SRX security
// policies only from Junos to Junos).
func renderable(cfg *policy.Config, target string) []*policy.Filter {
	var out []*policy.Filter
	for _, f := range cfg.Filters {
		if !f.Entry {
			continue
		}
		if target == "junos" && (f.Kind == "srx-policy" && cfg.Vendor != "junos" || f.Kind == "junos-filter-list") {
			continue
		}
		out = append(out, f)
	}
	return out
}

// roundTrip renders cfg with target, parses the text back and verifies
// every rendered filter. It returns the warnings and the failed checks.
func roundTrip(t *testing.T, in input, target, format string) (warns []string, bad []render.Check) {
	t.Helper()
	v, _ := registry.Lookup(target)
	fs := renderable(in.cfg, target)
	if len(fs) == 0 {
		return nil, nil
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	text, err := v.Render(in.cfg, vendors.RenderOptions{Filters: names, Format: format, Warn: func(m string) { warns = append(warns, m) }})
	if err != nil {
		t.Logf("%s -> %s: render refused: %v", in.name, target, err)
		return []string{err.Error()}, nil
	}
	re, err := v.Parse(in.name+"."+target, text)
	if err != nil {
		t.Fatalf("%s -> %s %s: output does not parse: %v\n%s", in.name, target, format, err, text)
	}
	for _, c := range render.Verify(in.cfg, fs, re, policy.DiffOptions{RegionLimit: 3}) {
		if !c.Equivalent {
			bad = append(bad, c)
		}
	}
	if len(bad) > 0 && testing.Verbose() {
		t.Logf("%s -> %s output:\n%s", in.name, target, text)
	}
	return warns, bad
}

// TestRoundTrip: parse → render → parse gives the same decision map for
// every fixture and corpus file of a vendor, in every dialect/format of it.
func TestRoundTrip(t *testing.T) {
	n := 0
	for _, in := range inputs(t) {
		for _, tg := range targets {
			if tg.vendor != in.cfg.Vendor || !hasRender(tg.vendor) {
				continue
			}
			n++
			warns, bad := roundTrip(t, in, tg.vendor, tg.format)
			for _, c := range bad {
				t.Errorf("%s -> %s %s: %s", in.name, tg.vendor, tg.format, c)
				for _, ch := range c.Changes {
					t.Logf("  %s => %s: %v", ch.Old, ch.New, ch.Regions)
				}
			}
			for _, w := range warns {
				if strings.Contains(w, "written as deny") {
					t.Errorf("%s: same-vendor round trip changed an action: %s", in.name, w)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no round trip ran")
	}
	t.Logf("%d round trips", n)
}

// TestConversions renders every input into each other network vendor and
// back: the result is equivalent, or the renderer reported why not.
func TestConversions(t *testing.T) {
	for _, in := range inputs(t) {
		for _, tg := range targets {
			if tg.vendor == in.cfg.Vendor || !hasRender(tg.vendor) {
				continue
			}
			warns, bad := roundTrip(t, in, tg.vendor, tg.format)
			if len(bad) > 0 && len(warns) == 0 {
				for _, c := range bad {
					t.Errorf("%s -> %s %s: %s, with no warning", in.name, tg.vendor, tg.format, c)
					for _, ch := range c.Changes {
						t.Logf("  %s => %s: %v", ch.Old, ch.New, ch.Regions)
					}
				}
			}
		}
	}
}

// TestFaithfulSameVendor: rendering a config in its own vendor keeps rule
// names (sequence numbers, term names), comments, actions and object
// references, not just the decisions.
func TestFaithfulSameVendor(t *testing.T) {
	for _, file := range []string{"../../testdata/cisco/ios-router.cfg", "../../testdata/cisco/nxos-leaf.cfg", "../../testdata/cisco/eos-switch.cfg",
		"../../testdata/junos/policy.conf", "../../testdata/asa/policy.cfg"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := registry.Detect(data)
		cfg, err := v.Parse(file, data)
		if err != nil {
			t.Fatal(err)
		}
		fs := renderable(cfg, v.Name)
		var names []string
		for _, f := range fs {
			names = append(names, f.Name)
		}
		text, err := v.Render(cfg, vendors.RenderOptions{Filters: names, Warn: func(string) {}})
		if err != nil {
			t.Fatal(err)
		}
		re, err := v.Parse(file+".out", text)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			g := re.Filter(f.Name)
			if g == nil {
				t.Errorf("%s: filter %s missing", file, f.Name)
				continue
			}
			type sig struct {
				name, action, comment string
				refs                  string
				inactive, log         bool
			}
			dup := map[string]bool{}
			for i, r := range f.Rules {
				if i > 0 && f.Rules[i-1].Name == r.Name && v.Name != "junos" {
					dup[r.Name] = true
				}
			}
			sigs := func(f *policy.Filter) []sig {
				var out []sig
				for _, r := range f.Rules {
					if r.Match.Unresolved != nil || (r.Match.Src.Set.IsEmpty() && !r.Match.Src.Any && len(r.Match.Src.Refs) == 0) ||
						(r.Match.Dst.Set.IsEmpty() && !r.Match.Dst.Any && len(r.Match.Dst.Refs) == 0) {
						continue // matches nothing: left out with a warning
					}
					name := r.Name
					if v.Name == "asa" || dup[r.Name] {
						// ASA names are line numbers, shifted by left-out
						// lines; entries the parser expanded (service
						// groups) are written one per entry
						name = ""
					}
					var refs []string
					for _, x := range append(append([]string{}, r.Match.Src.Refs...), r.Match.Dst.Refs...) {
						if o := cfg.Object(x); o != nil && o.Kind != "name" && o.Unresolved == "" {
							refs = append(refs, x)
						}
					}
					out = append(out, sig{name, r.Action.String(), r.Extras.Comment, strings.Join(refs, ","), r.Inactive, r.Extras.Log})
				}
				return out
			}
			a, b := sigs(f), sigs(g)
			if v.Name == "junos" {
				// "address"/"port" terms come back as two terms (NAME, NAME-2)
				for i := range b {
					b[i].name = strings.TrimSuffix(b[i].name, "-2")
				}
			}
			if v.Name == "asa" || len(dup) > 0 || len(a) != len(b) {
				// expanded entries: every original rule's signature must
				// still be there
				have := map[sig]bool{}
				for _, x := range b {
					have[x] = true
				}
				for _, x := range a {
					if !have[x] {
						t.Errorf("%s %s: rule %+v not kept", file, f.Name, x)
					}
				}
				continue
			}
			if len(a) != len(b) {
				t.Errorf("%s %s: %d rules, rendered %d", file, f.Name, len(a), len(b))
				continue
			}
			for i := range a {
				if a[i] != b[i] {
					t.Errorf("%s %s rule %d: %+v, rendered %+v", file, f.Name, i, a[i], b[i])
				}
			}
		}
	}
}

// TestSRXRoundTrip: Junos SRX security policies (zone pairs and global
// policies) parse → render → parse to the same decision map, in both
// formats, keeping policy names, order, inactive, log and count; rendering
// the output again gives the same text.
func TestSRXRoundTrip(t *testing.T) {
	files := []string{"../../testdata/junos/policy.conf", "../../testdata/junos/policy.set", "../../testdata/junos/scheduler.conf"}
	corpusFiles := []string{"batfish/firewall-combined-policies", "batfish/firewall-global-address-book", "batfish/juniper_security"}
	if _, err := os.Stat(corpus); err == nil {
		for _, f := range corpusFiles {
			files = append(files, filepath.Join(corpus, f))
		}
	} else {
		t.Log("corpus not present: fixtures only")
	}
	v, _ := registry.Lookup("junos")
	type sig struct {
		name, action   string
		inactive, log  bool
		count          bool
		srcRefs, apps  string
		global, shapes int
	}
	sigs := func(f *policy.Filter) []sig {
		var out []sig
		for i, r := range f.Rules {
			if i > 0 && f.Rules[i-1].Name == r.Name && f.Rules[i-1].Pos == r.Pos {
				out[len(out)-1].shapes++
				continue
			}
			g := 0
			if r.Extras.Vendor["scope"] == "global" {
				g = 1
			}
			out = append(out, sig{r.Name, r.Action.String(), r.Inactive, r.Extras.Log, r.Extras.Count != "",
				strings.Join(r.Match.Src.Refs, ","), strings.Join(r.Match.ServiceRefs, ","), g, 1})
		}
		return out
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := v.Parse(file, data)
		if err != nil {
			t.Fatal(err)
		}
		var fs []*policy.Filter
		for _, f := range cfg.Filters {
			if f.Kind == "srx-policy" {
				fs = append(fs, f)
			}
		}
		if len(fs) < 2 {
			t.Fatalf("%s: %d srx-policy filters, want a zone pair and global", file, len(fs))
		}
		for _, format := range []string{"hierarchical", "set"} {
			var warns []string
			opt := vendors.RenderOptions{Format: format, Warn: func(m string) { warns = append(warns, m) }}
			text, err := v.Render(cfg, opt)
			if err != nil {
				t.Fatalf("%s %s: %v", file, format, err)
			}
			if len(warns) > 0 {
				t.Errorf("%s %s: warnings %v", file, format, warns)
			}
			re, err := v.Parse(file+".out", text)
			if err != nil {
				t.Fatalf("%s %s: output does not parse: %v\n%s", file, format, err, text)
			}
			for _, c := range render.Verify(cfg, fs, re, policy.DiffOptions{RegionLimit: 3}) {
				if !c.Equivalent || len(c.Rendered) != 1 {
					t.Errorf("%s %s: %s", file, format, c)
				}
			}
			for _, f := range fs {
				g := re.Filter(f.Name)
				if g == nil {
					continue // reported by Verify
				}
				if g.Default != f.Default || g.Meta["from-interfaces"] != f.Meta["from-interfaces"] || g.Meta["to-interfaces"] != f.Meta["to-interfaces"] {
					t.Errorf("%s %s %s: default %v meta %v, rendered %v %v", file, format, f.Name, f.Default, f.Meta, g.Default, g.Meta)
				}
				a, b := sigs(f), sigs(g)
				if len(a) != len(b) {
					t.Errorf("%s %s %s: policies %+v, rendered %+v", file, format, f.Name, a, b)
					continue
				}
				for i := range a {
					if a[i] != b[i] {
						t.Errorf("%s %s %s policy %d: %+v, rendered %+v", file, format, f.Name, i, a[i], b[i])
					}
				}
			}
			again, err := v.Render(re, vendors.RenderOptions{Format: format, Warn: func(string) {}})
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(text) {
				t.Errorf("%s %s: rendering the output again changes it:\n%s\n---\n%s", file, format, text, again)
			}
		}
	}
}
