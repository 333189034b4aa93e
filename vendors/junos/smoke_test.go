package junos

import (
	"encoding/json"
	"os"
	"testing"
)

func TestSmoke(t *testing.T) {
	for _, p := range []string{"batfish/firewall-filters", "batfish/firewall-combined-policies", "batfish/firewall-global-address-book", "batfish/juniper_firewall", "batfish/juniper_security", "trigger/junos-examples.txt"} {
		data, err := os.ReadFile("../../../shared/corpus/" + p)
		if err != nil {
			t.Skip(err)
		}
		c, err := Parse(p, data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		t.Logf("%s: detect=%d filters=%d", p, Detect(data), len(c.Filters))
		if os.Getenv("DUMP") == p {
			j, _ := json.MarshalIndent(c, "", " ")
			t.Log(string(j))
		}
	}
}

func TestSmokeFixtures(t *testing.T) {
	for _, p := range []string{"../../testdata/junos/policy.conf", "../../testdata/junos/policy.set"} {
		data, _ := os.ReadFile(p)
		c, err := Parse(p, data)
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("DUMP") == p {
			j, _ := json.MarshalIndent(c, "", " ")
			t.Log(string(j))
		}
	}
}
