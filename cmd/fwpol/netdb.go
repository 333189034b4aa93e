package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
)

func newNetdbCmd(ios *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netdb",
		Short: "Show the inventory: sites, devices, and where filters are bound",
	}
	cmd.AddCommand(newNetdbListCmd(ios), newNetdbShowCmd(ios))
	return cmd
}

func requireInventory(e *estateFlags) (*netdb.Inventory, error) {
	inv, err := e.loadInventory()
	if err == nil && inv == nil {
		err = usageErrorf("no inventory: give --inventory or run where %s is", netdb.DefaultFile)
	}
	return inv, err
}

func newNetdbListCmd(ios *IOStreams) *cobra.Command {
	var ef estateFlags
	output := newOutputFlag("table", "table", "json", "yaml")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List inventory devices",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := requireInventory(&ef)
			if err != nil {
				return err
			}
			devs := inv.Select(ef.scope)
			switch output.value {
			case "json":
				return writeJSON(ios.Out, devs)
			case "yaml":
				return writeYAML(ios.Out, devs)
			}
			t := newTable(ios.Out, "SITE", "DEVICE", "ROLE", "VENDOR", "MGMT", "TAGS", "CONFIG")
			for _, d := range devs {
				mgmt := "-"
				if d.Mgmt.IsValid() {
					mgmt = d.Mgmt.String()
				}
				t.row(d.Site, d.Name, dash(d.Role), dash(d.Vendor), mgmt, dash(strings.Join(d.Tags, ",")), d.Config)
			}
			return t.flush()
		},
	}
	ef.register(cmd.Flags())
	cmd.Flags().VarP(output, "output", "o", "output format: table|json|yaml")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// deviceReport is `netdb show` as JSON.
type deviceReport struct {
	Device  *netdb.Device  `json:"device"`
	Filters []filterReport `json:"filters"`
}

type filterReport struct {
	File     string           `json:"file"`
	Filter   string           `json:"filter"`
	Kind     string           `json:"kind"`
	Rules    int              `json:"rules"`
	Default  string           `json:"default"`
	Bindings []policy.Binding `json:"bindings"`
}

func newNetdbShowCmd(ios *IOStreams) *cobra.Command {
	var ef estateFlags
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "show DEVICE",
		Short: "Show a device with its filters and where each is bound",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := requireInventory(&ef)
			if err != nil {
				return err
			}
			d := inv.Device(args[0])
			if d == nil {
				return fmt.Errorf("no device %q in %s", args[0], inv.Path)
			}
			est, err := estate.Load(nil, estate.Options{Inventory: inv, Scope: netdb.Filter{Devices: []string{d.Name}}})
			if err != nil {
				return err
			}
			rep := deviceReport{Device: d, Filters: []filterReport{}}
			for _, c := range est.Configs {
				for _, f := range c.Filters {
					fr := filterReport{File: c.File, Filter: f.Name, Kind: f.Kind, Rules: len(f.Rules), Default: defaultLabel(f), Bindings: []policy.Binding{}}
					for _, b := range c.Bindings {
						if b.Filter == f.Name {
							fr.Bindings = append(fr.Bindings, b)
						}
					}
					rep.Filters = append(rep.Filters, fr)
				}
			}
			if output.value == "json" {
				return writeJSON(ios.Out, rep)
			}
			w := ios.Out
			fmt.Fprintf(w, "device:  %s\nsite:    %s\nrole:    %s\nvendor:  %s\n", d.Name, d.Site, dash(d.Role), dash(d.Vendor))
			if d.Mgmt.IsValid() {
				fmt.Fprintf(w, "mgmt:    %s\n", d.Mgmt)
			}
			if len(d.Tags) > 0 {
				fmt.Fprintf(w, "tags:    %s\n", strings.Join(d.Tags, ", "))
			}
			fmt.Fprintf(w, "config:  %s\n\n", strings.Join(d.Files, ", "))
			t := newTable(w, "FILTER", "KIND", "RULES", "DEFAULT", "BOUND")
			for _, c := range est.Configs {
				for _, f := range c.Filters {
					t.row(f.Name, f.Kind, len(f.Rules), defaultLabel(f), bindingsOf(c, f.Name))
				}
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&ef.inventory, "inventory", "", "inventory file or directory (default: ./"+netdb.DefaultFile+")")
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}
