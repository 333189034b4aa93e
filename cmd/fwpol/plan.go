package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/blocklist"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/push"
	"github.com/fwpol/fwpol/search"
)

// planFlags are shared by plan and push.
type planFlags struct {
	ef   estateFlags
	file string
}

func (p *planFlags) register(cmd *cobra.Command) {
	p.ef.register(cmd.Flags())
	cmd.Flags().StringVar(&p.file, "blocklist", "", "blocklist file (default: "+blocklist.DefaultFile+" in the inventory's directory)")
}

// plans loads inventory, estate and blocklist and computes every device's
// change.
func (p *planFlags) plans() (*netdb.Inventory, []*push.DevicePlan, error) {
	inv, err := p.ef.loadInventory()
	if err != nil {
		return nil, nil, err
	}
	if inv == nil {
		return nil, nil, usageErrorf("plan and push need an inventory (--inventory, or ./%s)", netdb.DefaultFile)
	}
	path := p.file
	if path == "" {
		path = filepath.Join(inv.Dir, blocklist.DefaultFile)
	}
	now, err := blockNow()
	if err != nil {
		return nil, nil, err
	}
	l, err := blocklist.Load(path)
	if err != nil {
		return nil, nil, err
	}
	est, err := p.ef.load(nil)
	if err != nil {
		return nil, nil, err
	}
	return inv, push.Plan(est.Configs, inv, l.Active(now), now), nil
}

func newPlanCmd(ios *IOStreams) *cobra.Command {
	var pf planFlags
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show each device's pending change (blocklist) and the traffic it cuts; applies nothing",
		Long: `For each device in scope, compare the parsed config with the intended state
(current config + the active blocklist): print the minimal vendor commands
and the exact traffic change per bound filter, computed by diffing the
current filter with the intended one (newly denied packet regions, with an
example flow and the rule that permitted it). Nothing is applied.

Exit status: 0 (also when changes are pending), 1 when a device cannot be
rendered, 2 usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, plans, err := pf.plans()
			if err != nil {
				return err
			}
			if output.value == "json" {
				if plans == nil {
					plans = []*push.DevicePlan{}
				}
				if err := writeJSON(ios.Out, plans); err != nil {
					return err
				}
			} else {
				printPlans(ios, plans)
			}
			failed := 0
			for _, p := range plans {
				if p.Error != "" {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d devices could not be rendered", failed)
			}
			return nil
		},
	}
	pf.register(cmd)
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}

func printPlans(ios *IOStreams, plans []*push.DevicePlan) {
	changed, cmds := 0, 0
	for _, p := range plans {
		status := fmt.Sprintf("%d commands (+%d -%d ranges)", len(p.Commands), p.Added, p.Removed)
		switch {
		case p.Error != "":
			status = "error: " + p.Error
		case len(p.Commands) == 0:
			status = "in sync"
		default:
			changed++
			cmds += len(p.Commands)
		}
		fmt.Fprintf(ios.Out, "# %s/%s (%s, %s): %s\n", dash(p.Site), p.DeviceChange.Device, p.Vendor, p.File, status)
		for _, u := range p.Unprotected {
			fmt.Fprintf(ios.Out, "#   not protected: %s\n", u)
		}
		for _, fc := range p.Traffic {
			if fc.NewlyDenied+fc.NewlyPermitted+fc.Other == 0 {
				if len(p.Commands) > 0 {
					fmt.Fprintf(ios.Out, "#   %s: no traffic change\n", fc.Filter)
				}
				continue
			}
			var parts []string
			if fc.NewlyDenied > 0 {
				parts = append(parts, fmt.Sprintf("newly denies %d regions", fc.NewlyDenied))
			}
			if fc.NewlyPermitted > 0 {
				parts = append(parts, fmt.Sprintf("newly permits %d regions (unblocked)", fc.NewlyPermitted))
			}
			if fc.Other > 0 {
				parts = append(parts, fmt.Sprintf("%d regions change between reject and deny", fc.Other))
			}
			fmt.Fprintf(ios.Out, "#   %s: %s\n", fc.Filter, strings.Join(parts, ", "))
			for i, r := range fc.Denied {
				if i == 5 {
					fmt.Fprintf(ios.Out, "#     ... %d more (-o json)\n", len(fc.Denied)-5)
					break
				}
				fmt.Fprintf(ios.Out, "#     denied: %s\n", r)
			}
			if fc.Example != nil {
				fmt.Fprintf(ios.Out, "#     e.g. %s: was %s, now %s\n", search.FormatFlow(&fc.Example.Flow), planSideText(fc.Example.Old), planSideText(fc.Example.New))
			}
		}
		for _, c := range p.Commands {
			fmt.Fprintln(ios.Out, c)
		}
	}
	fmt.Fprintf(ios.Out, "# %d devices, %d with changes, %d commands\n", len(plans), changed, cmds)
}

// sideText names what decides a packet; rules the plan adds have no line yet.
func planSideText(s policy.DiffSide) string {
	if s.Rule != "" && s.Line == 0 {
		return fmt.Sprintf("%s rule %s (planned) %s", s.Filter, s.Rule, s.Action)
	}
	return s.String()
}
