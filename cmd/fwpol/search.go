package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/search"
)

func newSearchCmd(ios *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Find which rules decide a flow",
	}
	cmd.AddCommand(newSearchFlowCmd(ios))
	return cmd
}

type searchFlowOptions struct {
	io     *IOStreams
	paths  []string
	estate estateFlags
	spec   search.FlowSpec
	filter string
	output *outputFlag
}

func newSearchFlowCmd(ios *IOStreams) *cobra.Command {
	opts := &searchFlowOptions{io: ios, output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "flow --src IP --dst IP [--proto P] [--dport N] [PATH...]",
		Short: "Evaluate a flow against every entry filter",
		Long: `Evaluate the first packet of a new connection against every entry filter in
PATH (Junos filters and SRX zone pairs, ACLs, iptables built-in chains, nftables
base chains) with first-match semantics, and report the deciding rule.

The protocol defaults to tcp (icmp when --icmp-type is given); the source port
defaults to 49152, the first ephemeral port. A flow carries no interface, so
rules that match on an interface (iptables -i/-o) never match it.`,
		Example: `  fwpol search flow --src 10.1.2.3 --dst 192.0.2.10 --dport 443 testdata/
  fwpol search flow --src 2001:db8::1 --dst 2001:db8::2 --proto icmp --icmp-type echo-request -o json edge.conf`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.spec.Src == "" || opts.spec.Dst == "" {
				return usageErrorf("search flow needs --src and --dst")
			}
			opts.paths = args
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
	opts.estate.register(f)
	f.VarP(opts.output, "output", "o", "output format: table|json")
	return cmd
}

func runSearchFlow(opts *searchFlowOptions) error {
	fl, err := opts.spec.Build()
	if err != nil {
		return usageError{err}
	}
	est, err := opts.estate.load(opts.paths)
	if err != nil {
		return err
	}
	results := search.Flow(est.Configs, fl, search.FlowOptions{Filter: opts.filter})
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
		rule := "(default)"
		if r.Rule != nil {
			rule = *r.Rule
			if r.DecidedIn != "" {
				rule = r.DecidedIn + ":" + rule
			}
		}
		t.row(r.Site, r.Device, r.Filter, r.Action, rule, r.Line, r.File)
	}
	return t.flush()
}
