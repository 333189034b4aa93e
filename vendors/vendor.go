// Package vendors defines what a vendor syntax package provides. Each
// syntax family lives in its own sub-package; vendors/registry lists them.
package vendors

import "github.com/fwpol/fwpol/policy"

// Vendor is one syntax family's parser (and, later, renderer and push dialect).
type Vendor struct {
	// Name is the identifier used by --vendor and in output ("junos", "ios", ...).
	Name string
	// Detect scores how sure the vendor is that data is its syntax: 0 means
	// "not mine", 100 means certain. The highest score wins.
	Detect func(data []byte) int
	// Parse turns one file into a Config. Errors are *parser.Error values
	// naming file, line and column.
	Parse func(file string, data []byte) (*policy.Config, error)
	// Link, when set, runs after every file of an estate is parsed, so a
	// vendor can resolve references across files (e.g. iptables rules
	// against an ipset save file of the same device).
	Link func(configs []*policy.Config)
	// Render writes filters of the model (and the objects they use) in the
	// vendor's own syntax; see RenderOptions. Parsing the output gives
	// filters with the same decisions.
	Render func(cfg *policy.Config, opt RenderOptions) ([]byte, error)
	// RenderBlock returns the commands that make cfg enforce a blocklist,
	// relative to what cfg already has: running them twice changes nothing.
	RenderBlock func(cfg *policy.Config, spec BlockSpec) (BlockChange, error)
}

// RenderOptions select what Render writes.
type RenderOptions struct {
	// Filters to render by name; empty means every filter.
	Filters []string
	// Format picks a sub-format where the vendor has several (Junos "set"
	// or "hierarchical").
	Format string
	// Warn, when set, receives each finding the renderer reports: what
	// the target cannot express and how it was written instead (expanded,
	// left out). When nil, findings are written as comments in the output.
	Warn func(msg string)
}

// BlockSpec is the blocklist as one device must enforce it.
type BlockSpec struct {
	// Name is the object (prefix-list, object-group, set) holding the
	// blocked ranges, e.g. "FWPOL-BLOCK".
	Name string
	// Src and Dst are the exact ranges to drop as source and as destination
	// (either may be empty).
	Src, Dst *policy.AddrSet
	// Filters are the filters to protect (the device's bound entry filters);
	// the block goes first in each.
	Filters []string
}

// BlockChange is what a device needs to match a BlockSpec.
type BlockChange struct {
	// Commands are configuration lines in the vendor's push dialect, in
	// order; empty when the device already enforces the spec.
	Commands []string
	// Added and Removed count ranges changed in the block object.
	Added, Removed int
}

// Dialect is how a device takes configuration in an interactive CLI session
// (used by push). Command texts may hold one %s (a session or checkpoint
// name) or %d (minutes), as documented per field; empty lists mean the
// platform has no such step.
type Dialect struct {
	// Enter puts the session into configuration mode (%s: session name).
	Enter []string
	// Load starts pasting configuration lines (Junos "load set terminal",
	// ended by Ctrl-D); empty when lines are typed in configuration mode.
	Load []string
	// Checkpoint records the running state for Rollback (%s: name).
	Checkpoint []string
	// CommitConfirmed applies the change with an automatic rollback after
	// %d minutes unless Confirm follows.
	CommitConfirmed []string
	Confirm         []string
	// Commit applies the change (empty: lines take effect as entered).
	Commit []string
	// Exit leaves configuration mode.
	Exit []string
	// Save makes the running configuration survive a reload.
	Save []string
	// Rollback undoes the change (%s: checkpoint or session name).
	Rollback []string
}
