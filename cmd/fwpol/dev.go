package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/internal/gen"
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
	cmd.AddCommand(gen1)
	return cmd
}
