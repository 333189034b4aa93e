package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fwpol/fwpol/blocklist"
	"github.com/fwpol/fwpol/estate"
	"github.com/fwpol/fwpol/netdb"
	"github.com/fwpol/fwpol/policy"
)

// exitNotBlocked is `block check`'s answer for an address no entry blocks.
const exitNotBlocked = 3

// blockFlags are shared by every block subcommand.
type blockFlags struct {
	ef   estateFlags
	file string
}

func (b *blockFlags) register(cmd *cobra.Command, scope bool) {
	cmd.Flags().StringVar(&b.file, "blocklist", "", "blocklist file (default: "+blocklist.DefaultFile+" in the inventory's directory)")
	if scope {
		b.ef.register(cmd.Flags())
	} else {
		cmd.Flags().StringVar(&b.ef.inventory, "inventory", "", "inventory file or directory (default: ./"+netdb.DefaultFile+" when present)")
	}
}

// resolve loads the inventory (if any) and picks the blocklist path.
func (b *blockFlags) resolve() (*netdb.Inventory, string, error) {
	inv, err := b.ef.loadInventory()
	if err != nil {
		return nil, "", err
	}
	path := b.file
	if path == "" {
		if inv == nil {
			return nil, "", usageErrorf("no blocklist: give --blocklist FILE, or --inventory (the blocklist is %s beside it)", blocklist.DefaultFile)
		}
		path = filepath.Join(inv.Dir, blocklist.DefaultFile)
	}
	return inv, path, nil
}

// open resolves the inventory and blocklist path and reads the clock, as
// every block subcommand does first.
func (b *blockFlags) open() (*netdb.Inventory, string, time.Time, error) {
	inv, path, err := b.resolve()
	if err != nil {
		return nil, "", time.Time{}, err
	}
	now, err := blockNow()
	return inv, path, now, err
}

// blockNow is the current time; FWPOL_NOW (RFC 3339) overrides it for tests
// and rehearsals.
func blockNow() (time.Time, error) {
	if s := os.Getenv("FWPOL_NOW"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, usageErrorf("FWPOL_NOW: %v", err)
		}
		return t.UTC(), nil
	}
	return time.Now().UTC(), nil
}

// blockUser names who changes the blocklist: $FWPOL_USER, $SUDO_USER, $USER.
func blockUser() string {
	for _, k := range []string{"FWPOL_USER", "SUDO_USER", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

func newBlockCmd(ios *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "block",
		Short: "Incident-response blocklist: add, list, remove, expire, check, import, render",
		Long: `The blocklist is a YAML file beside the inventory (blocklist.yaml), changed
only under a lock with atomic writes, every change recorded in
blocklist.audit.log. "fwpol block render" turns the active entries into
per-device commands for every vendor.`,
	}
	cmd.AddCommand(newBlockAddCmd(ios), newBlockListCmd(ios), newBlockRemoveCmd(ios), newBlockExpireCmd(ios),
		newBlockCheckCmd(ios), newBlockImportCmd(ios), newBlockRenderCmd(ios))
	return cmd
}

// entryOptions are the flags describing new entries (add, import).
type entryOptions struct {
	reason, ticket, until, direction string
	dur                              time.Duration
	sites, devices, roles            []string
	force                            bool
	min4, min6                       int
}

func (o *entryOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.reason, "reason", "", "why (required)")
	f.StringVar(&o.ticket, "ticket", "", "incident or change ticket (required)")
	f.DurationVar(&o.dur, "for", 0, "expire after this long (e.g. 72h)")
	f.StringVar(&o.until, "until", "", "expire at this time (RFC 3339, or YYYY-MM-DD)")
	f.StringSliceVar(&o.sites, "site", nil, "only at these sites (default: everywhere)")
	f.StringSliceVar(&o.devices, "device", nil, "only on these devices")
	f.StringSliceVar(&o.roles, "role", nil, "only on devices with these roles")
	f.StringVar(&o.direction, "direction", "both", "block as source, destination or both: src|dst|both")
	f.BoolVar(&o.force, "force", false, "block protected, management and infrastructure ranges and ranges wider than the limits")
	f.IntVar(&o.min4, "max-prefix-v4", blocklist.DefaultLimits.MinBits4, "refuse IPv4 ranges wider than this prefix length without --force")
	f.IntVar(&o.min6, "max-prefix-v6", blocklist.DefaultLimits.MinBits6, "refuse IPv6 ranges wider than this prefix length without --force")
}

