package junos

import "github.com/fwpol/fwpol/vendors"

// PushDialect is how Junos takes configuration: a private candidate, set
// commands pasted with "load set terminal", "commit confirmed N" (rolled
// back automatically unless confirmed by a plain "commit"), and "rollback
// 1" + "commit" to undo. A commit is persistent: there is nothing to save.
func PushDialect() vendors.Dialect {
	return vendors.Dialect{
		Enter:           []string{"configure private"},
		Load:            []string{"load set terminal"},
		CommitConfirmed: []string{"commit confirmed %d"},
		Confirm:         []string{"commit"},
		Commit:          []string{"commit"},
		Exit:            []string{"exit configuration-mode"},
		Rollback:        []string{"rollback 1", "commit"},
	}
}
