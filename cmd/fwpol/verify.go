package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/blocklist"
	"github.com/fwpol/fwpol/intent"
	"github.com/fwpol/fwpol/netdb"
)

type verifyOptions struct {
	io           *IOStreams
	estate       estateFlags
	intentsFile  string
	changedSince string
	output       *outputFlag
}

// verify's exit codes gate CI: 0 every intent holds, 1 a violation, 2 error.
const exitViolation = 1

func newVerifyCmd(ios *IOStreams) *cobra.Command {
	opts := &verifyOptions{io: ios, output: newOutputFlag("table", "table", "json", "github")}
	cmd := &cobra.Command{
		Use:   "verify [PATH...]",
		Short: "Check the team's standing intents against every filter in scope",
		Long: `Check every intent of an intents file (default: intents.yaml beside the
inventory) exactly, with the packet-space algebra: "deny" means no packet of the
region is permitted, "permit" that every packet is, "reachable" that at least one
is. Each violation names the device, filter, a counterexample flow and the rule
that decides it. An intent that no filter in scope can see is a warning.

Exit status: 0 every intent holds, 1 a violation, 2 an error.`,
		Example: "  fwpol verify --inventory fwpol.yaml\n  fwpol verify --changed-since origin/main -o github",
		RunE: func(cmd *cobra.Command, args []string) error {
			err := runVerify(opts, args)
			var ec exitCodeError
			if err != nil && !errors.As(err, &ec) {
				printError(ios.ErrOut, err)
				return exitCodeError{exitUsage}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.intentsFile, "intents", "", "intents file (default: "+intent.DefaultFile+" beside the inventory, or in the working directory)")
	f.StringVar(&opts.changedSince, "changed-since", "", "check only devices whose configs changed since this git revision (and say which intents that affects)")
	opts.estate.register(f)
	f.VarP(opts.output, "output", "o", "output format: table|json|github")
	return cmd
}

func runVerify(opts *verifyOptions, paths []string) error {
	inv, err := opts.estate.loadInventory()
	if err != nil {
		return err
	}
	file := opts.intentsFile
	if file == "" {
		file = intent.DefaultFile
		if inv != nil {
			file = filepath.Join(inv.Dir, intent.DefaultFile)
		}
	}
	intents, err := intent.Load(file)
	if err != nil {
		return err
	}
	if opts.changedSince != "" {
		changed, all, err := changedFiles(opts.changedSince)
		if err != nil {
			return err
		}
		if !all {
			paths, err = restrictToChanged(&opts.estate, inv, paths, changed)
			if errors.Is(err, errNothingChanged) {
				fmt.Fprintf(opts.io.Out, "no device config changed since %s: no intent is affected\n", opts.changedSince)
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	est, err := opts.estate.load(paths)
	if err != nil {
		return err
	}
	var names intent.Names
	if inv != nil {
		bl, err := blocklist.Load(filepath.Join(inv.Dir, blocklist.DefaultFile))
		if err != nil {
			return err
		}
		names = intent.InventoryNames{Inv: inv, Blocklist: bl, Now: time.Now()}
	}
	rep, err := intent.Check(est.Configs, intents, names)
	if err != nil {
		return err
	}
	if opts.changedSince != "" {
		rep.Unaffected() // only changed devices were checked: silence is not vacuity
	}
	switch opts.output.value {
	case "json":
		if err := writeJSON(opts.io.Out, rep); err != nil {
			return err
		}
	case "github":
		for _, v := range rep.Violations {
			fmt.Fprintf(opts.io.Out, "::error file=%s,line=%d,title=intent %s::%s %s: %s decides %s (%s)\n", v.File, v.Line, v.Intent, v.Device, v.Filter, ruleOrDefault(v.Rule), v.Flow, v.Message)
		}
		for _, w := range rep.Warnings {
			fmt.Fprintf(opts.io.Out, "::warning file=%s,line=%d,title=intent %s::%s\n", w.Pos.File, w.Pos.Line, w.Intent, w.Msg)
		}
	default:
		printVerify(opts.io, rep)
	}
	if len(rep.Violations) > 0 {
		return exitCodeError{exitViolation}
	}
	return nil
}

func ruleOrDefault(r *string) string {
	if r == nil {
		return "the default"
	}
	return "rule " + *r
}

func printVerify(ios *IOStreams, rep *intent.Report) {
	t := newTable(ios.Out, "INTENT", "EXPECT", "FILTERS", "VIOLATIONS", "RESULT")
	for _, s := range rep.Statuses {
		t.row(s.Intent, s.Expect, s.Filters, s.Violations, s.Result)
	}
	t.flush()
	if len(rep.Violations) > 0 {
		fmt.Fprintln(ios.Out)
		v := newTable(ios.Out, "INTENT", "SITE", "DEVICE", "FILTER", "COUNTEREXAMPLE", "ACTION", "RULE", "LINE")
		for _, x := range rep.Violations {
			rule := "(default)"
			if x.Rule != nil {
				rule = *x.Rule
			}
			v.row(x.Intent, dash(x.Site), x.Device, x.Filter, x.Flow, x.Action, rule, x.Line)
		}
		v.flush()
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(ios.ErrOut, "%s: warning: intent %s: %s\n", w.Pos, w.Intent, w.Msg)
	}
}

// changedFiles lists files changed since rev (committed, staged, unstaged
// and untracked), as absolute paths. all is true when a change can affect
// every check (the inventory or intents file changed).
func changedFiles(rev string) (map[string]bool, bool, error) {
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, false, err
	}
	if _, err := git("rev-parse", "--verify", rev+"^{commit}"); err != nil {
		return nil, false, usageErrorf("--changed-since: %q is not a git revision", rev)
	}
	diff, err := git("diff", "--name-only", rev, "--")
	if err != nil {
		return nil, false, err
	}
	untracked, err := git("ls-files", "--others", "--exclude-standard")
	if err != nil {
		return nil, false, err
	}
	out := map[string]bool{}
	all := false
	for _, l := range strings.Split(diff+"\n"+untracked, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if ext := filepath.Ext(l); ext == ".yaml" || ext == ".yml" || ext == ".csv" {
			all = true // inventory, intents or host lists
		}
		out[filepath.Join(top, l)] = true
	}
	return out, all, nil
}

func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// restrictToChanged scopes the check to devices with a changed config file.
func restrictToChanged(e *estateFlags, inv *netdb.Inventory, paths []string, changed map[string]bool) ([]string, error) {
	isChanged := func(p string) bool {
		abs, err := filepath.Abs(p)
		return err == nil && changed[abs]
	}
	if inv != nil {
		var devices []string
		for _, d := range inv.Select(e.scope) {
			for _, f := range d.Files {
				if isChanged(f) {
					devices = append(devices, d.Name)
					break
				}
			}
		}
		if len(devices) == 0 {
			return nil, errNothingChanged
		}
		e.scope.Devices = devices
		return paths, nil
	}
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if isChanged(p) {
				out = append(out, p)
			}
			continue
		}
		filepath.Walk(p, func(f string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() && isChanged(f) {
				out = append(out, f)
			}
			return nil
		})
	}
	if len(out) == 0 {
		return nil, errNothingChanged
	}
	return out, nil
}

var errNothingChanged = errors.New("no config changed since that revision: nothing to verify")