func (o *entryOptions) request(inv *netdb.Inventory, now time.Time) (blocklist.Request, error) {
	var req blocklist.Request
	if strings.TrimSpace(o.reason) == "" || strings.TrimSpace(o.ticket) == "" {
		return req, usageErrorf("--reason and --ticket are required")
	}
	dir, err := blocklist.ParseDirection(o.direction)
	if err != nil {
		return req, usageError{err}
	}
	var exp time.Time
	switch {
	case o.dur != 0 && o.until != "":
		return req, usageErrorf("give --for or --until, not both")
	case o.dur < 0:
		return req, usageErrorf("--for must be positive")
	case o.dur > 0:
		exp = now.Add(o.dur).Truncate(time.Second)
	case o.until != "":
		t, err := time.Parse(time.RFC3339, o.until)
		if err != nil {
			t, err = time.Parse("2006-01-02", o.until)
		}
		if err != nil {
			return req, usageErrorf("--until %q: want RFC 3339 (2026-01-02T15:04:05Z) or YYYY-MM-DD", o.until)
		}
		if !t.After(now) {
			return req, usageErrorf("--until %s is not in the future", o.until)
		}
		exp = t.UTC()
	}
	if inv != nil {
		for _, s := range o.sites {
			if inv.Site(s) == nil {
				return req, usageErrorf("unknown site %q", s)
			}
		}
		for _, d := range o.devices {
			if inv.Device(d) == nil {
				return req, usageErrorf("unknown device %q", d)
			}
		}
	}
	return blocklist.Request{Reason: o.reason, Ticket: o.ticket, User: blockUser(), Expires: exp,
		Scope: blocklist.Scope{Sites: o.sites, Devices: o.devices, Roles: o.roles}, Direction: dir, Force: o.force}, nil
}

func (o *entryOptions) safety(inv *netdb.Inventory) *blocklist.Safety {
	return blocklist.NewSafety(inv, blocklist.Limits{MinBits4: o.min4, MinBits6: o.min6})
}

// addReport is `block add -o json`.
type addReport struct {
	DryRun  bool             `json:"dry_run"`
	Written bool             `json:"written"`
	Impact  []blocklist.Cut  `json:"impact"`
	Result  blocklist.Result `json:"result"`
}

