package blocklist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// DefaultFile is the blocklist's name in the inventory's directory.
const DefaultFile = "blocklist.yaml"

// List is a loaded blocklist.
type List struct {
	// Path is the file it came from.
	Path string `json:"path"`
	// NextID numbers new entries; it only grows, so an ID is never reused.
	NextID  int      `json:"next_id"`
	Entries []*Entry `json:"entries"`
}

// NewID allocates the next entry ID.
func (l *List) NewID() string {
	if l.NextID < 1 {
		l.NextID = 1
	}
	id := "B" + strconv.Itoa(l.NextID)
	l.NextID++
	return id
}

// Entry returns the entry with that ID, or nil.
func (l *List) Entry(id string) *Entry {
	for _, e := range l.Entries {
		if strings.EqualFold(e.ID, id) {
			return e
		}
	}
	return nil
}

// Active returns the entries in force at t.
func (l *List) Active(t time.Time) []*Entry {
	var out []*Entry
	for _, e := range l.Entries {
		if e.Active(t) {
			out = append(out, e)
		}
	}
	return out
}

var fileKeys = []string{"version", "next_id", "entries"}
var entryKeys = []string{"id", "ranges", "reason", "ticket", "added_by", "added_at", "expires", "direction", "scope", "source"}
var scopeKeys = []string{"sites", "devices", "roles"}

// Parse reads a blocklist. Every problem is a *parser.Error naming the
// file, line and column.
func Parse(file string, data []byte) (*List, error) {
	l := &List{Path: file, NextID: 1}
	if len(bytes.TrimSpace(data)) == 0 {
		return l, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if len(doc.Content) == 0 {
		return l, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errAt(file, root, "blocklist must be a mapping with keys %s", strings.Join(fileKeys, ", "))
	}
	if err := checkKeys(file, root, fileKeys); err != nil {
		return nil, err
	}
	if v := valueOf(root, "version"); v != nil && v.Value != "1" {
		return nil, errAt(file, v, "unsupported blocklist version %q (this fwpol reads version 1)", v.Value)
	}
	maxID := 0
	if v := valueOf(root, "next_id"); v != nil {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n < 1 {
			return nil, errAt(file, v, "next_id must be a positive integer")
		}
		l.NextID = n
	}
	seq := valueOf(root, "entries")
	if seq != nil && !(seq.Kind == yaml.ScalarNode && seq.Tag == "!!null") {
		if seq.Kind != yaml.SequenceNode {
			return nil, errAt(file, seq, "entries must be a list")
		}
		seen := map[string]*Entry{}
		for _, n := range seq.Content {
			e, err := parseEntry(file, n)
			if err != nil {
				return nil, err
			}
			key := strings.ToUpper(e.ID)
			if prev := seen[key]; prev != nil {
				return nil, errAt(file, valueOf(n, "id"), "duplicate entry id %q (first at %s)", e.ID, prev.Pos)
			}
			seen[key] = e
			if num, err := strconv.Atoi(strings.TrimPrefix(key, "B")); err == nil && num > maxID {
				maxID = num
			}
			l.Entries = append(l.Entries, e)
		}
	}
	if l.NextID <= maxID {
		l.NextID = maxID + 1
	}
	return l, nil
}

func parseEntry(file string, n *yaml.Node) (*Entry, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n, "each entry must be a mapping")
	}
	if err := checkKeys(file, n, entryKeys); err != nil {
		return nil, err
	}
	e := &Entry{Pos: posOf(file, n), Direction: Both}
	str := func(key string, required bool) (string, error) {
		v := valueOf(n, key)
		if v == nil || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			if required {
				return "", errAt(file, n, "entry needs %s", key)
			}
			return "", nil
		}
		if v.Kind != yaml.ScalarNode {
			return "", errAt(file, v, "%s must be a string", key)
		}
		return v.Value, nil
	}
	var err error
	if e.ID, err = str("id", true); err != nil {
		return nil, err
	}
	if e.Reason, err = str("reason", false); err != nil {
		return nil, err
	}
	if e.Ticket, err = str("ticket", false); err != nil {
		return nil, err
	}
	if e.AddedBy, err = str("added_by", false); err != nil {
		return nil, err
	}
	if e.Source, err = str("source", false); err != nil {
		return nil, err
	}
	for _, k := range []struct {
		key string
		t   *time.Time
	}{{"added_at", &e.AddedAt}, {"expires", &e.Expires}} {
		s, err := str(k.key, false)
		if err != nil {
			return nil, err
		}
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, errAt(file, valueOf(n, k.key), "%s: bad time %q (want RFC 3339, e.g. 2026-01-02T15:04:05Z)", k.key, s)
		}
		*k.t = t.UTC()
	}
	d, err := str("direction", false)
	if err != nil {
		return nil, err
	}
	if e.Direction, err = ParseDirection(d); err != nil {
		return nil, errAt(file, valueOf(n, "direction"), "%v", err)
	}
	rs := valueOf(n, "ranges")
	if rs == nil {
		return nil, errAt(file, n, "entry %s needs ranges", e.ID)
	}
	items := []*yaml.Node{rs}
	if rs.Kind == yaml.SequenceNode {
		items = rs.Content
	}
	if len(items) == 0 {
		return nil, errAt(file, rs, "entry %s has no ranges", e.ID)
	}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return nil, errAt(file, it, "a range must be a string")
		}
		r, err := ParseRange(it.Value)
		if err != nil {
			return nil, errAt(file, it, "%v", err)
		}
		e.Ranges = append(e.Ranges, it.Value)
		e.rr = append(e.rr, r)
	}
	if sc := valueOf(n, "scope"); sc != nil && !(sc.Kind == yaml.ScalarNode && sc.Tag == "!!null") {
		if sc.Kind == yaml.ScalarNode && sc.Value == "all" {
			return e, nil
		}
		if sc.Kind != yaml.MappingNode {
			return nil, errAt(file, sc, "scope must be \"all\" or a mapping with keys %s", strings.Join(scopeKeys, ", "))
		}
		if err := checkKeys(file, sc, scopeKeys); err != nil {
			return nil, err
		}
		for _, k := range []struct {
			key string
			out *[]string
		}{{"sites", &e.Scope.Sites}, {"devices", &e.Scope.Devices}, {"roles", &e.Scope.Roles}} {
			v := valueOf(sc, k.key)
			if v == nil {
				continue
			}
			vs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				vs = v.Content
			}
			for _, x := range vs {
				if x.Kind != yaml.ScalarNode || x.Value == "" {
					return nil, errAt(file, x, "scope %s: want names", k.key)
				}
				*k.out = append(*k.out, x.Value)
			}
		}
	}
	return e, nil
}

