package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/analysis"
)

type lintOptions struct {
	io             *IOStreams
	estate         estateFlags
	failOn         string
	minSeverity    string
	maxSrcPrefix   int
	maxSrcPrefix6  int
	now            string
	newSince       string
	showSuppressed bool
	checks         []string
	skipChecks     []string
	output         *outputFlag
}

func newLintCmd(ios *IOStreams) *cobra.Command {
	opts := &lintOptions{io: ios, output: newOutputFlag("table", "table", "json", "sarif", "github")}
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Find shadowed, redundant, empty and overly broad rules, undefined and unused objects",
		Long: `Check every filter of the configs exactly over the packet space.

Checks and severities (error > warning > note):
  shadowed-conflict  error    earlier rules decide every packet of the rule, some with another verdict
  shadowed           warning  ... all with the rule's own verdict, for a permit rule (note for deny/reject)
  redundant          note     removing the rule changes no verdict (e.g. a deny before the implicit deny)
  empty              warning  the rule matches nothing (empty group, contradiction, unresolved reference)
  undefined          error    a name is used but never defined
  unused-object      note     an object no rule (or used object) references
  unused-filter      note     a chain never jumped to; a filter never bound (when the device has bindings)
  permit-any-any     warning  a permit from any source to any destination
  broad-source       warning  a permit whose source holds a network wider than --max-src-prefix
  expired            warning  a rule's time-range (ASA, IOS) or scheduler (SRX) ended before --now

A finding the team has accepted is silenced in the rule's own comment (IOS/ASA
remark, Junos term comment, iptables -m comment, nft comment): "fwpol:ignore" for
every check, or "fwpol:ignore shadowed redundant" for those (shadowed-conflict only
by name). Silenced findings never fail a run; --show-suppressed lists them, SARIF
marks them as suppressed in source.

--new-since REV lints the same paths and inventory as they were at a git revision
too and reports only the findings that are new (matched by check, device, filter,
rule or object and related rules, not by line): a CI gate for what a change adds.

Exit codes: 0 no finding at or above --fail-on, 1 such findings, 2 errors.`,
		Example: `  fwpol lint configs/
  fwpol lint --inventory fwpol.yaml --site dc1 --fail-on warning
  fwpol lint -o sarif configs/ > fwpol.sarif
  fwpol lint -o github configs/      # annotations in GitHub Actions
  fwpol lint --inventory fwpol.yaml --new-since origin/main --fail-on warning`,
		RunE: func(cmd *cobra.Command, args []string) error {
			failAt, err := severityFlag("--fail-on", opts.failOn, true)
			if err != nil {
				return err
			}
			minSev, err := severityFlag("--severity", opts.minSeverity, false)
			if err != nil {
				return err
			}
			now, err := parseNow(opts.now)
			if err != nil {
				return err
			}
			checks, err := checkSet(opts.checks, opts.skipChecks)
			if err != nil {
				return err
			}
			est, err := opts.estate.load(args)
			if err != nil {
				return resultErr(ios, err) // exit 1 means findings
			}
			lopt := analysis.LintOptions{MaxSrcPrefix: prefixOpt(opts.maxSrcPrefix), MaxSrcPrefix6: prefixOpt(opts.maxSrcPrefix6), Now: now, Checks: checks}
			all := analysis.Lint(est.Configs, lopt)
			var baseline *lintBaseline
			if opts.newSince != "" {
				base, info, err := lintAtRevision(opts, args, lopt)
				if err != nil {
					return resultErr(ios, err)
				}
				all, info.Known = analysis.NewFindings(all, base)
				baseline = info
			}
			// suppressed findings: SARIF marks them, the others list them
			// only on request; they never fail the run
			shown := all[:0:0]
			suppressed := 0
			for _, f := range all {
				if f.Severity < minSev {
					continue
				}
				if f.Suppressed {
					suppressed++
					if !opts.showSuppressed && opts.output.value != "sarif" {
						continue
					}
				}
				shown = append(shown, f)
			}
			switch opts.output.value {
			case "json":
				sum := summarize(shown, len(est.Configs))
				sum.Suppressed = suppressed
				err = writeJSON(ios.Out, lintJSON{Findings: nonNil(shown), Summary: sum, Baseline: baseline})
			case "sarif":
				err = writeJSON(ios.Out, analysis.SARIF(shown))
			case "github":
				err = analysis.WriteGitHub(ios.Out, shown)
			default:
				err = printLint(ios, shown, len(est.Configs), baseline, suppressed)
			}
			if err != nil {
				return err
			}
			if failAt > 0 {
				for _, f := range all {
					if f.Severity >= failAt && !f.Suppressed {
						return exitCodeError{1}
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.failOn, "fail-on", "error", "exit 1 when a finding at or above this severity exists: error|warning|note|never")
	f.StringVar(&opts.minSeverity, "severity", "note", "list findings at or above this severity: error|warning|note")
	f.IntVar(&opts.maxSrcPrefix, "max-src-prefix", 8, "broad-source: flag permit sources wider than this IPv4 prefix length (-1 disables)")
	f.IntVar(&opts.maxSrcPrefix6, "max-src-prefix6", 32, "broad-source: the same for IPv6 (-1 disables)")
	f.StringSliceVar(&opts.checks, "check", nil, "run only these checks (IDs as listed above, comma-separated)")
	f.StringSliceVar(&opts.skipChecks, "skip-check", nil, "do not run these checks")
	f.BoolVar(&opts.showSuppressed, "show-suppressed", false, "also list findings silenced by fwpol:ignore in a rule's comment (marked; they never fail the run)")
	f.StringVar(&opts.newSince, "new-since", "", "report only findings that the configs did not have at this git revision (the same paths and inventory there)")
	f.StringVar(&opts.now, "now", "", "expired: judge time-ranges at this time (RFC 3339 or YYYY-MM-DD[THH:MM]; default the current time)")
	opts.estate.register(f)
	f.VarP(opts.output, "output", "o", "output format: table|json|sarif|github")
	return cmd
}

// checkSet turns --check and --skip-check into LintOptions.Checks (nil:
// every check).
func checkSet(only, skip []string) (map[string]bool, error) {
	if len(only) == 0 && len(skip) == 0 {
		return nil, nil
	}
	known := map[string]bool{}
	var ids []string
	for _, r := range analysis.LintRules {
		known[r.ID] = true
		ids = append(ids, r.ID)
	}
	set := map[string]bool{}
	for _, flag := range []struct {
		name string
		ids  []string
	}{{"--check", only}, {"--skip-check", skip}} {
		for _, id := range flag.ids {
			if !known[id] {
				return nil, usageErrorf("%s: unknown check %q (one of: %s)", flag.name, id, strings.Join(ids, ", "))
			}
		}
	}
	if len(only) == 0 {
		only = ids
	}
	for _, id := range only {
		set[id] = true
	}
	for _, id := range skip {
		delete(set, id)
	}
	if len(set) == 0 {
		return nil, usageErrorf("--check and --skip-check leave no check to run")
	}
	return set, nil
}

// prefixOpt maps the flag to LintOptions (0 there means the default).
func prefixOpt(v int) int {
	if v <= 0 {
		return -1
	}
	return v
}

func severityFlag(flag, v string, allowNever bool) (analysis.Severity, error) {
	if allowNever && v == "never" {
		return 0, nil
	}
	s, err := analysis.ParseSeverity(v)
	if err != nil {
		return 0, usageErrorf("%s: %v", flag, err)
	}
	return s, nil
}

type lintSummary struct {
	Configs  int            `json:"configs"`
	Findings int            `json:"findings"`
	Error    int            `json:"error"`
	Warning  int            `json:"warning"`
	Note     int            `json:"note"`
	ByCheck  map[string]int `json:"by_check"`
	// Suppressed counts the findings silenced by fwpol:ignore.
	Suppressed int `json:"suppressed"`
}

type lintJSON struct {
	Findings []analysis.LintFinding `json:"findings"`
	Summary  lintSummary            `json:"summary"`
	Baseline *lintBaseline          `json:"baseline,omitempty"`
}

// lintBaseline says what --new-since compared with.
type lintBaseline struct {
	Rev    string `json:"rev"`
	Commit string `json:"commit"`
	// Known counts the findings left out because the revision had them.
	Known int `json:"known"`
}

// lintAtRevision lints the same paths and inventory as they were at
// --new-since (paths missing there contribute nothing).
func lintAtRevision(opts *lintOptions, args []string, lopt analysis.LintOptions) ([]analysis.LintFinding, *lintBaseline, error) {
	src, err := analysis.Revision(opts.newSince, analysis.SourceOptions{})
	if errors.Is(err, analysis.ErrNotASource) {
		return nil, nil, usageErrorf("--new-since: %v", err)
	}
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	inv := ""
	if p := opts.estate.inventoryPath(); p != "" {
		// a file or a directory, read at the revision as it is read now
		inv, _ = src.InTree(p)
	}
	var paths []string
	for _, a := range args {
		if p, ok := src.InTree(a); ok {
			paths = append(paths, p)
		}
	}
	if inv == "" && len(paths) == 0 {
		fmt.Fprintf(opts.io.ErrOut, "warning: --new-since %s: none of the configs existed there: every finding is new\n", opts.newSince)
	}
	est, err := opts.estate.loadAt(inv, paths)
	if err != nil {
		return nil, nil, fmt.Errorf("--new-since %s: %w", opts.newSince, err)
	}
	src.Relabel(est.Configs)
	return analysis.Lint(est.Configs, lopt), &lintBaseline{Rev: opts.newSince, Commit: src.Rev}, nil
}

func nonNil(fs []analysis.LintFinding) []analysis.LintFinding {
	if fs == nil {
		return []analysis.LintFinding{}
	}
	return fs
}

func summarize(fs []analysis.LintFinding, configs int) lintSummary {
	s := lintSummary{Configs: configs, Findings: len(fs), ByCheck: map[string]int{}}
	for _, f := range fs {
		s.ByCheck[f.Check]++
		switch f.Severity {
		case analysis.SevError:
			s.Error++
		case analysis.SevWarning:
			s.Warning++
		default:
			s.Note++
		}
	}
	return s
}

func printLint(ios *IOStreams, fs []analysis.LintFinding, configs int, baseline *lintBaseline, suppressed int) error {
	w := ios.Out
	known := ""
	if baseline != nil {
		known = fmt.Sprintf(" new since %s (%d known there not shown)", baseline.Rev, baseline.Known)
	}
	if suppressed > 0 {
		known += fmt.Sprintf(" (%d suppressed by fwpol:ignore)", suppressed)
	}
	if len(fs) == 0 {
		fmt.Fprintf(w, "no findings%s in %s\n", known, count(configs, "config"))
		return nil
	}
	t := newTable(w, "SEVERITY", "CHECK", "LOCATION", "DEVICE", "FILTER", "RULE", "MESSAGE")
	for _, f := range fs {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		what := f.Rule
		if what == "" {
			what = f.Object
		}
		check := f.Check
		if f.Suppressed {
			check += " (suppressed)"
		}
		t.row(f.Severity, check, loc, f.Device, dash(f.Filter), dash(what), strings.ReplaceAll(f.Message, "\n", " "))
	}
	if err := t.flush(); err != nil {
		return err
	}
	s := summarize(fs, configs)
	var checks []string
	for c, n := range s.ByCheck {
		checks = append(checks, fmt.Sprintf("%s %d", c, n))
	}
	sort.Strings(checks)
	fmt.Fprintf(w, "\n%s%s in %s: %s, %s, %s (%s)\n", count(s.Findings, "finding"), known, count(configs, "config"),
		count(s.Error, "error"), count(s.Warning, "warning"), count(s.Note, "note"), strings.Join(checks, ", "))
	return nil
}

// parseNow parses --now (empty: the current time).
func parseNow(v string) (time.Time, error) {
	if v == "" {
		return time.Now(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErrorf("--now: %q is not a time (want RFC 3339, e.g. 2026-01-31T12:00:00Z, or YYYY-MM-DD)", v)
}