func newBlockAddCmd(ios *IOStreams) *cobra.Command {
	var bf blockFlags
	var eo entryOptions
	var dryRun, yes bool
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "add RANGE...",
		Short: "Block ranges (CIDR, A-B or address) after showing what they would cut",
		Long: `Block ranges everywhere (or at --site/--device/--role), after checking them
against the inventory's protected ranges, management addresses and site
infrastructure, and showing which currently permitted traffic, rules and
devices the block would cut.

Without --yes, add asks for confirmation when stdin is a terminal and
refuses otherwise (exit 2), so a script never blocks by accident.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, path, now, req, err := prepareBlock(&bf, &eo)
			if err != nil {
				return err
			}
			req.Ranges = args
			safety := eo.safety(inv)
			// validate against the current file before showing the impact
			cur, err := blocklist.Load(path)
			if err != nil {
				return err
			}
			pre, _, _ := blocklist.Add(cur, req, safety, now)
			if len(pre.Refused) > 0 {
				return refusedError(ios, pre.Refused)
			}
			rep := addReport{DryRun: dryRun, Impact: []blocklist.Cut{}, Result: pre}
			if inv != nil && len(pre.Added) > 0 {
				e := pre.Added[0]
				est, err := estate.Load(nil, estate.Options{Inventory: inv, Scope: e.Scope.Filter(), CacheDir: cacheDir(bf.ef.noCache)})
				if err != nil {
					return err
				}
				src, dst := e.Set(), e.Set()
				if !e.BlocksSrc() {
					src = nil
				}
				if !e.BlocksDst() {
					dst = nil
				}
				rep.Impact = blocklist.Impact(est.Configs, e.Scope, src, dst)
			}
			if output.value == "table" {
				printImpact(ios, rep.Impact, inv != nil)
			}
			if len(pre.Added) == 0 {
				if output.value == "json" {
					return writeJSON(ios.Out, rep)
				}
				fmt.Fprintf(ios.Out, "nothing to add: %s already blocked\n", strings.Join(pre.Merged, ", "))
				return nil
			}
			if dryRun {
				if output.value == "json" {
					return writeJSON(ios.Out, rep)
				}
				fmt.Fprintln(ios.Out, "dry run: blocklist not changed")
				return nil
			}
			if !yes {
				if err := confirmBlock(ios, fmt.Sprintf("Block %s (%s, scope %s)?", strings.Join(args, " "), req.Direction, req.Scope)); err != nil {
					return err
				}
			}
			var res blocklist.Result
			_, err = blocklist.Update(path, func(l *blocklist.List) ([]blocklist.Event, error) {
				var evs []blocklist.Event
				res, evs, err = blocklist.Add(l, req, safety, now)
				return evs, err
			})
			if err != nil {
				return err
			}
			if len(res.Refused) > 0 {
				return refusedError(ios, res.Refused)
			}
			rep.Result, rep.Written = res, len(res.Added) > 0
			if output.value == "json" {
				return writeJSON(ios.Out, rep)
			}
			for _, e := range res.Added {
				fmt.Fprintf(ios.Out, "added %s: %s (%s, scope %s, expires %s)\n", e.ID, strings.Join(e.Ranges, " "), e.Direction, e.Scope, expiry(e))
			}
			if len(res.Merged) > 0 {
				fmt.Fprintf(ios.Out, "already blocked: %s\n", strings.Join(res.Merged, ", "))
			}
			return nil
		},
	}
	bf.register(cmd, false)
	eo.register(cmd)
	cmd.Flags().BoolVar(&bf.ef.noCache, "no-cache", false, "parse every file instead of using the parse cache")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show the impact, change nothing")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}

func cacheDir(noCache bool) string {
	if noCache {
		return ""
	}
	return estate.DefaultCacheDir()
}

func refusedError(ios *IOStreams, refused []blocklist.Refusal) error {
	for _, r := range refused {
		hint := ""
		if r.Forcible {
			hint = " (--force overrides)"
		}
		fmt.Fprintf(ios.ErrOut, "fwpol: refused %s: %s%s\n", r.Range, r.Reason, hint)
	}
	return exitCodeError{exitError}
}

func printImpact(ios *IOStreams, cuts []blocklist.Cut, haveInventory bool) {
	if !haveInventory {
		fmt.Fprintln(ios.Out, "impact: unknown (no inventory)")
		return
	}
	if len(cuts) == 0 {
		fmt.Fprintln(ios.Out, "impact: no currently permitted traffic is cut")
		return
	}
	devs := map[string]bool{}
	for _, c := range cuts {
		devs[c.Device] = true
	}
	fmt.Fprintf(ios.Out, "impact: %d permitting rules on %d devices would stop matching:\n", len(cuts), len(devs))
	t := newTable(ios.Out, "SITE", "DEVICE", "FILTER", "RULE", "LINE", "TRAFFIC CUT (example)")
	for _, c := range cuts {
		rule := c.Rule
		if c.Default {
			rule = "(default)"
		} else if c.InChain != "" {
			rule = c.InChain + "/" + c.Rule
		}
		t.row(dash(c.Site), c.Device, c.Filter, rule, c.Line, c.Example)
	}
	t.flush()
}

func expiry(e *blocklist.Entry) string {
	if e.Expires.IsZero() {
		return "never"
	}
	return e.Expires.UTC().Format(time.RFC3339)
}

func newBlockListCmd(ios *IOStreams) *cobra.Command {
	var bf blockFlags
	var expired bool
	var sites []string
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List active entries (--expired: those past their expiry)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, path, now, err := bf.open()
			if err != nil {
				return err
			}
			l, err := blocklist.Load(path)
			if err != nil {
				return err
			}
			out := []*blocklist.Entry{}
			for _, e := range l.Entries {
				if e.Active(now) == expired {
					continue
				}
				if len(sites) > 0 && !(len(e.Scope.Sites) == 0 || overlapsAny(e.Scope.Sites, sites)) {
					continue
				}
				out = append(out, e)
			}
			if output.value == "json" {
				return writeJSON(ios.Out, out)
			}
			t := newTable(ios.Out, "ID", "RANGES", "DIR", "SCOPE", "EXPIRES", "TICKET", "BY", "REASON")
			for _, e := range out {
				t.row(e.ID, strings.Join(e.Ranges, ","), e.Direction, e.Scope, expiry(e), dash(e.Ticket), dash(e.AddedBy), dash(e.Reason))
			}
			return t.flush()
		},
	}
	bf.register(cmd, false)
	cmd.Flags().BoolVar(&expired, "expired", false, "list expired entries instead")
	cmd.Flags().StringSliceVar(&sites, "site", nil, "only entries in force at these sites")
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}

func overlapsAny(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func newBlockRemoveCmd(ios *IOStreams) *cobra.Command {
	var bf blockFlags
	cmd := &cobra.Command{
		Use:   "remove RANGE|ID...",
		Short: "Unblock entries by ID, or ranges exactly as listed",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, path, now, err := bf.open()
			if err != nil {
				return err
			}
			evs, err := blocklist.Update(path, func(l *blocklist.List) ([]blocklist.Event, error) {
				return blocklist.Remove(l, args, blockUser(), now)
			})
			if err != nil {
				return err
			}
			for _, ev := range evs {
				fmt.Fprintf(ios.Out, "removed %s: %s\n", ev.ID, strings.Join(ev.Ranges, " "))
			}
			return nil
		},
	}
	bf.register(cmd, false)
	return cmd
}

func newBlockExpireCmd(ios *IOStreams) *cobra.Command {
	var bf blockFlags
	cmd := &cobra.Command{
		Use:   "expire",
		Short: "Drop expired entries (for cron)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, path, now, err := bf.open()
			if err != nil {
				return err
			}
			evs, err := blocklist.Update(path, func(l *blocklist.List) ([]blocklist.Event, error) {
				return blocklist.Expire(l, blockUser(), now), nil
			})
			if err != nil {
				return err
			}
			for _, ev := range evs {
				fmt.Fprintf(ios.Out, "expired %s: %s (expired %s)\n", ev.ID, strings.Join(ev.Ranges, " "), ev.Expires.Format(time.RFC3339))
			}
			fmt.Fprintf(ios.Out, "%d entries expired\n", len(evs))
			return nil
		},
	}
	bf.register(cmd, false)
	return cmd
}

// checkReport is `block check -o json`.
type checkReport struct {
	Address string       `json:"address"`
	Blocked bool         `json:"blocked"`
	Entries []checkEntry `json:"entries"`
}

type checkEntry struct {
	blocklist.Match
	// Devices in the entry's scope (with an inventory); nil = unknown.
	Devices []string `json:"devices"`
}

func newBlockCheckCmd(ios *IOStreams) *cobra.Command {
	var bf blockFlags
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "check IP",
		Short: "Is this address blocked, by which entries, and where (exit 3 when not blocked)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ip, err := netip.ParseAddr(strings.TrimSpace(args[0]))
			if err != nil {
				return usageErrorf("bad address %q", args[0])
			}
			inv, path, now, err := bf.open()
			if err != nil {
				return err
			}
			l, err := blocklist.Load(path)
			if err != nil {
				return err
			}
			rep := checkReport{Address: ip.String(), Entries: []checkEntry{}}
			for _, m := range blocklist.Check(l, ip, now) {
				ce := checkEntry{Match: m}
				if inv != nil {
					ce.Devices = []string{}
					for _, d := range inv.Select(m.Entry.Scope.Filter()) {
						ce.Devices = append(ce.Devices, d.Name)
					}
				}
				rep.Entries = append(rep.Entries, ce)
			}
			rep.Blocked = len(rep.Entries) > 0
			if output.value == "json" {
				if err := writeJSON(ios.Out, rep); err != nil {
					return err
				}
			} else if !rep.Blocked {
				fmt.Fprintf(ios.Out, "%s is not blocked\n", ip)
			} else {
				t := newTable(ios.Out, "ID", "RANGE", "DIR", "SCOPE", "EXPIRES", "TICKET", "DEVICES")
				for _, ce := range rep.Entries {
					devs := "all in scope"
					if ce.Devices != nil {
						devs = fmt.Sprintf("%d", len(ce.Devices))
						if len(ce.Devices) <= 5 {
							devs = dash(strings.Join(ce.Devices, ","))
						}
					}
					t.row(ce.Entry.ID, ce.Range, ce.Entry.Direction, ce.Entry.Scope, expiry(ce.Entry), dash(ce.Entry.Ticket), devs)
				}
				t.flush()
			}
			if !rep.Blocked {
				return exitCodeError{exitNotBlocked}
			}
			return nil
		},
	}
	bf.register(cmd, false)
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}

// importReport is `block import -o json`.
type importReport struct {
	Added   int                 `json:"added"`
	Merged  int                 `json:"merged"`
	Refused []blocklist.Refusal `json:"refused"`
	IDs     []string            `json:"ids"`
	DryRun  bool                `json:"dry_run,omitempty"`
	// Impact is what the new entries cut (see block add).
	Impact []blocklist.Cut `json:"impact"`
}

func newBlockImportCmd(ios *IOStreams) *cobra.Command {
	var bf blockFlags
	var dryRun, yes bool
	var eo entryOptions
	var column string
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a threat feed (one address/CIDR a line, or CSV) as entries",
		Long: `Import a threat feed: one address, CIDR or A-B range a line ("#" and ";"
comments allowed), or CSV with a header (the address column is found by
name, or given with --column NAME|N). Each new range becomes an entry;
ranges already blocked with the same scope and direction for at least as
long are merged; unsafe or malformed ones are refused one by one and the
rest imported. Like add, it first shows what the new entries would cut and
asks for confirmation on a terminal (--yes elsewhere; --dry-run changes
nothing). Exit 1 when something was refused and nothing accepted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, path, now, req, err := prepareBlock(&bf, &eo)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			items, err := blocklist.ParseFeed(data, column)
			if err != nil {
				return fmt.Errorf("%s: %v", args[0], err)
			}
			req.Source = filepath.Base(args[0])
			safety := eo.safety(inv)
			// the feed's impact, computed against the current file, before any write
			cur, err := blocklist.Load(path)
			if err != nil {
				return err
			}
			pre, _ := blocklist.Import(cur, items, req, safety, now)
			cuts, err := importImpact(&bf, inv, pre.Added)
			if err != nil {
				return err
			}
			if output.value == "table" {
				printImpact(ios, cuts, inv != nil)
			}
			if dryRun || len(pre.Added) == 0 {
				rep := importReport{Added: len(pre.Added), Merged: len(pre.Merged), Refused: pre.Refused, IDs: []string{}, DryRun: dryRun, Impact: cuts}
				if output.value == "json" {
					return writeJSON(ios.Out, rep)
				}
				for _, r := range pre.Refused {
					fmt.Fprintf(ios.ErrOut, "fwpol: %s:%d: refused %s: %s\n", args[0], r.Line, r.Range, r.Reason)
				}
				if dryRun {
					fmt.Fprintf(ios.Out, "%s: would add %d, merge %d, refuse %d; blocklist not changed\n", args[0], len(pre.Added), len(pre.Merged), len(pre.Refused))
				} else {
					fmt.Fprintf(ios.Out, "%s: nothing new: %d merged (already blocked), %d refused\n", args[0], len(pre.Merged), len(pre.Refused))
				}
				if len(pre.Added) == 0 && len(pre.Merged) == 0 && len(pre.Refused) > 0 {
					return exitCodeError{exitError}
				}
				return nil
			}
			if !yes {
				if err := confirmBlock(ios, fmt.Sprintf("Import %d new ranges from %s (%s, scope %s)?", len(pre.Added), args[0], req.Direction, req.Scope)); err != nil {
					return err
				}
			}
			var res blocklist.Result
			_, err = blocklist.Update(path, func(l *blocklist.List) ([]blocklist.Event, error) {
				var evs []blocklist.Event
				res, evs = blocklist.Import(l, items, req, safety, now)
				return evs, nil
			})
			if err != nil {
				return err
			}
			rep := importReport{Added: len(res.Added), Merged: len(res.Merged), Refused: res.Refused, IDs: []string{}, Impact: cuts}
			for _, e := range res.Added {
				rep.IDs = append(rep.IDs, e.ID)
			}
			if output.value == "json" {
				if err := writeJSON(ios.Out, rep); err != nil {
					return err
				}
			} else {
				for _, r := range res.Refused {
					fmt.Fprintf(ios.ErrOut, "fwpol: %s:%d: refused %s: %s\n", args[0], r.Line, r.Range, r.Reason)
				}
				fmt.Fprintf(ios.Out, "%s: %d added, %d merged (already blocked), %d refused\n", args[0], rep.Added, rep.Merged, len(rep.Refused))
			}
			if len(res.Refused) > 0 && rep.Added+rep.Merged == 0 {
				return exitCodeError{exitError}
			}
			return nil
		},
	}
	bf.register(cmd, false)
	eo.register(cmd)
	cmd.Flags().StringVar(&column, "column", "", "CSV column holding the addresses (header name or 1-based number)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be added and its impact, change nothing")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}

