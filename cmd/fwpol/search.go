package main

import (
	"fmt"
	"os"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/policy"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/search"
)

func newSearchCmd(ios *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Find which rules decide a flow, and where an address is referenced",
	}
	cmd.AddCommand(newSearchFlowCmd(ios), newSearchAddressCmd(ios))
	cmd.AddCommand(newSearchPathCmd(ios))
	return cmd
}

type searchFlowOptions struct {
	io         *IOStreams
	paths      []string
	estate     estateFlags
	spec       search.FlowSpec
	filter     string
	fromFile   string
	perFilter  bool
	allFilters bool
	output     *outputFlag
}

func newSearchFlowCmd(ios *IOStreams) *cobra.Command {
	opts := &searchFlowOptions{io: ios, output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "flow ['PROTO SRC -> DST:PORT' | --src IP --dst IP ... | --from-file FILE] [PATH...]",
		Short: "Evaluate a flow against every entry filter",
		Long: `Evaluate the first packet of a new connection against every entry filter in
PATH (Junos filters and SRX zone pairs, ACLs, iptables built-in chains, nftables
base chains) with first-match semantics, and report the deciding rule.

The protocol defaults to tcp (icmp when --icmp-type is given); the source port
defaults to 49152, the first ephemeral port. A flow carries no interface, so
rules that match on an interface (iptables -i/-o) never match it.`,
		Example: `  fwpol search flow 'tcp 10.1.2.3 -> 203.0.113.5:443' testdata/
  fwpol search flow 'icmp echo-request 2001:db8::1 -> 2001:db8::2' --site dc1
  fwpol search flow --from-file iocs.csv --inventory fwpol.yaml
  fwpol search flow --src 10.1.2.3 --dst 192.0.2.10 --dport 443 testdata/
  fwpol search flow --src 2001:db8::1 --dst 2001:db8::2 --proto icmp --icmp-type echo-request -o json edge.conf`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && search.LooksLikeFlowExpr(args[0]) {
				if opts.spec.Src != "" || opts.spec.Dst != "" || opts.fromFile != "" {
					return usageErrorf("give the flow as an expression or as flags, not both")
				}
				spec, err := search.ParseFlowExpr(args[0])
				if err != nil {
					return usageError{err}
				}
				opts.spec, args = spec, args[1:]
			}
			opts.paths = args
			if opts.fromFile != "" {
				return runSearchFlowFile(opts)
			}
			if opts.spec.Src == "" || opts.spec.Dst == "" {
				return usageErrorf("search flow needs a flow: 'tcp SRC -> DST:PORT', --src/--dst flags, or --from-file")
			}
			return runSearchFlow(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.spec.Src, "src", "", "source address")
	f.StringVar(&opts.spec.Dst, "dst", "", "destination address")
	f.StringVar(&opts.spec.Proto, "proto", "", "protocol: tcp, udp, icmp, a name or a number (default tcp)")
	f.StringVar(&opts.spec.SrcPort, "sport", "", "source port (default 49152)")
	f.StringVar(&opts.spec.DstPort, "dport", "", "destination port or service name")
	f.StringVar(&opts.spec.ICMPType, "icmp-type", "", "ICMP type name or number (default echo-request)")
	f.StringVar(&opts.spec.ICMPCode, "icmp-code", "", "ICMP code")
	f.StringVar(&opts.filter, "filter", "", "only filters whose name matches this glob")
	f.StringVar(&opts.fromFile, "from-file", "", "evaluate every flow in this file (flow expressions or CSV with a header; - for stdin)")
	f.BoolVar(&opts.allFilters, "all-filters", false, "evaluate host input/output/forward filters for every flow, not only flows to or from the host's inventory addresses")
	f.BoolVar(&opts.perFilter, "per-filter", false, "with --from-file: one row per flow and filter instead of a summary per flow")
	opts.estate.register(f)
	f.VarP(opts.output, "output", "o", "output format: table|json")
	return cmd
}

func runSearchFlow(opts *searchFlowOptions) error {
	fl, err := opts.spec.Build()
	if err != nil {
		return usageError{err}
	}
	est, err := opts.estate.loadWanted(opts.paths, opts.wants(fl))
	if err != nil {
		return err
	}
	results := search.Flow(est.Configs, fl, search.FlowOptions{Filter: opts.filter, AllFilters: opts.allFilters})
	if opts.output.value == "json" {
		return writeJSON(opts.io.Out, results)
	}
	fmt.Fprintf(opts.io.Out, "flow: %s\n\n", search.FormatFlow(fl))
	if len(results) == 0 {
		fmt.Fprintln(opts.io.Out, "no filter in scope sees this flow")
		return nil
	}
	t := newTable(opts.io.Out, "SITE", "DEVICE", "FILTER", "ACTION", "RULE", "LINE", "FILE")
	for _, r := range results {
		t.row(dash(r.Site), r.Device, r.Filter, r.Action, ruleLabel(r), r.Line, r.File)
	}
	return t.flush()
}

func runSearchFlowFile(opts *searchFlowOptions) error {
	if opts.spec != (search.FlowSpec{}) {
		return usageErrorf("--from-file replaces --src/--dst and flow flags")
	}
	in := opts.io.In
	name := "<stdin>"
	if opts.fromFile != "-" {
		f, err := os.Open(opts.fromFile)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, opts.fromFile
	}
	flows, err := search.ReadFlows(name, in)
	if err != nil {
		return err
	}
	all := make([]*policy.Flow, len(flows))
	for i, f := range flows {
		all[i] = f.Flow
	}
	est, err := opts.estate.loadWanted(opts.paths, opts.wants(all...))
	if err != nil {
		return err
	}
	fo := search.FlowOptions{Filter: opts.filter, AllFilters: opts.allFilters}
	if opts.perFilter {
		all := search.Many(est.Configs, flows, fo)
		if opts.output.value == "json" {
			return writeJSON(opts.io.Out, all)
		}
		t := newTable(opts.io.Out, "FLOW", "LABEL", "SITE", "DEVICE", "FILTER", "ACTION", "RULE", "LINE")
		for _, fv := range all {
			for _, r := range fv.Results {
				t.row(fv.Text, dash(fv.Label), dash(r.Site), r.Device, r.Filter, r.Action, ruleLabel(r), r.Line)
			}
		}
		return t.flush()
	}
	sums := search.Summarize(est.Configs, flows, fo)
	if opts.output.value == "json" {
		return writeJSON(opts.io.Out, sums)
	}
	t := newTable(opts.io.Out, "LINE", "FLOW", "LABEL", "PERMIT", "DENY", "REJECT", "PERMITTED BY")
	permitted := 0
	for _, s := range sums {
		by := "-"
		if len(s.PermittedBy) > 0 {
			by = s.PermittedBy[0]
			if s.Permit > 1 {
				by += fmt.Sprintf(" (+%d more)", s.Permit-1)
			}
			permitted++
		}
		t.row(s.Line, s.Text, dash(s.Label), s.Permit, s.Deny, s.Reject, by)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.io.Out, "\n%d of %d flows are permitted somewhere\n", permitted, len(sums))
	return nil
}

func ruleLabel(r search.FlowResult) string {
	if r.Rule == nil {
		return "(default)"
	}
	if r.DecidedIn != "" {
		return r.DecidedIn + ":" + *r.Rule
	}
	return *r.Rule
}

// wants skips hosts that cannot see any of the flows, unless --all-filters.
func (opts *searchFlowOptions) wants(flows ...*policy.Flow) func(estate.Device) bool {
	if opts.allFilters {
		return nil
	}
	addrs := search.AddrsOf(flows...)
	return func(d estate.Device) bool { return addrs.Sees(d.Role, d.Own) }
}
