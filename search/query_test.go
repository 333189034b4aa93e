package search

import (
	"strings"
	"testing"
)

func TestParseFlowExpr(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"tcp 10.1.2.3 -> 203.0.113.5:443", "tcp 10.1.2.3:49152 -> 203.0.113.5:443"},
		{"udp 10.1.2.3:5353 -> 8.8.8.8:domain", "udp 10.1.2.3:5353 -> 8.8.8.8:53"},
		{"10.1.2.3 -> 192.0.2.1:https", "tcp 10.1.2.3:49152 -> 192.0.2.1:443"},
		{"icmp echo-reply 10.1.2.3 -> 10.9.9.9", "icmp 10.1.2.3 -> 10.9.9.9 type 0 code 0"},
		{"icmp 3 3 10.1.2.3 -> 10.9.9.9", "icmp 10.1.2.3 -> 10.9.9.9 type 3 code 3"},
		{"icmp 2001:db8::1 -> 2001:db8::2", "icmp6 2001:db8::1 -> 2001:db8::2 type 128 code 0"},
		{"tcp [2001:db8::1]:40000 -> [2001:db8::2]:22", "tcp [2001:db8::1]:40000 -> [2001:db8::2]:22"},
		{"gre 10.0.0.1 to 10.0.0.2", "gre 10.0.0.1 -> 10.0.0.2"},
		{"50 10.0.0.1 -> 10.0.0.2", "esp 10.0.0.1 -> 10.0.0.2"},
	}
	for _, tc := range cases {
		spec, err := ParseFlowExpr(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		fl, err := spec.Build()
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := FormatFlow(fl); got != tc.want {
			t.Errorf("%s: got %q want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseFlowExprErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"tcp 10.1.2.3 -> ", "column"},
		{"tcp 10.1.2.3 203.0.113.5:443", "column 14"},
		{"tcp echo 10.1.2.3 -> 10.0.0.1:80", "only icmp takes a type"},
	}
	for _, tc := range cases {
		_, err := ParseFlowExpr(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want error containing %q", tc.in, err, tc.want)
		}
	}
	// semantic errors surface from Build
	for _, in := range []string{"tcp 10.1.2.3 -> 203.0.113.5", "tcp 10.1.2.3 -> 2001:db8::1", "tcp 10.1.2.300 -> 10.0.0.1:80"} {
		spec, err := ParseFlowExpr(in)
		if err == nil {
			_, err = spec.Build()
		}
		if err == nil {
			t.Errorf("%q: expected an error", in)
		}
	}
	if !LooksLikeFlowExpr("tcp 1.2.3.4 -> 5.6.7.8:80") || LooksLikeFlowExpr("testdata/junos") {
		t.Fatal("LooksLikeFlowExpr")
	}
}
