package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/search"
)

// Exit codes of search path beyond the shared ones.
const (
	exitPathDenied  = 3 // a hop denies or rejects the flow
	exitPathPartial = 4 // no hop denies it, but some filter on a hop does
)

type searchPathOptions struct {
	io     *IOStreams
	estate estateFlags
	spec   search.FlowSpec
	output *outputFlag
}

// PathHop is one device on a flow's path and its verdict.
type PathHop struct {
	Hop    int    `json:"hop"`
	Device string `json:"device"`
	Site   string `json:"site"`
	Role   string `json:"role,omitempty"`
	// Where is "source host", "leaving SITE", "entering SITE" or
	// "destination host".
	Where string `json:"where"`
	// Status is permit, deny, reject, partial (its filters disagree),
	// no-filter (no filter sees the flow) or not-reached.
	Status  string              `json:"status"`
	Filters []search.FlowResult `json:"filters"`
}

// PathReport is the answer of search path.
type PathReport struct {
	Flow    string `json:"flow"`
	SrcSite string `json:"src_site"`
	DstSite string `json:"dst_site"`
	SrcHost string `json:"src_host"`
	DstHost string `json:"dst_host"`
	// Verdict is permit, deny, reject or partial.
	Verdict   string    `json:"verdict"`
	StoppedAt int       `json:"stopped_at"` // hop number, 0 when not stopped
	Hops      []PathHop `json:"hops"`
}

