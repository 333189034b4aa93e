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
}
