package cisco

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

const corpus = "../../../shared/corpus"

func readCorpus(t *testing.T, rel string) []byte {
	t.Helper()
	if _, err := os.Stat(corpus); err != nil {
		t.Skip("corpus not present")
	}
	data, err := os.ReadFile(filepath.Join(corpus, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseDetected parses data with the dialect Detect picks, as the loader will.
func parseDetected(t *testing.T, name string, data []byte) (*policy.Config, vendors.Vendor) {
	t.Helper()
	var best vendors.Vendor
	score := 0
	for _, v := range []vendors.Vendor{IOS, NXOS, EOS} {
		if s := v.Detect(data); s > score {
			best, score = v, s
		}
	}
	if score < 50 {
		t.Fatalf("%s: detect score %d", name, score)
	}
	c, err := best.Parse(name, data)
	if err != nil {
		t.Fatalf("%s (%s): %v", name, best.Name, err)
	}
	return c, best
}

func TestCorpusFiles(t *testing.T) {
	cases := []struct {
		file    string
		vendor  string
		filters int
		objects int
		undef   int
	}{
		{"batfish/cisco_acl", "eos", 7, 0, 0},
		{"batfish/ios-acl", "ios", 7, 0, 2},
		{"batfish/ios-acl-object-group", "ios", 2, 5, 3},
		{"batfish/ios-acl-portgroup", "ios", 4, 4, 1},
		{"batfish/ios-object-group-network", "ios", 1, 6, 1},
		{"batfish/ios-object-group-protocol", "ios", 5, 5, 1},
		{"batfish/ios-object-group-service", "ios", 2, 4, 1},
		{"trigger/acl.test", "ios", 1, 0, 0},
	}
	for _, tc := range cases {
		data := readCorpus(t, tc.file)
		c, v := parseDetected(t, tc.file, data)
		if v.Name != tc.vendor || len(c.Filters) != tc.filters || len(c.Objects) != tc.objects || len(c.Undefined) != tc.undef {
			t.Errorf("%s: vendor %s filters %d objects %d undefined %d; want %s %d %d %d", tc.file, v.Name,
				len(c.Filters), len(c.Objects), len(c.Undefined), tc.vendor, tc.filters, tc.objects, tc.undef)
		}
	}
}

func TestCorpusTriggerACL115(t *testing.T) {
	data := readCorpus(t, "trigger/acl.test")
	c, _ := parseDetected(t, "acl.test", data)
	f := c.Filter("115")
	want := bytes.Count(data, []byte("\naccess-list 115 "))
	if f == nil || len(f.Rules) != want || f.Pos.Line != 2 {
		t.Fatalf("ACL 115: %d rules (want %d) at %v", len(f.Rules), want, f.Pos)
	}
	if !f.Rules[0].Match.NotInitial {
		t.Error("established entry must be NotInitial")
	}
	expect(t, c, "115", fl{proto: 17, src: "163.208.217.121", sport: 53, dst: "1.1.1.1", dport: 1024}, policy.Permit, "180")
	expect(t, c, "115", fl{proto: 17, src: "163.208.217.128", sport: 53, dst: "1.1.1.1", dport: 1024}, policy.Deny, "1030")
	expect(t, c, "115", fl{proto: 6, src: "9.9.9.9", dst: "1.1.1.1", dport: 2049}, policy.Deny, "400")
}

func TestCorpusObjectGroups(t *testing.T) {
	c, _ := parseDetected(t, "ogn", readCorpus(t, "batfish/ios-object-group-network"))
	ind := c.Object("ogn_object_group_indirect")
	if ind == nil || !ind.Addrs.Contains(netip.MustParseAddr("2.0.0.1")) || !ind.Addrs.Contains(netip.MustParseAddr("1.200.0.1")) ||
		ind.Addrs.Contains(netip.MustParseAddr("2.0.0.2")) || len(ind.Members) != 3 {
		t.Errorf("ogn_object_group_indirect %+v", ind)
	}
	if c.Undefined[0].Name != "ogn_undef" {
		t.Errorf("undefined %+v", c.Undefined)
	}
	c2, _ := parseDetected(t, "ogs", readCorpus(t, "batfish/ios-object-group-service"))
	expect(t, c2, "acl_used", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 514}, policy.Permit, "20")
	expect(t, c2, "acl_used", fl{proto: 1, src: "1.1.1.1", dst: "2.2.2.2", typ: 13}, policy.Permit, "10")
	expect(t, c2, "acl_used", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 53}, policy.Deny, "")
	c3, _ := parseDetected(t, "ogp", readCorpus(t, "batfish/ios-object-group-protocol"))
	expect(t, c3, "acltcpudp", fl{proto: 17, src: "1.1.1.1", dst: "2.2.2.2", dport: 53}, policy.Permit, "10")
	expect(t, c3, "acltcpudp", fl{proto: 1, src: "1.1.1.1", dst: "2.2.2.2"}, policy.Deny, "")
	expect(t, c3, "aclempty", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 1}, policy.Deny, "")
	// aclundef's only entry names an undefined group: IOS refuses it, the ACL
	// stays empty and an empty ACL permits everything.
	expect(t, c3, "aclundef", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 1}, policy.Permit, "")
	c4, _ := parseDetected(t, "ogpg", readCorpus(t, "batfish/ios-acl-portgroup"))
	expect(t, c4, "aclBase", fl{proto: 6, src: "1.1.1.1", dst: "2.2.2.2", dport: 111}, policy.Permit, "10")
	expect(t, c4, "aclBase", fl{proto: 6, src: "1.1.1.1", sport: 111, dst: "2.2.2.2", dport: 5}, policy.Permit, "20")
	expect(t, c4, "aclDuplicate", fl{proto: 6, src: "1.1.1.1", dst: "172.17.111.16", dport: 111}, policy.Permit, "10")
	expect(t, c4, "aclEmpty", fl{proto: 6, src: "1.1.1.1", dst: "172.17.111.16", dport: 111}, policy.Deny, "")
}

