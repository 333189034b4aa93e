package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/fwpol/fwpol/push"
)

func newPushCmd(ios *IOStreams) *cobra.Command {
	var pf planFlags
	var o push.Options
	var yes bool
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Apply the plan over SSH: canaries, then one site at a time; verify, roll back on failure",
		Long: `Apply each device's planned change over SSH in the vendor's own way (Junos
commit confirmed, IOS/NX-OS/ASA configuration mode + save, EOS configuration
sessions with a commit timer, Linux nft/iptables), then fetch and parse the running config and
check it decides as intended; on any failure the device is rolled back and
checked again. Canary devices go first, then one site at a time; the push
stops at the first failure. Every push is recorded in push.log beside the
inventory (JSON lines).

Without --yes nothing is applied (exit 2) unless --dry-run.
Exit status: 0 every device applied or in sync, 1 a device failed (or was
not reached), 2 usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes && !o.DryRun {
				return usageErrorf("push changes devices: add --yes (or --dry-run to see what would be done)")
			}
			if o.Parallel < 1 {
				return usageErrorf("--parallel must be at least 1")
			}
			if o.Canary < 0 || o.SSH.Retries < 0 {
				return usageErrorf("--canary and --retries must not be negative")
			}
			inv, plans, err := pf.plans()
			if err != nil {
				return err
			}
			o.User = blockUser()
			o.InventoryDir = inv.Dir
			o.LogPath = filepath.Join(inv.Dir, push.LogFile)
			var mu sync.Mutex
			o.Progress = func(r push.Result) {
				mu.Lock()
				defer mu.Unlock()
				msg := r.Status
				if r.Error != "" {
					msg += ": " + r.Error
				}
				fmt.Fprintf(ios.ErrOut, "fwpol: %s/%s: %s\n", dash(r.Site), r.Device, msg)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			s, err := push.Push(ctx, plans, o)
			if err != nil {
				return err
			}
			if output.value == "json" {
				if err := writeJSON(ios.Out, s); err != nil {
					return err
				}
			} else {
				t := newTable(ios.Out, "SITE", "DEVICE", "VENDOR", "WAVE", "STATUS", "COMMANDS", "VERIFIED", "TIME", "ERROR")
				for _, r := range s.Results {
					verified := "-"
					if r.Verified {
						verified = "yes"
					} else if r.Status == push.StatusFailed || r.Status == push.StatusRolledBack {
						verified = "no"
					}
					t.row(dash(r.Site), r.Device, r.Vendor, r.Wave, r.Status, len(r.Commands), verified,
						(time.Duration(r.DurationMS) * time.Millisecond).String(), dash(strings.ReplaceAll(r.Error, "\n", " ")))
				}
				t.flush()
				if s.DryRun {
					n := 0
					for _, r := range s.Results {
						if r.Status == push.StatusDryRun {
							n++
						}
					}
					fmt.Fprintf(ios.Out, "dry run: %d devices would change, %d in sync, %d cannot be reached as configured; nothing was applied\n", n, s.InSync, s.Failed)
				} else {
					fmt.Fprintf(ios.Out, "%d applied, %d in sync, %d failed (%d rolled back), %d not started\n", s.Applied, s.InSync, s.Failed, s.RolledBack, s.NotStarted)
				}
			}
			if !s.OK {
				fmt.Fprintf(ios.ErrOut, "fwpol: push incomplete: %d failed, %d not started (see %s)\n", s.Failed, s.NotStarted, o.LogPath)
				return exitCodeError{exitError}
			}
			return nil
		},
	}
	pf.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.DryRun, "dry-run", false, "show what would be pushed; connect to nothing")
	f.BoolVar(&yes, "yes", false, "really change the devices")
	f.IntVar(&o.Parallel, "parallel", 8, "concurrent SSH sessions (per wave: the canaries, then one site)")
	f.IntVar(&o.Canary, "canary", 0, "push this many devices first, alone, before any site")
	f.IntVar(&o.ConfirmMinutes, "confirm-minutes", 5, "commit-confirmed window (Junos): the device rolls back by itself unless fwpol confirms")
	f.BoolVar(&o.SSH.AcceptNewHostKeys, "accept-new-hostkeys", false, "record unknown host keys in known_hosts instead of refusing them (changed keys are always refused)")
	f.IntVar(&o.SSH.Retries, "retries", 3, "retries for failed connections (exponential backoff)")
	f.DurationVar(&o.SSH.Timeout, "timeout", 30*time.Second, "connect and per-command timeout when the inventory sets none")
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}
