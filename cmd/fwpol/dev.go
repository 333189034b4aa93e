package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/internal/gen"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/registry"
)

func newDevCmd(ios *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "dev",
		Short:  "Developer tools (estate generator)",
		Hidden: true,
	}
	var size string
	var seed int64
	var force bool
	gen1 := &cobra.Command{
		Use:   "gen-estate DIR",
		Short: "Write a deterministic synthetic estate with an inventory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec := gen.Demo
			switch size {
			case "demo":
			case "large":
				spec = gen.Large
			default:
				return usageErrorf("--size must be demo or large")
			}
			spec.Seed = seed
			if _, err := os.Stat(args[0]); err == nil && !force {
				return fmt.Errorf("%s exists; use --force to overwrite", args[0])
			}
			st, err := gen.Write(args[0], spec)
			if err != nil {
				return err
			}
			fmt.Fprintf(ios.Out, "wrote %s: %d files, %d config lines, %d devices, %d host addresses\n", args[0], st.Files, st.Lines, st.Devices, st.HostAddrs)
			return nil
		},
	}
	gen1.Flags().StringVar(&size, "size", "demo", "demo (a few thousand lines) or large (850K+ lines, 37K hosts)")
	gen1.Flags().Int64Var(&seed, "seed", 1, "random seed")
	gen1.Flags().BoolVar(&force, "force", false, "write into an existing directory")
	cmd.AddCommand(gen1, newGenACLCmd(ios))
	return cmd
}

// newGenACLCmd writes a synthetic long ACL (policy.GenerateACL) in a
// vendor's syntax: the input of the 20,000-rule diff and lint timings.
func newGenACLCmd(ios *IOStreams) *cobra.Command {
	var rules, mutate int
	var seed int64
	var variant, vendor string
	cmd := &cobra.Command{
		Use:   "gen-acl",
		Short: "Write a synthetic first-match ACL to stdout (optionally with N rules changed)",
		Example: `  fwpol dev gen-acl --rules 20000 > old.cfg
  fwpol dev gen-acl --rules 20000 --mutate 50 > new.cfg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v, ok := registry.Lookup(vendor)
			if !ok || v.Render == nil {
				var names []string
				for _, x := range registry.All() {
					if x.Render != nil {
						names = append(names, x.Name)
					}
				}
				return usageErrorf("--vendor: %q cannot be rendered (one of: %s)", vendor, strings.Join(names, ", "))
			}
			switch variant {
			case "sparse", "p64", "p16", "v6":
			default:
				return usageErrorf("--variant must be sparse, p64, p16 or v6")
			}
			if rules < 1 || mutate < 0 {
				return usageErrorf("--rules must be positive and --mutate not negative")
			}
			cfg := policy.GenerateACL(rules, seed, variant)
			if mutate > 0 {
				// 40% inserted, 30% deleted, 30% with the action flipped
				cfg = policy.MutateACL(cfg, mutate, seed+1)
			}
			out, err := v.Render(cfg, vendors.RenderOptions{Warn: func(string) {}})
			if err != nil {
				return err
			}
			_, err = ios.Out.Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&rules, "rules", 20000, "rules before the final deny")
	f.IntVar(&mutate, "mutate", 0, "change this many rules (inserted, deleted, action flipped)")
	f.Int64Var(&seed, "seed", 1, "random seed")
	f.StringVar(&variant, "variant", "sparse", "sparse, p64 or p16 (heavily overlapping), v6")
	f.StringVar(&vendor, "vendor", "ios", "syntax to write")
	return cmd
}