func newBlockRenderCmd(ios *IOStreams) *cobra.Command {
	var bf blockFlags
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Print each device's commands to enforce the active blocklist (only what differs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, path, err := bf.resolve()
			if err != nil {
				return err
			}
			if inv == nil {
				return usageErrorf("render needs an inventory (--inventory)")
			}
			now, err := blockNow()
			if err != nil {
				return err
			}
			l, err := blocklist.Load(path)
			if err != nil {
				return err
			}
			est, err := bf.ef.load(nil)
			if err != nil {
				return err
			}
			changes := blocklist.Render(est.Configs, inv, l.Active(now), now)
			if output.value == "json" {
				return writeJSON(ios.Out, changes)
			}
			failed := 0
			for _, dc := range changes {
				status := fmt.Sprintf("%d commands (+%d -%d)", len(dc.Commands), dc.Added, dc.Removed)
				if dc.Error != "" {
					status = "error: " + dc.Error
					failed++
				} else if len(dc.Commands) == 0 {
					status = "in sync"
				}
				fmt.Fprintf(ios.Out, "# %s/%s (%s, %s): %s\n", dash(dc.Site), dc.Device, dc.Vendor, dc.File, status)
				for _, u := range dc.Unprotected {
					fmt.Fprintf(ios.Out, "#   not protected: %s\n", u)
				}
				for _, c := range dc.Commands {
					fmt.Fprintln(ios.Out, c)
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d devices could not be rendered", failed)
			}
			return nil
		},
	}
	bf.register(cmd, true)
	cmd.Flags().VarP(output, "output", "o", "output format: table|json")
	return cmd
}

