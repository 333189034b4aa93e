package asa

import "github.com/fwpol/fwpol/vendors"

// PushDialect is how the ASA takes configuration: lines apply as typed in
// "configure terminal", "write memory" saves. The ASA has no commit or
// checkpoint: undo means replacing the running configuration with the saved
// startup configuration, so save only after verifying.
func PushDialect() vendors.Dialect {
	return vendors.Dialect{
		Enter:    []string{"configure terminal"},
		Exit:     []string{"end"},
		Save:     []string{"write memory"},
		Rollback: []string{"configure replace startup-config"},
	}
}
