package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/registry"
	"github.com/fwpol/fwpol/vendors/render"
)

type convertOptions struct {
	io           *IOStreams
	file         string
	from, to     string
	format       string
	filters      []string
	rejectAsDeny bool
}

func newConvertCmd(ios *IOStreams) *cobra.Command {
	opts := &convertOptions{io: ios}
	cmd := &cobra.Command{
		Use:   "convert FILE --to VENDOR",
		Short: "Render a config's filters in another vendor's syntax, proven equivalent",
		Long: `Convert renders the filters of FILE (all entry filters, or --filter NAME) and the
objects they use in the syntax of --to (junos, ios, nxos, eos, asa, iptables, nftables; the source vendor
too, to normalize a config). It parses its own output back and compares every filter's
complete decision map with the original (exact packet-space diff).

The rendered config goes to stdout; warnings (constructs the target cannot express and
how they were written: expanded, left out, reject written as deny) and the equivalence
result go to stderr. Exit status: 0 every filter is equivalent, 1 some filter is not (or
an error), 2 usage error.`,
		Example: "  fwpol convert edge1.conf --to ios\n  fwpol convert fw.cfg --to junos --format set --filter OUTSIDE_IN",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("convert needs exactly one FILE")
			}
			if opts.to == "" {
				return usageErrorf("convert needs --to VENDOR (one of %s)", renderers())
			}
			opts.file = args[0]
			return runConvert(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.to, "to", "", "target vendor: "+renderers())
	f.StringVar(&opts.from, "from", "", "parse FILE as this vendor instead of detecting it")
	f.StringVar(&opts.format, "format", "", "target sub-format (junos: hierarchical or set)")
	f.StringArrayVar(&opts.filters, "filter", nil, "convert only this filter (repeatable)")
	f.BoolVar(&opts.rejectAsDeny, "reject-as-deny", false, "treat reject and deny as the same verdict when proving equivalence (targets without reject)")
	return cmd
}

// renderers lists the vendors that can render.
func renderers() string {
	var names []string
	for _, v := range registry.All() {
		if v.Render != nil {
			names = append(names, v.Name)
		}
	}
	return strings.Join(names, ", ")
}

func runConvert(opts *convertOptions) error {
	target, ok := registry.Lookup(opts.to)
	if !ok || target.Render == nil {
		return usageErrorf("cannot render %q: --to must be one of %s", opts.to, renderers())
	}
	switch opts.to {
	case "junos":
		if opts.format != "" && opts.format != "set" && opts.format != "hierarchical" {
			return usageErrorf("--format must be set or hierarchical")
		}
	default:
		// Linux targets write each filter as a chain of its own name, so the
		// equivalence proof can pair them; --format chain=/hook= is library-only.
		if opts.format != "" {
			return usageErrorf("--format applies to --to junos only")
		}
	}
	data, err := os.ReadFile(opts.file)
	if err != nil {
		return err
	}
	var src vendors.Vendor
	if opts.from != "" {
		if src, ok = registry.Lookup(opts.from); !ok {
			return usageErrorf("unknown vendor %q (one of %s)", opts.from, registry.Names())
		}
	} else if src, ok = registry.Detect(data); !ok {
		return fmt.Errorf("%s: cannot detect the vendor; use --from", opts.file)
	}
	cfg, err := src.Parse(opts.file, data)
	if err != nil {
		return err
	}
	if src.Link != nil {
		src.Link([]*policy.Config{cfg})
	}
	fs, err := render.Select(cfg, opts.filters)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if len(opts.filters) == 0 {
		fs = defaultFilters(cfg, fs, opts.to)
	}
	if len(fs) == 0 {
		return fmt.Errorf("%s: no filter to convert", opts.file)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	warned := 0
	out, err := target.Render(cfg, vendors.RenderOptions{Filters: names, Format: opts.format, Warn: func(m string) {
		warned++
		fmt.Fprintf(opts.io.ErrOut, "warning: %s\n", m)
	}})
	if err != nil {
		return err
	}
	if _, err := opts.io.Out.Write(out); err != nil {
		return err
	}
	reparsed, err := target.Parse(opts.file+" (as "+opts.to+")", out)
	if err != nil {
		return fmt.Errorf("rendered %s config does not parse back: %w", opts.to, err)
	}
	checks := render.Verify(cfg, fs, reparsed, policy.DiffOptions{RejectEqualsDeny: opts.rejectAsDeny, RegionLimit: 5})
	bad := 0
	for _, c := range checks {
		if c.Equivalent {
			fmt.Fprintf(opts.io.ErrOut, "equivalent: %s -> %s\n", c.Filter, strings.Join(c.Rendered, ", "))
			continue
		}
		bad++
		fmt.Fprintf(opts.io.ErrOut, "NOT equivalent: %s\n", c)
		for _, ch := range c.Changes {
			for _, r := range ch.Regions {
				fmt.Fprintf(opts.io.ErrOut, "  %s: %s => %s\n", r, ch.Old, ch.New)
			}
			if ch.Truncated {
				fmt.Fprintf(opts.io.ErrOut, "  ... (more regions)\n")
			}
		}
	}
	fmt.Fprintf(opts.io.ErrOut, "convert %s (%s) -> %s: %d filters, %d equivalent, %d not, %d warnings\n",
		opts.file, src.Name, opts.to, len(checks), len(checks)-bad, bad, warned)
	if bad > 0 {
		return exitCodeError{exitError}
	}
	return nil
}

// defaultFilters are what convert proves when no --filter is given: the
// filters the renderer writes by default.
func defaultFilters(cfg *policy.Config, fs []*policy.Filter, to string) []*policy.Filter {
	var out []*policy.Filter
	for _, f := range fs {
		if !f.Entry {
			continue
		}
		if to == "junos" && (f.Kind == "srx-policy" && cfg.Vendor != "junos" || f.Kind == "junos-filter-list") {
			continue
		}
		out = append(out, f)
	}
	return out
}
