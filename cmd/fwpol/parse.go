package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/policy"
)

type parseOptions struct {
	io     *IOStreams
	paths  []string
	vendor string
	output *outputFlag
}

func newParseCmd(ios *IOStreams) *cobra.Command {
	opts := &parseOptions{io: ios, output: newOutputFlag("table", "table", "json", "yaml")}
	cmd := &cobra.Command{
		Use:   "parse PATH...",
		Short: "Parse configs into the normalized policy model",
		Long: `Parse firewall configs (files, or directories walked recursively) into the
normalized policy model. The vendor is detected from content unless --vendor is given.`,
		Example: "  fwpol parse testdata/junos\n  fwpol parse -o json edge1.conf",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("parse needs at least one PATH")
			}
			opts.paths = args
			return runParse(opts)
		},
	}
	cmd.Flags().StringVar(&opts.vendor, "vendor", "", "parse as this vendor instead of detecting it")
	cmd.Flags().VarP(opts.output, "output", "o", "output format: table|json|yaml")
	return cmd
}

func runParse(opts *parseOptions) error {
	est, err := estate.Load(opts.paths, estate.Options{Vendor: opts.vendor})
	if err != nil {
		return err
	}
	switch opts.output.value {
	case "json":
		return writeJSON(opts.io.Out, est.Configs)
	case "yaml":
		return writeYAML(opts.io.Out, est.Configs)
	}
	t := newTable(opts.io.Out, "DEVICE", "VENDOR", "FILTER", "KIND", "FAMILY", "RULES", "DEFAULT", "BOUND", "FILE")
	for _, c := range est.Configs {
		for _, f := range c.Filters {
			t.row(c.Device, c.Vendor, f.Name, f.Kind, f.Family, len(f.Rules), defaultLabel(f), bindingsOf(c, f.Name), f.Pos)
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	printWarnings(opts.io, est.Configs)
	return nil
}

func defaultLabel(f *policy.Filter) string {
	if !f.Entry {
		return "(return)"
	}
	return f.Default.String()
}

func bindingsOf(c *policy.Config, filter string) string {
	var out []string
	for _, b := range c.Bindings {
		if b.Filter == filter {
			s := b.Target
			if b.Direction != "" {
				s += " " + b.Direction
			}
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	if len(out) > 3 {
		return fmt.Sprintf("%s +%d more", strings.Join(out[:3], ", "), len(out)-3)
	}
	return strings.Join(out, ", ")
}

// maxWarningsShown keeps a noisy estate's warnings from burying the table.
const maxWarningsShown = 20

func printWarnings(ios *IOStreams, cfgs []*policy.Config) {
	n := 0
	for _, c := range cfgs {
		for _, w := range c.Warnings {
			if n < maxWarningsShown {
				fmt.Fprintf(ios.ErrOut, "%s: warning: %s\n", w.Pos, w.Msg)
			}
			n++
		}
	}
	if n > maxWarningsShown {
		fmt.Fprintf(ios.ErrOut, "... and %d more warnings (see -o json)\n", n-maxWarningsShown)
	}
}
