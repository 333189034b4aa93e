// Package analysis holds the estate-level operations built on the packet-space
// algebra of package policy: semantic diff of two versions of an estate (files,
// directories, inventories or git revisions) and lint rules across an estate.
package analysis

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors/registry"
)

// ErrNotASource is wrapped by ResolveSource when an argument is neither an
// existing path nor a git revision of the current repository (a usage error).
var ErrNotASource = errors.New("not a path or git revision")

// Source is one side of a diff: where its configs come from.
type Source struct {
	// Arg is the argument as given.
	Arg string
	// Kind is "path" or "git".
	Kind string
	// Rev is the resolved commit for git sources.
	Rev string
	// Dir is the directory or file to load (inside a temporary tree for git
	// sources).
	Dir string
	// Inventory is the inventory file to load devices from, if any.
	Inventory string
	// Under restricts an inventory's devices to configs below this
	// directory (git sources with --path and an inventory at the root).
	Under string

	tmp  string
	root string // the repository (Revision sources)
}

// Label names the source for output: the path, or "REV (commit)".
func (s *Source) Label() string {
	if s.Kind == "git" {
		short := s.Rev
		if len(short) > 12 {
			short = short[:12]
		}
		return s.Arg + " (" + short + ")"
	}
	return s.Arg
}

// Close removes a git source's temporary tree.
func (s *Source) Close() error {
	if s == nil || s.tmp == "" {
		return nil
	}
	err := os.RemoveAll(s.tmp)
	s.tmp = ""
	return err
}

// SourceOptions tune ResolveSource.
type SourceOptions struct {
	// Dir is the working directory whose git repository revisions refer
	// to ("" = the process's).
	Dir string
	// Sub restricts a git revision (and the working tree it is compared
	// with) to a subdirectory of the repository.
	Sub string
}

// WorkTree returns the working tree of the repository holding opt.Dir as a
// source (restricted to opt.Sub), for "fwpol diff REV" with one argument.
func WorkTree(opt SourceOptions) (*Source, error) {
	root, err := gitOut(opt.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("one argument compares a git revision with the working tree, but %s", err)
	}
	s := &Source{Arg: "working tree", Kind: "path"}
	s.Dir, s.Inventory, s.Under = layout(root, opt.Sub)
	if _, err := os.Stat(s.Dir); err != nil {
		return nil, err
	}
	return s, nil
}

// IsFile reports whether s is a single config file (not a directory, an
// inventory or a revision).
func (s *Source) IsFile() bool {
	if s.Kind != "path" || s.Inventory != "" {
		return false
	}
	st, err := os.Stat(s.Dir)
	return err == nil && st.Mode().IsRegular()
}

// ResolveSource interprets arg: an existing path is a path; otherwise a git
// revision of the repository holding opt.Dir, materialized read-only into a
// temporary directory (Close removes it).
func ResolveSource(arg string, opt SourceOptions) (*Source, error) {
	p := arg
	if opt.Dir != "" && !filepath.IsAbs(p) {
		p = filepath.Join(opt.Dir, p)
	}
	if st, err := os.Stat(p); err == nil {
		s := &Source{Arg: arg, Kind: "path", Dir: p}
		if st.IsDir() {
			if inv := filepath.Join(p, netdb.DefaultFile); isFile(inv) {
				s.Inventory = inv
			}
		} else if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" {
			s.Inventory = p
		}
		return s, nil
	}
	if strings.HasPrefix(arg, "-") {
		return nil, fmt.Errorf("%q: %w", arg, ErrNotASource)
	}
	s, err := checkout(arg, opt, opt.Sub, "no such file or directory, and ")
	if err != nil {
		return nil, err
	}
	s.Dir, s.Inventory, s.Under = layout(s.tmp, opt.Sub)
	if _, err := os.Stat(s.Dir); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s has no %s", arg, opt.Sub)
	}
	return s, nil
}

// Revision materializes the whole repository holding opt.Dir at git
// revision rev (read-only, in a temporary tree; Close removes it), for
// loading the same paths as in the working tree with InTree.
func Revision(rev string, opt SourceOptions) (*Source, error) {
	s, err := checkout(rev, opt, "", "")
	if err != nil {
		return nil, err
	}
	s.Dir = s.tmp
	return s, nil
}

