package registry

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDetect: every vendor's Detect sees every file an estate walk finds,
// so none may panic on any input.
func FuzzDetect(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/*/*")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("firewall {\n\n}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range All() {
			if s := v.Detect(data); s < 0 || s > 100 {
				t.Fatalf("%s: score %d out of 0..100", v.Name, s)
			}
		}
	})
}

// TestDetectPicksEachFixtureVendor: fixtures are detected as their folder's vendor.
func TestDetectPicksEachFixtureVendor(t *testing.T) {
	want := map[string]string{"junos": "junos", "cisco": "", "asa": "asa", "nftables": "nftables"}
	for dir, vendor := range want {
		files, _ := filepath.Glob(filepath.Join("../../testdata", dir, "*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil || len(data) == 0 {
				continue
			}
			v, ok := Detect(data)
			if !ok {
				t.Errorf("%s: not detected", f)
				continue
			}
			if vendor != "" && v.Name != vendor {
				t.Errorf("%s: detected %s, want %s", f, v.Name, vendor)
			}
			if vendor == "" && v.Name != "ios" && v.Name != "nxos" && v.Name != "eos" {
				t.Errorf("%s: detected %s, want a Cisco dialect", f, v.Name)
			}
		}
	}
}
