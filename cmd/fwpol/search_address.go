package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/search"
)

type searchAddressOptions struct {
	io                               *IOStreams
	estate                           estateFlags
	overlap, exact, contains, inside bool
	includeAny                       bool
	output                           *outputFlag
}

func newSearchAddressCmd(ios *IOStreams) *cobra.Command {
	opts := &searchAddressOptions{io: ios, output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "address CIDR|IP [PATH...]",
		Short: "Find every rule and object that references an address",
		Long: `Find every rule, object, prefix-list, address-book entry and set whose
addresses overlap the query (default), contain it, equal it, or lie within it,
with the rule's action: "where does 203.0.113.0/24 appear, and is it permitted?"`,
		Example: "  fwpol search address 203.0.113.0/24 --inventory fwpol.yaml\n  fwpol search address 10.1.2.3 --contains -o json testdata/",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("search address needs a CIDR or IP")
			}
			q, err := search.ParseQuery(args[0])
			if err != nil {
				return usageErrorf("bad address %q: %v", args[0], err)
			}
			rel, n := search.Overlap, 0
			for _, f := range []struct {
				on  bool
				rel search.Relation
			}{{opts.overlap, search.Overlap}, {opts.exact, search.Exact}, {opts.contains, search.Contains}, {opts.inside, search.Within}} {
				if f.on {
					rel, n = f.rel, n+1
				}
			}
			if n > 1 {
				return usageErrorf("choose one of --overlap, --exact, --contains, --within")
			}
			var lo estate.Options
			if !opts.includeAny {
				// configs naming no address near the query cannot answer it,
				// and of the others only the address sets near it can
				lo.Touching = func(fp *estate.Footprint) bool { return fp.Overlaps(q) }
				lo.AddressesNear = q
			}
			est, err := opts.estate.loadWith(args[1:], lo)
			if err != nil {
				return err
			}
			hits := search.Address(est.Configs, q, search.AddressOptions{Relation: rel, IncludeAny: opts.includeAny})
			if opts.output.value == "json" {
				return writeJSON(ios.Out, hits)
			}
			return printAddressHits(ios, hits)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.overlap, "overlap", false, "references sharing any address with the query (default)")
	f.BoolVar(&opts.exact, "exact", false, "references equal to the query")
	f.BoolVar(&opts.contains, "contains", false, "references containing the whole query")
	f.BoolVar(&opts.inside, "within", false, "references lying inside the query")
	f.BoolVar(&opts.includeAny, "include-any", false, "also list rules matching any address")
	opts.estate.register(f)
	f.VarP(opts.output, "output", "o", "output format: table|json")
	return cmd
}

func printAddressHits(ios *IOStreams, hits []search.AddressHit) error {
	if len(hits) == 0 {
		fmt.Fprintln(ios.Out, "no references")
		return nil
	}
	t := newTable(ios.Out, "SITE", "DEVICE", "WHAT", "NAME", "FIELD", "ACTION", "LINE", "MATCHED")
	devices, permitDevices := map[string]bool{}, map[string]bool{}
	permits := 0
	for _, h := range hits {
		what, name := h.Kind, h.Object
		if h.Kind == "rule" {
			name = h.Filter + " " + h.Rule
		}
		field := h.Field
		if h.Negated {
			field = "!" + field
		}
		if len(h.Via) > 0 {
			field += " via " + strings.Join(h.Via, ",")
		}
		t.row(dash(h.Site), h.Device, what, name, field, dash(h.Action), h.Line, strings.Join(h.Matched, ","))
		devices[h.Device] = true
		if h.Action == "permit" && !h.Negated {
			permits++
			permitDevices[h.Device] = true
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(ios.Out, "\n%d references on %d devices; %d permit rules on %d devices\n", len(hits), len(devices), permits, len(permitDevices))
	return nil
}