// checkout materializes git revision arg of the repository holding opt.Dir
// (only sub, when given) into a temporary tree; why prefixes the reason an
// argument that is no revision is refused.
func checkout(arg string, opt SourceOptions, sub, why string) (*Source, error) {
	rev, gerr := gitOut(opt.Dir, "rev-parse", "--verify", "--quiet", arg+"^{commit}")
	if gerr != nil || rev == "" {
		why += "not a git revision"
		if _, err := gitOut(opt.Dir, "rev-parse", "--git-dir"); err != nil {
			why += " (not inside a git repository)"
		}
		return nil, fmt.Errorf("%q: %s: %w", arg, why, ErrNotASource)
	}
	root, err := gitOut(opt.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(revisionTmpBase(), "fwpol-rev-")
	if err != nil {
		return nil, err
	}
	s := &Source{Arg: arg, Kind: "git", Rev: rev, tmp: tmp, root: root}
	if err := archive(root, rev, sub, tmp); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// InTree maps a path of the working tree to the same path in a Revision's
// tree; ok is false when it lies outside the repository or does not exist
// at that revision.
func (s *Source) InTree(p string) (string, bool) {
	if s.root == "" {
		return "", false
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	root := s.root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	out := filepath.Join(s.tmp, rel)
	if _, err := os.Stat(out); err != nil {
		return "", false
	}
	return out, true
}

// Relabel names positions of configs loaded from a git source's tree as
// repository paths.
func (s *Source) Relabel(cfgs []*policy.Config) {
	if s.tmp == "" {
		return
	}
	for _, c := range cfgs {
		relabel(c, s.tmp)
	}
}

// layout picks what to load in a tree: the subdirectory, and the inventory
// of the subdirectory or else of the tree root.
func layout(root, sub string) (dir, inv, under string) {
	dir = root
	if sub != "" {
		dir = filepath.Join(root, filepath.FromSlash(sub))
	}
	if f := filepath.Join(dir, netdb.DefaultFile); isFile(f) {
		return dir, f, ""
	}
	if f := filepath.Join(root, netdb.DefaultFile); sub != "" && isFile(f) {
		return dir, f, dir
	}
	return dir, "", ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(out.String()), nil
}

// archive extracts the tree of rev (only sub, when given) into dst with
// read-only files. Symlinks and paths leaving dst are skipped.
func archive(root, rev, sub, dst string) error {
	args := []string{"archive", "--format=tar", rev}
	if sub != "" {
		args = append(args, "--", path.Clean(filepath.ToSlash(sub)))
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	xerr := untar(out, dst)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %s", rev, strings.TrimSpace(errb.String()))
	}
	return xerr
}

func untar(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if name == "." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
			continue
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o444)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// LoadOptions tune Load.
type LoadOptions struct {
	// CacheDir is the parse cache for path sources ("" disables it; git
	// sources never use it: their temporary paths would only pollute it).
	CacheDir string
	Scope    netdb.Filter
}

// Load parses the configs of a source.
func (s *Source) Load(opt LoadOptions) ([]*policy.Config, error) {
	eo := estate.Options{Scope: opt.Scope}
	if s.Kind == "path" {
		eo.CacheDir = opt.CacheDir
	}
	var paths []string
	if s.Inventory != "" {
		var names []string
		for _, v := range registry.All() {
			names = append(names, v.Name)
		}
		inv, err := netdb.Load(s.Inventory, netdb.Options{KnownVendors: names, DeviceName: estate.DeviceName})
		if err != nil {
			return nil, err
		}
		eo.Inventory = inv
	} else {
		paths = []string{s.Dir}
	}
	est, err := estate.Load(paths, eo)
	if err != nil {
		return nil, err
	}
	cfgs := est.Configs
	if s.Under != "" {
		prefix := s.Under + string(filepath.Separator)
		kept := cfgs[:0]
		for _, c := range cfgs {
			if strings.HasPrefix(c.File, prefix) {
				kept = append(kept, c)
			}
		}
		cfgs = kept
	}
	if s.tmp != "" {
		// Name files as they are in the repository, not the temporary tree.
		for _, c := range cfgs {
			relabel(c, s.tmp)
		}
	}
	return cfgs, nil
}

// relabel rewrites positions inside a temporary tree to repository paths.
func relabel(c *policy.Config, tmp string) {
	fix := func(f string) string {
		if r, err := filepath.Rel(tmp, f); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return f
	}
	c.File = fix(c.File)
	for _, f := range c.Filters {
		f.Pos.File = fix(f.Pos.File)
		for _, r := range f.Rules {
			if r != nil {
				r.Pos.File = fix(r.Pos.File)
			}
		}
	}
	for _, o := range c.Objects {
		o.Pos.File = fix(o.Pos.File)
	}
	for i := range c.Bindings {
		c.Bindings[i].Pos.File = fix(c.Bindings[i].Pos.File)
	}
	for i := range c.Undefined {
		c.Undefined[i].Pos.File = fix(c.Undefined[i].Pos.File)
	}
	for i := range c.Warnings {
		c.Warnings[i].Pos.File = fix(c.Warnings[i].Pos.File)
	}
}