var (
	reACL   = regexp.MustCompile(`(?m)^ip access-list `)
	reGroup = regexp.MustCompile(`(?m)^object-group `)
	reACE   = regexp.MustCompile(`(?m)^\s+\d+ (permit|deny) `)
)

func TestCorpusPybatfishExample(t *testing.T) {
	for _, rev := range []string{"current", "candidate1", "candidate2"} {
		fw := readCorpus(t, "pybatfish-example-filters/"+rev+"/firewall.cfg")
		c, v := parseDetected(t, rev+"/firewall.cfg", fw)
		acls, groups := len(reACL.FindAll(fw, -1)), len(reGroup.FindAll(fw, -1))
		if acls != 81 || groups != 89 {
			t.Fatalf("%s: grep found %d ACLs and %d groups; the corpus changed", rev, acls, groups)
		}
		// class-f5-syslog-tcp-syslog matches acl-f5-syslog-tcp-syslog, which the
		// file never defines (it defines acl-f5-z3-tcp-syslog): a real finding.
		if v.Name != "ios" || len(c.Filters) != acls || len(c.Objects) != groups || c.Device != "firewall" ||
			len(c.Undefined) != 1 || c.Undefined[0].Name != "acl-f5-syslog-tcp-syslog" {
			t.Errorf("%s firewall: %s, %d filters, %d objects, undefined %v", rev, v.Name, len(c.Filters), len(c.Objects), c.Undefined)
		}
		// every "class type inspect" line of a policy-map used by a zone-pair
		// classifies with one ACL
		classes := len(regexp.MustCompile(`(?m)^ class type inspect `).FindAll(fw, -1))
		zp := 0
		found := false
		for _, b := range c.Bindings {
			if b.Kind == "zone-pair" {
				zp++
				found = found || (b.Filter == "acl-admin-z2-tcp-syslog" && b.Target == "admin-to-z2 (zone-admin -> zone-z2)")
			}
		}
		if zp != classes || !found {
			t.Errorf("%s: %d zone-pair bindings, want %d (found admin-to-z2: %v)", rev, zp, classes, found)
		}
		for _, f := range c.Filters {
			if len(f.Rules) == 0 {
				t.Errorf("%s: ACL %s has no rules", rev, f.Name)
			}
		}
		// acl-admin-z2-tcp-syslog: tcp-syslog = tcp 514, 2020, 2021 from admin to z2
		expect(t, c, "acl-admin-z2-tcp-syslog", fl{proto: 6, src: "101.164.101.1", dst: "101.164.10.1", dport: 2021}, policy.Permit, "10")
		expect(t, c, "acl-admin-z2-tcp-syslog", fl{proto: 6, src: "101.164.101.1", dst: "101.164.10.1", dport: 2022}, policy.Deny, "")
		expect(t, c, "acl-admin-z2-tcp-syslog", fl{proto: 6, src: "101.164.99.1", dst: "101.164.10.1", dport: 2021}, policy.Deny, "")

		rtr := readCorpus(t, "pybatfish-example-filters/"+rev+"/rtr-with-acl.cfg")
		c2, _ := parseDetected(t, rev+"/rtr-with-acl.cfg", rtr)
		aces := len(reACE.FindAll(rtr, -1))
		f := c2.Filter("acl_in")
		if len(c2.Filters) != 1 || f == nil || len(f.Rules) != aces || len(c2.Bindings) != 1 || c2.Bindings[0].Target != "Ethernet1/1/1" {
			t.Fatalf("%s rtr: %d filters, rules %d want %d, bindings %+v", rev, len(c2.Filters), len(f.Rules), aces, c2.Bindings)
		}
		expect(t, c2, "acl_in", fl{proto: 6, src: "11.36.216.170", dst: "11.36.216.169", dport: 179}, policy.Permit, "80")
		expect(t, c2, "acl_in", fl{proto: 1, src: "1.1.1.1", dst: "2.2.2.2", typ: 11, code: 0}, policy.Permit, "1340")
		expect(t, c2, "acl_in", fl{proto: 1, src: "1.1.1.1", dst: "2.2.2.2", typ: 11, code: 1}, policy.Deny, "2040")
		expect(t, c2, "acl_in", fl{proto: 47, src: "1.1.1.1", dst: "2.2.2.2"}, policy.Deny, "2080")
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		file   string
		vendor string
		score  int
	}{
		{"ios-router.cfg", "ios", 100}, {"nxos-leaf.cfg", "nxos", 100}, {"eos-switch.cfg", "eos", 100},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cisco", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []vendors.Vendor{IOS, NXOS, EOS} {
			s := v.Detect(data)
			if v.Name == tc.vendor && s != tc.score || v.Name != tc.vendor && s >= tc.score {
				t.Errorf("%s: %s scores %d", tc.file, v.Name, s)
			}
		}
	}
	foreign := map[string]string{
		"asa":      "ASA Version 9.8(2)\nhostname fw\ninterface Gi0/0\n nameif outside\n security-level 0\naccess-list OUT extended permit ip any4 any4\n",
		"asa2":     "hostname fw\nobject network WEB\n host 10.0.0.1\naccess-list A extended permit tcp any object WEB eq 80\n",
		"junos":    "system {\n    host-name r1;\n}\nfirewall {\n    filter F {\n        term t { then accept; }\n    }\n}\n",
		"junosset": "set system host-name r1\nset firewall filter F term t then accept\n",
		"iptables": "# Generated by iptables-save\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
		"nft":      "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n",
		"yaml":     "devices:\n  - name: r1\n    vendor: ios\n    site: lon\n",
		"readme":   "# fwpol\n\nA firewall policy tool.\n\n```\naccess-list 10 permit any\n```\n",
		"empty":    "",
	}
	for name, src := range foreign {
		for _, v := range []vendors.Vendor{IOS, NXOS, EOS} {
			s := v.Detect([]byte(src))
			limit := 0
			if name == "asa" || name == "asa2" {
				limit = 30
			}
			if s > limit {
				t.Errorf("%s: %s scores %d", name, v.Name, s)
			}
		}
	}
	if _, err := os.Stat(corpus); err == nil {
		for _, f := range []string{"batfish/asa_acl", "batfish/asa_object_groups", "batfish/asa-filters", "batfish/juniper_firewall",
			"batfish/host1.iptables", "trigger/junos-examples.txt", "batfish/firewall-filters"} {
			data, _ := os.ReadFile(filepath.Join(corpus, f))
			if s := IOS.Detect(data); s > 30 {
				t.Errorf("%s: ios scores %d", f, s)
			}
		}
	}
}