// Marshal writes the list in its canonical form (entries in ID order).
func (l *List) Marshal() []byte {
	var b bytes.Buffer
	b.Grow(64 + 256*len(l.Entries))
	b.WriteString("# fwpol blocklist: change it with `fwpol block`; hand edits are validated on every run.\n")
	b.WriteString("version: 1\n")
	fmt.Fprintf(&b, "next_id: %d\n", l.NextID)
	if len(l.Entries) == 0 {
		b.WriteString("entries: []\n")
		return b.Bytes()
	}
	b.WriteString("entries:\n")
	entries := append([]*Entry(nil), l.Entries...)
	sort.SliceStable(entries, func(i, j int) bool { return idLess(entries[i].ID, entries[j].ID) })
	for _, e := range entries {
		fmt.Fprintf(&b, "  - id: %s\n", q(e.ID))
		b.WriteString("    ranges: [")
		for i, r := range e.Ranges {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(q(r))
		}
		b.WriteString("]\n")
		fmt.Fprintf(&b, "    direction: %s\n", e.Direction)
		if e.Reason != "" {
			fmt.Fprintf(&b, "    reason: %s\n", q(e.Reason))
		}
		if e.Ticket != "" {
			fmt.Fprintf(&b, "    ticket: %s\n", q(e.Ticket))
		}
		if e.AddedBy != "" {
			fmt.Fprintf(&b, "    added_by: %s\n", q(e.AddedBy))
		}
		if !e.AddedAt.IsZero() {
			fmt.Fprintf(&b, "    added_at: %s\n", e.AddedAt.UTC().Format(time.RFC3339))
		}
		if !e.Expires.IsZero() {
			fmt.Fprintf(&b, "    expires: %s\n", e.Expires.UTC().Format(time.RFC3339))
		}
		if e.Source != "" {
			fmt.Fprintf(&b, "    source: %s\n", q(e.Source))
		}
		if !e.Scope.IsAll() {
			b.WriteString("    scope:\n")
			for _, k := range []struct {
				key  string
				vals []string
			}{{"sites", e.Scope.Sites}, {"devices", e.Scope.Devices}, {"roles", e.Scope.Roles}} {
				if len(k.vals) == 0 {
					continue
				}
				fmt.Fprintf(&b, "      %s: [", k.key)
				for i, v := range k.vals {
					if i > 0 {
						b.WriteString(", ")
					}
					b.WriteString(q(v))
				}
				b.WriteString("]\n")
			}
		}
	}
	return b.Bytes()
}

// q quotes a scalar: a JSON string is a valid YAML double-quoted scalar.
func q(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

// idLess orders B2 before B10.
func idLess(a, b string) bool {
	na, ea := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(a), "B"))
	nb, eb := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(b), "B"))
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}

func posOf(file string, n *yaml.Node) policy.Pos {
	return policy.Pos{File: file, Line: n.Line, Col: n.Column}
}

func errAt(file string, n *yaml.Node, format string, args ...any) error {
	return parser.Errorf(posOf(file, n), format, args...)
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

func checkKeys(file string, m *yaml.Node, keys []string) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if !oneOf(k.Value, keys) || len(keys) == 0 {
			return errAt(file, k, "unknown key %q (expected one of: %s)", k.Value, strings.Join(keys, ", "))
		}
		if seen[k.Value] {
			return errAt(file, k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
	}
	return nil
}

// yamlError turns yaml.v3's "line N: ..." messages into positioned errors.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		rest := msg[strings.Index(msg, ":")+1:]
		return parser.Errorf(policy.Pos{File: file, Line: line, Col: 1}, "%s", strings.TrimSpace(rest))
	}
	return parser.Errorf(policy.Pos{File: file, Line: 1, Col: 1}, "%s", msg)
}
