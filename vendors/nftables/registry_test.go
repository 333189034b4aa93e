package nftables_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fwpol/fwpol/vendors/nftables"
	"github.com/fwpol/fwpol/vendors/registry"
)

// Every nft fixture is detected as nftables among all registered vendors,
// and no other vendor's fixture is claimed by nftables.
func TestRegistryDetect(t *testing.T) {
	all, _ := filepath.Glob("../../testdata/*/*")
	n := 0
	for _, f := range all {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // directories
		}
		mine := filepath.Base(filepath.Dir(f)) == "nftables"
		if !mine {
			if s := nftables.Detect(data); s != 0 {
				t.Errorf("%s: nftables detect %d, want 0", f, s)
			}
			continue
		}
		if filepath.Ext(f) != ".nft" {
			continue
		}
		n++
		if v, ok := registry.Detect(data); !ok || v.Name != "nftables" {
			t.Errorf("%s: detected as %q", f, v.Name)
		}
	}
	if n == 0 {
		t.Fatal("no nft fixtures")
	}
}