func TestGenerateConfig(t *testing.T) {
	var a, b bytes.Buffer
	if err := GenerateConfig(&a, 2000, 7); err != nil {
		t.Fatal(err)
	}
	if err := GenerateConfig(&b, 2000, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("generator is not deterministic")
	}
	c, err := IOS.Parse("gen.cfg", a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if IOS.Detect(a.Bytes()) != 100 || len(c.Filters) != 5 || len(c.Bindings) != 6 || len(c.Undefined) != 0 {
		t.Errorf("generated IOS: %d filters, %d bindings, undefined %v", len(c.Filters), len(c.Bindings), c.Undefined)
	}
	var n bytes.Buffer
	if err := GenerateNXOSConfig(&n, 2000, 7); err != nil {
		t.Fatal(err)
	}
	c2, err := NXOS.Parse("gen.cfg", n.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rules := 0
	for _, f := range c2.Filters {
		rules += len(f.Rules)
	}
	if NXOS.Detect(n.Bytes()) != 100 || len(c2.Filters) != 5 || rules != 2000 {
		t.Errorf("generated NX-OS: %d filters %d rules", len(c2.Filters), rules)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "cisco", "*.cfg"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data, uint8(0))
		}
	}
	for _, rel := range []string{"batfish/cisco_acl", "batfish/ios-acl", "batfish/ios-object-group-service", "batfish/ios-acl-portgroup"} {
		if data, err := os.ReadFile(filepath.Join(corpus, rel)); err == nil {
			f.Add(data, uint8(2))
		}
	}
	f.Add([]byte("ip access-list extended X\n permit object-group S object-group N any\n"), uint8(0))
	f.Add([]byte("object-group service S\n tcp source range 1 2 eq 80\n icmp 3 4\n group-object S\n"), uint8(1))
	f.Add([]byte("banner motd ^C\n^C\naccess-list 1 permit 1.2.3.4 0.0.255.0\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, d uint8) {
		c, err := parse("fuzz.cfg", data, dialect(d%3))
		if err != nil {
			if _, ok := parser.AsError(err); !ok {
				t.Fatalf("error is not *parser.Error: %v", err)
			}
			return
		}
		flow := &policy.Flow{Proto: 6, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), SrcPort: 1, DstPort: 80}
		for _, fl := range c.Filters {
			c.Decide(fl, flow)
		}
	})
}