func newSearchPathCmd(ios *IOStreams) *cobra.Command {
	opts := &searchPathOptions{io: ios, output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "path ['PROTO SRC -> DST:PORT' | --src IP --dst IP ...]",
		Short: "Follow a flow across the devices between two sites",
		Long: `Follow the first packet of a connection from its source to its destination
through the devices the inventory places between them: the source host's output
filters (when the source is an inventory host), the source site's path (its
"path" devices, or its core, firewall and edge devices by path_roles), the
destination site's path in reverse, and the destination host's input filters.
Each hop shows the verdict of every filter that sees the flow; the walk stops
at the first hop that denies it, and the later hops are shown as not reached.
Within one site the flow crosses only its two hosts.

Exit status: 0 permitted, 3 denied (or rejected) at a hop, 4 partial (a hop's
filters disagree: some permit, some deny), 1 error, 2 usage.`,
		Example: `  fwpol search path 'tcp 10.1.16.1 -> 10.2.16.5:443' --inventory fwpol.yaml
  fwpol search path --src 10.1.16.1 --dst 203.0.113.9 --dport 53 --proto udp -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && search.LooksLikeFlowExpr(args[0]) {
				if opts.spec.Src != "" || opts.spec.Dst != "" {
					return usageErrorf("give the flow as an expression or as flags, not both")
				}
				spec, err := search.ParseFlowExpr(args[0])
				if err != nil {
					return usageError{err}
				}
				opts.spec, args = spec, args[1:]
			}
			if len(args) > 0 {
				return usageErrorf("search path takes its devices from the inventory, not from PATHs (got %q)", args[0])
			}
			if opts.spec.Src == "" || opts.spec.Dst == "" {
				return usageErrorf("search path needs a flow: 'tcp SRC -> DST:PORT' or --src/--dst flags")
			}
			return runSearchPath(opts)
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
	f.StringVar(&opts.estate.inventory, "inventory", "", "inventory file or directory (default: ./"+netdb.DefaultFile+" when present)")
	f.BoolVar(&opts.estate.noCache, "no-cache", false, "parse every file instead of using the parse cache")
	f.VarP(opts.output, "output", "o", "output format: table|json")
	return cmd
}

type plannedHop struct {
	dev   *netdb.Device
	where string
	host  string // "output" or "input" for host hops
}

// planPath lists the devices a flow crosses, by the inventory.
func planPath(inv *netdb.Inventory, fl *policy.Flow) (rep PathReport, hops []plannedHop) {
	host := func(d *netdb.Device) *netdb.Device {
		if d != nil && d.Role == "host" {
			return d
		}
		return nil
	}
	src, dst := host(inv.DeviceOwning(fl.Src)), host(inv.DeviceOwning(fl.Dst))
	srcSite, dstSite := "", ""
	if src != nil {
		srcSite, rep.SrcHost = src.Site, src.Name
	} else if s := inv.SiteOf(fl.Src); s != nil {
		srcSite = s.Name
	}
	if dst != nil {
		dstSite, rep.DstHost = dst.Site, dst.Name
	} else if s := inv.SiteOf(fl.Dst); s != nil {
		dstSite = s.Name
	}
	rep.SrcSite, rep.DstSite = srcSite, dstSite
	if src != nil {
		hops = append(hops, plannedHop{src, "source host", "output"})
	}
	if srcSite != dstSite {
		if srcSite != "" {
			for _, d := range inv.SitePath(srcSite) {
				hops = append(hops, plannedHop{d, "leaving " + srcSite, ""})
			}
		}
		if dstSite != "" {
			in := inv.SitePath(dstSite)
			for i := len(in) - 1; i >= 0; i-- {
				hops = append(hops, plannedHop{in[i], "entering " + dstSite, ""})
			}
		}
	}
	if dst != nil {
		hops = append(hops, plannedHop{dst, "destination host", "input"})
	}
	return rep, hops
}

func runSearchPath(opts *searchPathOptions) error {
	fl, err := opts.spec.Build()
	if err != nil {
		return usageError{err}
	}
	inv, err := opts.estate.loadInventory()
	if err != nil {
		return err
	}
	if inv == nil {
		return usageErrorf("search path needs an inventory (--inventory, or ./%s)", netdb.DefaultFile)
	}
	rep, plan := planPath(inv, fl)
	rep.Flow = search.FormatFlow(fl)
	need := map[string]bool{}
	for _, h := range plan {
		need[h.dev.Name] = true
	}
	est, err := opts.estate.loadWith(nil, estate.Options{Want: func(d estate.Device) bool { return need[d.Name] }})
	if err != nil {
		return err
	}
	byDevice := map[string][]*policy.Config{}
	for _, c := range est.Configs {
		byDevice[c.Device] = append(byDevice[c.Device], c)
	}
	rep.Verdict, rep.Hops = "permit", []PathHop{}
	for i, h := range plan {
		hop := PathHop{Hop: i + 1, Device: h.dev.Name, Site: h.dev.Site, Role: h.dev.Role, Where: h.where, Filters: []search.FlowResult{}}
		if rep.StoppedAt != 0 {
			hop.Status = "not-reached"
			rep.Hops = append(rep.Hops, hop)
			continue
		}
		cfgs := byDevice[h.dev.Name]
		for _, r := range search.Flow(cfgs, fl, search.FlowOptions{}) {
			if h.host == "" || direction(cfgs, r) == h.host {
				hop.Filters = append(hop.Filters, r)
			}
		}
		hop.Status = hopStatus(cfgs, hop.Filters)
		switch hop.Status {
		case "deny", "reject":
			rep.Verdict, rep.StoppedAt = hop.Status, hop.Hop
		case "partial":
			rep.Verdict = "partial"
		}
		rep.Hops = append(rep.Hops, hop)
	}
	if opts.output.value == "json" {
		err = writeJSON(opts.io.Out, rep)
	} else {
		err = printPath(opts.io, rep)
	}
	if err != nil {
		return err
	}
	switch rep.Verdict {
	case "deny", "reject":
		return exitCodeError{exitPathDenied}
	case "partial":
		return exitCodeError{exitPathPartial}
	}
	return nil
}

// filterOf finds the filter a result names (the deciding chain of a
// combined hook result).
func filterOf(cfgs []*policy.Config, r search.FlowResult) *policy.Filter {
	name := r.Filter
	if r.Combined {
		name = r.DecidedIn
	}
	for _, c := range cfgs {
		if c.File == r.File {
			if f := c.Filter(name); f != nil {
				return f
			}
		}
	}
	return nil
}

func direction(cfgs []*policy.Config, r search.FlowResult) string {
	if f := filterOf(cfgs, r); f != nil {
		return search.Direction(f)
	}
	return ""
}

// hopStatus sums up a hop's filters. Base chains on one nftables hook
// count through their combined verdict.
func hopStatus(cfgs []*policy.Config, rs []search.FlowResult) string {
	combined := map[string]bool{}
	for _, r := range rs {
		if r.Combined {
			combined[r.File+"\x00"+r.Filter] = true
		}
	}
	permit, deny, reject := 0, 0, 0
	for _, r := range rs {
		if !r.Combined {
			if f := filterOf(cfgs, r); f != nil {
				if g := search.HookGroup(f); g != "" && combined[r.File+"\x00"+strings.TrimPrefix(g, "ip/")+" (combined)"] {
					continue
				}
			}
		}
		switch r.Action {
		case "permit":
			permit++
		case "reject":
			reject++
		default:
			deny++
		}
	}
	switch {
	case permit+deny+reject == 0:
		return "no-filter"
	case deny+reject == 0:
		return "permit"
	case permit > 0:
		return "partial"
	case deny > 0:
		return "deny"
	}
	return "reject"
}

func printPath(ios *IOStreams, rep PathReport) error {
	fmt.Fprintf(ios.Out, "flow: %s\n", rep.Flow)
	end := func(host, site string) string {
		switch {
		case host != "":
			return host + " (" + site + ")"
		case site != "":
			return "site " + site
		}
		return "outside every site"
	}
	fmt.Fprintf(ios.Out, "from %s to %s\n\n", end(rep.SrcHost, rep.SrcSite), end(rep.DstHost, rep.DstSite))
	if len(rep.Hops) == 0 {
		fmt.Fprintln(ios.Out, "no inventory device lies on this path (give sites a path, or devices the roles in path_roles)")
		return nil
	}
	t := newTable(ios.Out, "HOP", "DEVICE", "SITE", "ROLE", "WHERE", "STATUS", "FILTER", "ACTION", "RULE", "LINE")
	for _, h := range rep.Hops {
		if len(h.Filters) == 0 {
			t.row(h.Hop, h.Device, dash(h.Site), dash(h.Role), h.Where, h.Status, "-", "-", "-", "-")
			continue
		}
		for i, r := range h.Filters {
			if i == 0 {
				t.row(h.Hop, h.Device, dash(h.Site), dash(h.Role), h.Where, h.Status, r.Filter, r.Action, ruleLabel(r), r.Line)
			} else {
				t.row("", "", "", "", "", "", r.Filter, r.Action, ruleLabel(r), r.Line)
			}
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	switch {
	case rep.StoppedAt != 0:
		h := rep.Hops[rep.StoppedAt-1]
		verb := map[string]string{"deny": "Denied", "reject": "Rejected"}[rep.Verdict]
		fmt.Fprintf(ios.Out, "\n%s at hop %d (%s, %s); later hops not reached\n", verb, h.Hop, h.Device, h.Where)
	case rep.Verdict == "partial":
		fmt.Fprintln(ios.Out, "\nPartial: no hop denies the flow, but some filters on a hop do (which one applies depends on the interface)")
	default:
		fmt.Fprintln(ios.Out, "\nPermitted at every hop")
	}
	return nil
}