// confirmBlock asks on a terminal; anywhere else a block needs --yes, so a
// script cannot block by accident.
func confirmBlock(ios *IOStreams, question string) error {
	f, ok := ios.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return usageErrorf("not confirmed: pass --yes to block without a prompt (stdin is not a terminal)")
	}
	fmt.Fprintf(ios.ErrOut, "%s [y/N] ", question)
	ans, _ := bufio.NewReader(ios.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
		return fmt.Errorf("not confirmed; blocklist not changed")
	}
	return nil
}

// importImpact is what a feed's new entries would cut (they share one scope
// and direction).
func importImpact(bf *blockFlags, inv *netdb.Inventory, added []*blocklist.Entry) ([]blocklist.Cut, error) {
	if inv == nil || len(added) == 0 {
		return []blocklist.Cut{}, nil
	}
	var src, dst policy.AddrSetBuilder
	for _, e := range added {
		if e.BlocksSrc() {
			src.AddSet(e.Set())
		}
		if e.BlocksDst() {
			dst.AddSet(e.Set())
		}
	}
	scope := added[0].Scope
	est, err := estate.Load(nil, estate.Options{Inventory: inv, Scope: scope.Filter(), CacheDir: cacheDir(bf.ef.noCache)})
	if err != nil {
		return nil, err
	}
	return blocklist.Impact(est.Configs, scope, src.Set(), dst.Set()), nil
}

// prepareBlock resolves the inventory and blocklist path, the clock and the
// entry request shared by block add and block import.
func prepareBlock(bf *blockFlags, eo *entryOptions) (*netdb.Inventory, string, time.Time, blocklist.Request, error) {
	inv, path, now, err := bf.open()
	if err != nil {
		return nil, "", time.Time{}, blocklist.Request{}, err
	}
	req, err := eo.request(inv, now)
	return inv, path, now, req, err
}
