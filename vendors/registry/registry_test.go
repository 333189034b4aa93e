package registry

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
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

// What a renderer writes is detected as its vendor again: an ASA access-list
// without other ASA markers was read as IOS, its netmasks as wildcards
// (10.157.64.0 255.255.192.0 became "any address ending in .64.0/18 bits").
func TestRenderedConfigsAreDetectedAsTheirVendor(t *testing.T) {
	for _, variant := range []string{"sparse", "v6"} {
		cfg := policy.GenerateACL(200, 3, variant)
		for _, v := range All() {
			if v.Render == nil {
				continue
			}
			out, err := v.Render(cfg, vendors.RenderOptions{Warn: func(string) {}})
			if err != nil {
				t.Fatalf("%s: %v", v.Name, err)
			}
			got, ok := Detect(out)
			if !ok || got.Name != v.Name {
				t.Errorf("%s (%s): detected as %v", v.Name, variant, got.Name)
			}
		}
	}
}

// An ASA access-list with netmasks and no other ASA marker is ASA: read as
// IOS, its masks would be wildcards and the rule would match other hosts.
func TestASANetmaskAccessListIsASA(t *testing.T) {
	data := []byte("hostname fw\naccess-list acl extended deny ip 10.157.64.0 255.255.192.0 172.31.74.192 255.255.255.192\naccess-list acl extended permit ip any any\n")
	if v, ok := Detect(data); !ok || v.Name != "asa" {
		t.Fatalf("detected %v", v.Name)
	}
	// IOS numbered lists with wildcards stay IOS
	data = []byte("hostname r1\naccess-list 101 deny ip 10.157.64.0 0.0.63.255 any\naccess-list 101 permit ip any any\n")
	if v, ok := Detect(data); !ok || v.Name != "ios" {
		t.Fatalf("IOS detected as %v", v.Name)
	}
}

// An IOS standard list naming the broadcast address is still IOS.
func TestIOSBroadcastHostIsIOS(t *testing.T) {
	data := []byte("hostname r1\naccess-list 10 permit 255.255.255.255\naccess-list 10 deny any\n")
	if v, ok := Detect(data); !ok || v.Name != "ios" {
		t.Fatalf("detected %v", v.Name)
	}
}
