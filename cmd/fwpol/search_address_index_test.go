package main

import (
	"path/filepath"
	"testing"
)

// search address answers the same whether it parses (no cache, cold
// cache) or decodes the cache's address index (warm), in every output
// format and relation.
func TestSearchAddressWarmEqualsCold(t *testing.T) {
	isolateCache(t)
	dir := filepath.Join(t.TempDir(), "est")
	if _, errOut, code := fwpol(t, "dev", "gen-estate", dir); code != 0 {
		t.Fatalf("gen-estate: %s", errOut)
	}
	for _, q := range []string{"10.1.255.0/24", "10.2.0.0/16", "0.0.0.0/0", "10.1.16.1", "2001:db8:1::/48", "192.0.2.7"} {
		for _, flags := range [][]string{nil, {"--contains"}, {"--exact"}, {"--within"}, {"-o", "json"}, {"--include-any", "-o", "json"}} {
			args := append([]string{"search", "address", q, "--inventory", dir}, flags...)
			want, errOut, code := fwpol(t, append(args, "--no-cache")...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errOut)
			}
			for _, run := range []string{"cold", "warm"} {
				got, errOut, code := fwpol(t, args...)
				if code != 0 || got != want {
					t.Fatalf("%v (%s cache): exit %d %s\ngot:\n%s\nwant:\n%s", args, run, code, errOut, got, want)
				}
			}
		}
	}
}
