package cisco

import "github.com/fwpol/fwpol/vendors"

// PushDialect is how each dialect ("ios", "nxos", "eos") takes
// configuration; ok is false for another name.
//   - IOS/IOS-XE: lines apply as typed in "configure terminal"; "write
//     memory" saves; rollback replaces the running config with the saved
//     one ("configure replace", archive feature), so save only after
//     verifying.
//   - NX-OS: a named checkpoint before the change, "rollback running-config
//     checkpoint NAME" to undo, "copy running-config startup-config" saves.
//   - EOS: a configuration session: nothing applies until "commit"; "commit
//     timer" rolls back unless the session is committed again; "abort"
//     discards an uncommitted session.
func PushDialect(name string) (vendors.Dialect, bool) {
	switch name {
	case "ios":
		return vendors.Dialect{
			Enter:    []string{"configure terminal"},
			Exit:     []string{"end"},
			Save:     []string{"write memory"},
			Rollback: []string{"configure replace nvram:startup-config force"},
		}, true
	case "nxos":
		return vendors.Dialect{
			Checkpoint: []string{"checkpoint %s"},
			Enter:      []string{"configure terminal"},
			Exit:       []string{"end"},
			Save:       []string{"copy running-config startup-config"},
			Rollback:   []string{"rollback running-config checkpoint %s"},
		}, true
	case "eos":
		return vendors.Dialect{
			Enter:           []string{"configure session %s"},
			CommitConfirmed: []string{"commit timer 00:%02d:00"},
			Confirm:         []string{"configure session %s commit"},
			Commit:          []string{"commit"},
			Exit:            []string{"end"},
			Save:            []string{"write memory"},
			Rollback:        []string{"configure session %s abort"},
		}, true
	}
	return vendors.Dialect{}, false
}
