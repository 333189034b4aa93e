package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/analysis"
	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/policy"
)

type diffOptions struct {
	io               *IOStreams
	filter, against  string
	device, againstD string
	path             string
	failOn           string
	rejectEqualsDeny bool
	regionLimit      int
	showRegions      int
	noCache          bool
	output           *outputFlag
}

func newDiffCmd(ios *IOStreams) *cobra.Command {
	opts := &diffOptions{io: ios, output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "diff OLD [NEW]",
		Short: "Show the traffic whose verdict changes between two versions of filters",
		Long: `Compare the verdicts of two versions of an estate, device or filter exactly, over
every packet: the packet regions whose verdict changed (old → new), each with a
sample flow and the deciding rule on each side; filters added and removed; bindings
added and removed; and, as information, rules added, removed, moved or modified by
name. Reordering, renaming, splitting or merging rules without changing a verdict is
no traffic change.

OLD and NEW are config files, directories (with ./fwpol.yaml inside: an inventory),
inventory files, or git revisions of the current repository (materialized read-only
into a temporary directory). With only OLD, it is a revision compared with the
working tree. --path restricts revisions and the working tree to a subdirectory.

Filters pair by device and name (two single config files are taken as two
versions of one device). --filter A --against B compares two different
filters, even across devices and vendors (DEVICE:FILTER, or --device and
--against-device, disambiguate).

Exit codes differ from other commands: 0 no traffic change, 1 traffic changes
(--fail-on permit: only when some traffic is newly permitted), 2 errors.`,
		Example: `  fwpol diff old/ new/
  fwpol diff HEAD~1 HEAD --path configs
  fwpol diff main                       # working tree against branch main
  fwpol diff a.conf b.conf --filter edge1:EDGE-IN --against INTERNET-IN
  fwpol diff HEAD~1 HEAD --fail-on permit -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return resultErr(ios, runDiff(opts, args))
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.filter, "filter", "", "only this filter (NAME or DEVICE:NAME); with --against, the old side")
	f.StringVar(&opts.against, "against", "", "compare --filter with this filter of NEW (NAME or DEVICE:NAME)")
	f.StringVar(&opts.device, "device", "", "device of --filter (default: any device holding it)")
	f.StringVar(&opts.againstD, "against-device", "", "device of --against (default: --device)")
	f.StringVar(&opts.path, "path", "", "subdirectory of the repository to compare (git revisions and working tree)")
	f.StringVar(&opts.failOn, "fail-on", "any", "exit 1 on: any (any verdict change) or permit (traffic newly permitted)")
	f.BoolVar(&opts.rejectEqualsDeny, "reject-equals-deny", false, "treat reject and deny as the same verdict")
	f.IntVar(&opts.regionLimit, "region-limit", 200, "regions listed per change (the change itself stays exact)")
	f.IntVar(&opts.showRegions, "show-regions", 10, "regions printed per change in the table")
	f.BoolVar(&opts.noCache, "no-cache", false, "parse every file instead of using the parse cache")
	f.VarP(opts.output, "output", "o", "output format: table|json")
	return cmd
}

func runDiff(opts *diffOptions, args []string) error {
	if len(args) == 0 || len(args) > 2 {
		return usageErrorf("diff needs OLD and NEW (or one git revision to compare with the working tree)")
	}
	if opts.failOn != "any" && opts.failOn != "permit" {
		return usageErrorf("--fail-on must be any or permit, not %q", opts.failOn)
	}
	if opts.against != "" && opts.filter == "" {
		return usageErrorf("--against needs --filter (the old side)")
	}
	if opts.againstD != "" && opts.against == "" {
		return usageErrorf("--against-device needs --against")
	}
	sopt := analysis.SourceOptions{Sub: opts.path}
	resolve := func(arg string) (*analysis.Source, error) {
		s, err := analysis.ResolveSource(arg, sopt)
		if errors.Is(err, analysis.ErrNotASource) {
			return nil, usageErrorf("%v (an argument is an existing file or directory, or a git revision of the current repository)", err)
		}
		return s, err
	}
	oldSrc, err := resolve(args[0])
	if err != nil {
		return err
	}
	defer oldSrc.Close()
	var newSrc *analysis.Source
	if len(args) == 2 {
		newSrc, err = resolve(args[1])
	} else {
		if oldSrc.Kind != "git" {
			return usageErrorf("with one argument, %q must be a git revision (compared with the working tree)", args[0])
		}
		newSrc, err = analysis.WorkTree(sopt)
	}
	if err != nil {
		return err
	}
	defer newSrc.Close()

	lopt := analysis.LoadOptions{}
	if !opts.noCache {
		lopt.CacheDir = estate.DefaultCacheDir()
	}
	oldCfgs, err := oldSrc.Load(lopt)
	if err != nil {
		return err
	}
	newCfgs, err := newSrc.Load(lopt)
	if err != nil {
		return err
	}
	var pairs []analysis.Pair
	var bindings []analysis.BindingChange
	switch {
	case opts.against != "":
		o, err := pickFilter(oldCfgs, opts.device, opts.filter, "--filter", oldSrc.Label())
		if err != nil {
			return err
		}
		dev := opts.againstD
		if dev == "" {
			dev = opts.device
		}
		n, err := pickFilter(newCfgs, dev, opts.against, "--against", newSrc.Label())
		if err != nil {
			return err
		}
		pairs = []analysis.Pair{{Old: o, New: n}}
	default:
		if oldSrc.IsFile() && newSrc.IsFile() && len(oldCfgs) == 1 && len(newCfgs) == 1 {
			// two files are two versions of one device, whatever their names
			nc := *newCfgs[0]
			nc.Device = oldCfgs[0].Device
			newCfgs = []*policy.Config{&nc}
		}
		pairs = analysis.PairEstates(oldCfgs, newCfgs)
		bindings = analysis.DiffBindings(oldCfgs, newCfgs)
		if opts.filter != "" || opts.device != "" {
			dev, name := opts.device, opts.filter
			if d, n, ok := strings.Cut(name, ":"); ok && dev == "" && !hasFilterNamed(pairs, name) {
				dev, name = d, n
			}
			var kept []analysis.Pair
			for _, p := range pairs {
				s := p.Old
				if s == nil {
					s = p.New
				}
				if (dev == "" || s.Config.Device == dev) && (name == "" || s.Filter.Name == name) {
					kept = append(kept, p)
				}
			}
			if len(kept) == 0 {
				return usageErrorf("no entry filter %q%s in %s or %s", name, onDevice(dev), oldSrc.Label(), newSrc.Label())
			}
			pairs = kept
			var kb []analysis.BindingChange
			for _, b := range bindings {
				if (dev == "" || b.Device == dev) && (name == "" || b.Filter == name) {
					kb = append(kb, b)
				}
			}
			bindings = kb
		}
	}
	rep := analysis.Diff(pairs, bindings, analysis.DiffOptions{RejectEqualsDeny: opts.rejectEqualsDeny, RegionLimit: opts.regionLimit})
	rep.Old, rep.New = oldSrc.Label(), newSrc.Label()
	if opts.output.value == "json" {
		if err := writeJSON(opts.io.Out, rep); err != nil {
			return err
		}
	} else if err := printDiff(opts, rep); err != nil {
		return err
	}
	fail := rep.TrafficChanged()
	if opts.failOn == "permit" {
		fail = rep.NewlyPermits()
	}
	if fail {
		return exitCodeError{1}
	}
	return nil
}

func onDevice(dev string) string {
	if dev == "" {
		return ""
	}
	return " on device " + dev
}

func hasFilterNamed(pairs []analysis.Pair, name string) bool {
	for _, p := range pairs {
		if (p.Old != nil && p.Old.Filter.Name == name) || (p.New != nil && p.New.Filter.Name == name) {
			return true
		}
	}
	return false
}

// pickFilter finds exactly one filter by NAME or DEVICE:NAME.
func pickFilter(cfgs []*policy.Config, dev, name, flag, where string) (*analysis.Side, error) {
	found := analysis.FindFilter(cfgs, dev, name)
	if len(found) == 0 && dev == "" {
		if d, n, ok := strings.Cut(name, ":"); ok {
			dev, name = d, n
			found = analysis.FindFilter(cfgs, dev, name)
		}
	}
	switch len(found) {
	case 0:
		return nil, usageErrorf("%s: no filter %q%s in %s", flag, name, onDevice(dev), where)
	case 1:
		return found[0], nil
	}
	var devs []string
	for _, s := range found {
		devs = append(devs, s.Config.Device)
	}
	sort.Strings(devs)
	return nil, usageErrorf("%s: filter %q is on several devices (%s): name one with DEVICE:%s or --device/--against-device", flag, name, strings.Join(devs, ", "), name)
}

func sideText(s policy.DiffSide) string {
	if s.Rule == "" {
		t := "default " + s.Action.String()
		if s.Err != "" {
			t += " (error: " + s.Err + ")"
		}
		return t
	}
	return fmt.Sprintf("rule %s (line %d) %s", s.Rule, s.Line, s.Action)
}

func printDiff(opts *diffOptions, rep *analysis.DiffReport) error {
	w := opts.io.Out
	fmt.Fprintf(w, "diff %s → %s\n", rep.Old, rep.New)
	for _, f := range rep.Filters {
		name := f.Device + " " + f.Filter
		if f.Against != "" || f.AgainstDevice != "" {
			ad, af := f.AgainstDevice, f.Against
			if ad == "" {
				ad = f.Device
			}
			if af == "" {
				af = f.Filter
			}
			name += " → " + ad + " " + af
		}
		switch f.Status {
		case "added":
			fmt.Fprintf(w, "\n+ %s: filter added (%s)\n", name, f.NewFile)
		case "removed":
			fmt.Fprintf(w, "\n- %s: filter removed (%s)\n", name, f.OldFile)
		case "changed":
			s := f.Summary
			fmt.Fprintf(w, "\n~ %s: %s, %s (%d newly permitted, %d newly blocked, %d other)\n",
				name, count(s.Changes, "change"), count(s.Regions, "region"), s.NewlyPermitted, s.NewlyBlocked, s.Other)
			for _, c := range f.Changes {
				oldF, newF := "", ""
				if c.Old.Filter != f.Filter && c.Old.Filter != "" {
					oldF = c.Old.Filter + " "
				}
				if nf := f.Against; c.New.Filter != "" && c.New.Filter != f.Filter && c.New.Filter != nf {
					newF = c.New.Filter + " "
				}
				fmt.Fprintf(w, "  %s → %s  [%s]\n", c.Old.Action, c.New.Action, c.Direction)
				fmt.Fprintf(w, "    old: %s%s\n    new: %s%s\n", oldF, sideText(c.Old), newF, sideText(c.New))
				for i, r := range c.Regions {
					if opts.showRegions >= 0 && i >= opts.showRegions {
						fmt.Fprintf(w, "    ... %d more regions (-o json lists up to --region-limit)\n", len(c.Regions)-i)
						break
					}
					fmt.Fprintf(w, "    %s\n", r.Text)
				}
				if c.Truncated {
					fmt.Fprintf(w, "    (regions truncated at --region-limit)\n")
				}
				fmt.Fprintf(w, "    sample: %s\n", c.Sample.Text)
			}
		}
		if !f.Cosmetic.Empty() {
			c := f.Cosmetic
			var parts []string
			add := func(label string, names []string) {
				if len(names) > 0 {
					parts = append(parts, label+" "+nameList(names))
				}
			}
			add("added", c.Added)
			add("removed", c.Removed)
			add("moved", c.Moved)
			add("modified", c.Modified)
			renamed := make([]string, len(c.Renamed))
			for i, r := range c.Renamed {
				renamed[i] = r.String()
			}
			add("renamed", renamed)
			prefix := "  "
			if f.Status == "unchanged" {
				prefix = "\n= " + name + ": no traffic change; "
			}
			fmt.Fprintf(w, "%sinfo: rules %s\n", prefix, strings.Join(parts, "; "))
		}
	}
	if len(rep.Bindings) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "BINDING", "DEVICE", "FILTER", "KIND", "TARGET", "DIRECTION", "LINE")
		for _, b := range rep.Bindings {
			t.row(b.Change, b.Device, b.Filter, b.Kind, b.Target, dash(b.Direction), b.Pos.Line)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	s := rep.Summary
	fmt.Fprintf(w, "\n%s: %d changed (%s: %d newly permitted, %d newly blocked, %d other), %d added, %d removed, %d unchanged; %s; %d with rule edits\n",
		count(s.Filters, "filter"), s.Changed, count(s.Regions, "region"), s.NewlyPermitted, s.NewlyBlocked, s.Other, s.Added, s.Removed, s.Unchanged, count(s.BindingChanges, "binding change"), s.Cosmetic)
	return nil
}

// count writes "1 region", "2 regions".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func nameList(names []string) string {
	const max = 12
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}
