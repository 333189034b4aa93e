package netdb

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// DefaultFile is the inventory looked for in the working directory.
const DefaultFile = "fwpol.yaml"

// The YAML schema. Unknown keys are errors, so a typo cannot hide a device.
type rawFile struct {
	Sites        []rawSite      `yaml:"sites"`
	Protected    []rawProtected `yaml:"protected"`
	Devices      []rawDevice    `yaml:"devices"`
	DeviceGroups []rawGroup     `yaml:"device_groups"`
	PathRoles    []string       `yaml:"path_roles"`
}

type rawSite struct {
	Name           string   `yaml:"name"`
	Description    string   `yaml:"description"`
	Ranges         []string `yaml:"ranges"`
	Infrastructure []string `yaml:"infrastructure"`
	Path           []string `yaml:"path"`
}

type rawProtected struct {
	Range  string `yaml:"range"`
	Reason string `yaml:"reason"`
}

type rawDevice struct {
	Name      string     `yaml:"name"`
	Site      string     `yaml:"site"`
	Role      string     `yaml:"role"`
	Vendor    string     `yaml:"vendor"`
	Mgmt      string     `yaml:"mgmt"`
	Addresses []string   `yaml:"addresses"`
	Tags      []string   `yaml:"tags"`
	Config    string     `yaml:"config"`
	Transport *Transport `yaml:"transport"`
}

// rawGroup declares one device per file matching Config (a glob), named
// after the file: how 37,000 hosts fit in an inventory.
type rawGroup struct {
	Config     string   `yaml:"config"`
	Site       string   `yaml:"site"`
	Role       string   `yaml:"role"`
	Vendor     string   `yaml:"vendor"`
	Tags       []string `yaml:"tags"`
	NamePrefix string   `yaml:"name_prefix"`
	// HostsFile is a CSV of "name,addresses" (space-separated addresses,
	// first one the management address) for the group's devices.
	HostsFile string     `yaml:"hosts_file"`
	Transport *Transport `yaml:"transport"`
}

var inventoryKeys = []string{"sites", "protected", "devices", "device_groups", "path_roles"}

// Options tune validation.
type Options struct {
	// KnownVendors, when set, rejects devices naming another vendor.
	KnownVendors []string
	// DeviceName derives a device name from a config file (device groups).
	// It must depend on the path only: the inventory cache keeps its results.
	DeviceName func(path string) string
	// CacheDir, when set, keeps the loaded inventory there and reuses it
	// while none of its inputs changed (see cache.go).
	CacheDir string
}

// Load reads an inventory file, or every inventory YAML file in a directory
// (files without inventory keys, such as a blocklist, are left alone).
func Load(path string, opt Options) (*Inventory, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var rec *recorder
	var cacheFile string
	if opt.CacheDir != "" {
		cacheFile = cachePath(opt.CacheDir, path, opt)
		if inv := readCache(cacheFile, path); inv != nil {
			return inv, nil
		}
		rec = &recorder{}
	}
	inv := &Inventory{Path: path, Dir: path, siteByName: map[string]*Site{}, deviceByName: map[string]*Device{}}
	var files []string
	if st.IsDir() {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != path && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				rec.stat(depListing, p) // before WalkDir lists it
			}
			if ext := filepath.Ext(p); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
	} else {
		inv.Dir = filepath.Dir(path)
		files = []string{path}
	}
	l := &loader{inv: inv, opt: opt, rec: rec}
	for _, f := range files {
		if err := l.loadFile(f, !st.IsDir()); err != nil {
			return nil, err
		}
	}
	if err := l.resolve(); err != nil {
		return nil, err
	}
	if err := l.checkPaths(); err != nil {
		return nil, err
	}
	if rec != nil && !rec.uncacheable {
		// The cache only accelerates: failing to write it is not an error.
		_ = writeCache(cacheFile, path, inv, rec)
	}
	return inv, nil
}

type loader struct {
	inv     *Inventory
	opt     Options
	devices []pendingDevice
	groups  []pendingGroup
	rec     *recorder // what was read, for the cache; nil without one
	// site paths are checked once every device is known
	sitePaths []pendingPath
	rolesAt   *yaml.Node // where path_roles was given
}

type pendingPath struct {
	site *Site
	node *yaml.Node
	file string
}

// pathRoles reads path_roles: distinct, non-empty role names, given once.
func (l *loader) pathRoles(file string, n *yaml.Node) error {
	if l.rolesAt != nil {
		return errAt(file, n, "path_roles given twice (first at line %d)", l.rolesAt.Line)
	}
	if n.Kind != yaml.SequenceNode {
		return errAt(file, n, "path_roles must be a list of roles")
	}
	var roles []string
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode || strings.TrimSpace(item.Value) == "" {
			return errAt(file, item, "path_roles: each entry must be a role name")
		}
		if oneOf(item.Value, roles) && len(roles) > 0 {
			return errAt(file, item, "path_roles: role %q listed twice", item.Value)
		}
		roles = append(roles, item.Value)
	}
	l.rolesAt = n
	l.inv.PathRoles = roles
	return nil
}

