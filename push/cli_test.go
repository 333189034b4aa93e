package push

import (
	"strings"
	"testing"
)

func TestDevicePrompt(t *testing.T) {
	for _, tc := range []struct {
		banner string
		yes    []string
		no     []string
	}{
		{"Welcome\nfwpol@edge1> ", []string{"x\nfwpol@edge1> ", "\n[edit]\nfwpol@edge1# "}, []string{"set snmp description up>", "x\nfwpol@edge2> ", "fwpol@edge1> more"}},
		{"r1#", []string{"\nr1#", "\nr1(config)#", "\nr1(config-ext-nacl)#"}, []string{"\n remark see #", "\nr2#", "\nr1(config"}},
		{"asa# ", []string{"\nasa(config)# ", "\nasa# "}, []string{"\nasa> x"}},
	} {
		re := devicePrompt(tc.banner)
		for _, s := range tc.yes {
			if !re.MatchString(s) {
				t.Errorf("%q: prompt %q not recognised", tc.banner, s)
			}
		}
		for _, s := range tc.no {
			if re.MatchString(s) {
				t.Errorf("%q: %q taken for a prompt", tc.banner, s)
			}
		}
	}
}

func TestInverseCommands(t *testing.T) {
	pre := "hostname r1\nobject-group network OLD\n 10.0.0.0 255.0.0.0\nip access-list extended EDGE\n 5 deny ip host 192.0.2.1 any\n 10 permit ip any any\naccess-list 101 permit ip any any\n"
	cmds := []string{
		"object-group network FWPOL-BLOCK", " host 100.64.0.1",
		"ip access-list extended EDGE", " no 5", " 4 deny ip object-group FWPOL-BLOCK any",
		"ip access-list extended 101", " 9 deny ip object-group FWPOL-BLOCK any",
		"no object-group network OLD",
	}
	got := strings.Join(Inverse("ios", pre, cmds), "\n")
	want := strings.Join([]string{
		// undo additions, newest first; the new group's entries go with it
		"ip access-list extended 101", " no 9",
		"ip access-list extended EDGE", " no 4",
		// restore removed objects, then removed entries
		"object-group network OLD", " 10.0.0.0 255.0.0.0",
		"ip access-list extended EDGE", " 5 deny ip host 192.0.2.1 any",
		// the numbered list 101 is never deleted; the new group is
		"no object-group network FWPOL-BLOCK",
	}, "\n")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	asaPre := "access-list IN extended permit tcp any any eq 22\naccess-list IN extended deny ip any any\n"
	asa := Inverse("asa", asaPre, []string{"access-list IN line 1 extended deny ip object-group FWPOL-BLOCK any", "no access-list IN extended deny ip any any"})
	if strings.Join(asa, "\n") != "no access-list IN extended deny ip object-group FWPOL-BLOCK any\naccess-list IN line 2 extended deny ip any any" {
		t.Fatalf("asa: %q", asa)
	}
}

func FuzzInverse(f *testing.F) {
	f.Add("ip access-list extended X\n 5 deny ip any any\n", "ip access-list extended X\n no 5\n 4 deny ip host 1.2.3.4 any\nno access-list\n \naccess-list X line 1 extended deny ip any any")
	f.Fuzz(func(t *testing.T, pre, cmds string) {
		Inverse("ios", pre, strings.Split(cmds, "\n"))
		Inverse("asa", pre, strings.Split(cmds, "\n"))
	})
}