// checkPaths validates every site's path: known devices of that site, each
// listed once.
func (l *loader) checkPaths() error {
	for _, pp := range l.sitePaths {
		var seen []string
		for i, name := range pp.site.Path {
			at := pp.node
			if at != nil && at.Kind == yaml.SequenceNode && i < len(at.Content) {
				at = at.Content[i]
			}
			d := l.inv.deviceByName[name]
			switch {
			case d == nil:
				return errAt(pp.file, at, "site %q path: unknown device %q", pp.site.Name, name)
			case d.Site != pp.site.Name:
				return errAt(pp.file, at, "site %q path: device %q is at site %q", pp.site.Name, name, d.Site)
			case len(seen) > 0 && oneOf(name, seen):
				return errAt(pp.file, at, "site %q path: device %q listed twice", pp.site.Name, name)
			}
			seen = append(seen, name)
		}
	}
	return nil
}

type pendingDevice struct {
	raw  rawDevice
	node *yaml.Node
	file string
}

type pendingGroup struct {
	raw  rawGroup
	node *yaml.Node
	file string
}

func posOf(file string, n *yaml.Node) policy.Pos {
	return policy.Pos{File: file, Line: n.Line, Col: n.Column}
}

func errAt(file string, n *yaml.Node, format string, args ...any) error {
	return parser.Errorf(posOf(file, n), format, args...)
}

func (l *loader) loadFile(file string, required bool) error {
	l.rec.stat(depContent, file)
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			if required {
				return parser.Errorf(policy.Pos{File: file}, "empty inventory")
			}
			return nil
		}
		return yamlError(file, err)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if !required {
			return nil
		}
		return errAt(file, root, "inventory must be a mapping with keys %s", strings.Join(inventoryKeys, ", "))
	}
	if !required && !hasAnyKey(root, inventoryKeys) {
		return nil // a blocklist or intents file beside the inventory
	}
	if err := checkKeys(file, root, reflect.TypeOf(rawFile{})); err != nil {
		return err
	}
	if n := valueOf(root, "path_roles"); n != nil {
		if err := l.pathRoles(file, n); err != nil {
			return err
		}
	}
	for _, sec := range []struct {
		key string
		fn  func(*yaml.Node) error
	}{
		{"sites", func(n *yaml.Node) error { return l.site(file, n) }},
		{"protected", func(n *yaml.Node) error { return l.protected(file, n) }},
		{"devices", func(n *yaml.Node) error {
			var d rawDevice
			if err := n.Decode(&d); err != nil {
				return yamlError(file, err)
			}
			l.devices = append(l.devices, pendingDevice{d, n, file})
			return nil
		}},
		{"device_groups", func(n *yaml.Node) error {
			var g rawGroup
			if err := n.Decode(&g); err != nil {
				return yamlError(file, err)
			}
			l.groups = append(l.groups, pendingGroup{g, n, file})
			return nil
		}},
	} {
		seq := valueOf(root, sec.key)
		if seq == nil || (seq.Kind == yaml.ScalarNode && seq.Tag == "!!null") {
			continue
		}
		if seq.Kind != yaml.SequenceNode {
			return errAt(file, seq, "%s must be a list", sec.key)
		}
		for _, item := range seq.Content {
			if item.Kind != yaml.MappingNode {
				return errAt(file, item, "each entry of %s must be a mapping", sec.key)
			}
			if err := sec.fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *loader) site(file string, n *yaml.Node) error {
	var r rawSite
	if err := n.Decode(&r); err != nil {
		return yamlError(file, err)
	}
	if r.Name == "" {
		return errAt(file, n, "site needs a name")
	}
	if prev := l.inv.siteByName[r.Name]; prev != nil {
		return errAt(file, valueOf(n, "name"), "duplicate site %q (first defined at %s)", r.Name, prev.Pos)
	}
	s := &Site{Name: r.Name, Description: r.Description, Pos: posOf(file, n), Path: r.Path}
	if len(r.Path) > 0 {
		l.sitePaths = append(l.sitePaths, pendingPath{s, valueOf(n, "path"), file})
	}
	var err error
	if s.Ranges, err = prefixes(file, n, "ranges", r.Ranges); err != nil {
		return err
	}
	if s.Infrastructure, err = prefixes(file, n, "infrastructure", r.Infrastructure); err != nil {
		return err
	}
	l.inv.Sites = append(l.inv.Sites, s)
	l.inv.siteByName[s.Name] = s
	return nil
}

func (l *loader) protected(file string, n *yaml.Node) error {
	var r rawProtected
	if err := n.Decode(&r); err != nil {
		return yamlError(file, err)
	}
	if r.Range == "" {
		return errAt(file, n, "protected entry needs a range")
	}
	p, err := ParsePrefix(r.Range)
	if err != nil {
		return errAt(file, valueOf(n, "range"), "%v", err)
	}
	l.inv.Protected = append(l.inv.Protected, Protected{Prefix: p, Reason: r.Reason, Pos: posOf(file, n)})
	return nil
}

// ParsePrefix accepts a CIDR or a single address (as a host prefix).
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad prefix %q", s)
		}
		if p != p.Masked() {
			return netip.Prefix{}, fmt.Errorf("prefix %q has host bits set (did you mean %s?)", s, p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func prefixes(file string, parent *yaml.Node, key string, in []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	seq := valueOf(parent, key)
	for i, s := range in {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, errAt(file, seq.Content[i], "%s: %v", key, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// resolve validates references and expands config globs once every file is read.
func (l *loader) resolve() error {
	for _, pd := range l.devices {
		d, err := l.device(pd.file, pd.node, pd.raw)
		if err != nil {
			return err
		}
		cfgNode := valueOf(pd.node, "config")
		if cfgNode == nil || pd.raw.Config == "" {
			return errAt(pd.file, pd.node, "device %q needs a config path", d.Name)
		}
		if d.Files, err = l.expand(pd.file, cfgNode, pd.raw.Config); err != nil {
			return err
		}
		if err := l.addDevice(pd.file, pd.node, d); err != nil {
			return err
		}
	}
	for _, pg := range l.groups {
		g := pg.raw
		if g.Config == "" {
			return errAt(pg.file, pg.node, "device group needs a config glob")
		}
		files, err := l.expand(pg.file, valueOf(pg.node, "config"), g.Config)
		if err != nil {
			return err
		}
		var hosts map[string][]string
		if g.HostsFile != "" {
			if hosts, err = l.hostsFile(pg.file, valueOf(pg.node, "hosts_file"), g.HostsFile); err != nil {
				return err
			}
		}
		for _, f := range files {
			name := filepath.Base(f)
			if l.opt.DeviceName != nil {
				name = l.opt.DeviceName(f)
			}
			raw := rawDevice{Name: g.NamePrefix + name, Site: g.Site, Role: g.Role, Vendor: g.Vendor, Tags: g.Tags, Transport: g.Transport}
			if addrs := hosts[raw.Name]; len(addrs) > 0 {
				raw.Mgmt, raw.Addresses = addrs[0], addrs[1:]
			}
			d, err := l.device(pg.file, pg.node, raw)
			if err != nil {
				return err
			}
			d.Config, d.Files = g.Config, []string{f}
			if err := l.addDevice(pg.file, pg.node, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// hostsFile reads a device group's "name,addresses" CSV.
func (l *loader) hostsFile(file string, n *yaml.Node, rel string) (map[string][]string, error) {
	path := rel
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(file), rel)
	}
	l.rec.stat(depContent, path)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errAt(file, n, "hosts_file: %v", err)
	}
	out := map[string][]string{}
	var perr error
	parser.Lines(data, func(ln parser.Line) bool {
		text := strings.TrimSpace(string(ln.Text))
		if text == "" || strings.HasPrefix(text, "#") || (ln.Num == 1 && strings.HasPrefix(text, "name,")) {
			return true
		}
		name, addrs, ok := strings.Cut(text, ",")
		pos := policy.Pos{File: path, Line: ln.Num, Col: 1}
		if !ok {
			perr = parser.Errorf(pos, "want name,addresses")
			return false
		}
		for _, a := range strings.Fields(addrs) {
			if _, err := netip.ParseAddr(a); err != nil {
				perr = parser.Errorf(pos, "bad address %q", a)
				return false
			}
			out[strings.TrimSpace(name)] = append(out[strings.TrimSpace(name)], a)
		}
		return true
	})
	return out, perr
}

func (l *loader) addDevice(file string, n *yaml.Node, d *Device) error {
	if prev := l.inv.deviceByName[d.Name]; prev != nil {
		at := n
		if v := valueOf(n, "name"); v != nil {
			at = v
		}
		return errAt(file, at, "duplicate device %q (first defined at %s)", d.Name, prev.Pos)
	}
	l.inv.Devices = append(l.inv.Devices, d)
	l.inv.deviceByName[d.Name] = d
	return nil
}

func (l *loader) device(file string, n *yaml.Node, r rawDevice) (*Device, error) {
	at := func(key string) *yaml.Node {
		if v := valueOf(n, key); v != nil {
			return v
		}
		return n
	}
	if r.Name == "" {
		return nil, errAt(file, n, "device needs a name")
	}
	if r.Site == "" {
		return nil, errAt(file, n, "device %q needs a site", r.Name)
	}
	if l.inv.siteByName[r.Site] == nil {
		return nil, errAt(file, at("site"), "device %q: unknown site %q (sites: %s)", r.Name, r.Site, l.siteNames())
	}
	if r.Vendor != "" && len(l.opt.KnownVendors) > 0 && !oneOf(r.Vendor, l.opt.KnownVendors) {
		return nil, errAt(file, at("vendor"), "device %q: unknown vendor %q (one of: %s)", r.Name, r.Vendor, strings.Join(l.opt.KnownVendors, ", "))
	}
	d := &Device{Name: r.Name, Site: r.Site, Role: r.Role, Vendor: r.Vendor, Tags: r.Tags, Config: r.Config, Transport: r.Transport, Pos: posOf(file, n)}
	if r.Mgmt != "" {
		a, err := netip.ParseAddr(r.Mgmt)
		if err != nil {
			return nil, errAt(file, at("mgmt"), "device %q: bad management address %q", r.Name, r.Mgmt)
		}
		d.Mgmt = a
	}
	for i, s := range r.Addresses {
		a, err := netip.ParseAddr(s)
		if err != nil {
			at := at("addresses")
			if at.Kind == yaml.SequenceNode && i < len(at.Content) {
				at = at.Content[i]
			}
			return nil, errAt(file, at, "device %q: bad address %q", r.Name, s)
		}
		d.Addresses = append(d.Addresses, a)
	}
	if r.Transport != nil && r.Transport.Timeout < 0 {
		return nil, errAt(file, at("transport"), "device %q: negative timeout", r.Name)
	}
	return d, nil
}

func (l *loader) siteNames() string {
	var names []string
	for _, s := range l.inv.Sites {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// expand resolves a config path or glob relative to the inventory file.
// A glob in the last element only (the common "hosts/*.rules") is matched
// against one directory listing without a stat per file.
func (l *loader) expand(file string, n *yaml.Node, pattern string) ([]string, error) {
	p := pattern
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(file), p)
	}
	if _, err := filepath.Match(p, ""); err != nil {
		return nil, errAt(file, n, "bad config glob %q: %v", pattern, err)
	}
	var files []string
	dir, base := filepath.Split(p)
	if !hasMeta(dir) && hasMeta(base) {
		l.rec.stat(depListing, filepath.Clean(dir))
		ents, _ := os.ReadDir(filepath.Clean(dir))
		for _, e := range ents {
			if ok, _ := filepath.Match(base, e.Name()); ok {
				if e.Type()&os.ModeSymlink != 0 {
					l.rec.typ(filepath.Join(dir, e.Name())) // the target may change
				}
				if isRegular(filepath.Join(dir, e.Name()), e) {
					files = append(files, filepath.Join(dir, e.Name()))
				}
			}
		}
	} else {
		if hasMeta(p) {
			if l.rec != nil {
				l.rec.uncacheable = true
			}
		} else {
			l.rec.typ(p)
		}
		matches, _ := filepath.Glob(p)
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
				files = append(files, m)
			}
		}
	}
	if len(files) == 0 {
		return nil, errAt(file, n, "config %q: no such file", pattern)
	}
	sort.Strings(files)
	return files, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// isRegular trusts the directory entry's type, following symlinks only.
func isRegular(path string, e os.DirEntry) bool {
	if e.Type().IsRegular() {
		return true
	}
	if e.Type()&os.ModeSymlink != 0 {
		st, err := os.Stat(path)
		return err == nil && st.Mode().IsRegular()
	}
	return false
}

func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func hasAnyKey(m *yaml.Node, keys []string) bool {
	for _, k := range keys {
		if valueOf(m, k) != nil {
			return true
		}
	}
	return false
}

// checkKeys rejects mapping keys the schema (yaml struct tags) does not know.
func checkKeys(file string, n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for _, c := range n.Content {
			if err := checkKeys(file, c, t.Elem()); err != nil {
				return err
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				fields[tag] = t.Field(i).Type
				names = append(names, tag)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return errAt(file, k, "unknown key %q (expected one of: %s)", k.Value, strings.Join(names, ", "))
			}
			if ft != reflect.TypeOf(time.Duration(0)) {
				if err := checkKeys(file, n.Content[i+1], ft); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// yamlError turns yaml.v3's "line N: ..." messages into positioned errors.
func yamlError(file string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		rest := msg[strings.Index(msg, ":")+1:]
		return parser.Errorf(policy.Pos{File: file, Line: line}, "%s", strings.TrimSpace(rest))
	}
	return parser.Errorf(policy.Pos{File: file}, "%s", msg)
}
