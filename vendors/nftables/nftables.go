// Package nftables parses nftables rulesets — `nft list ruleset` and
// `nft -a list ruleset` output as well as hand-written `nft -f` files — into
// the policy model.
//
// # Model
//
//   - Every chain becomes a policy.Filter of Kind "nft-chain", named as the
//     chain. When two tables have a chain of the same name, both are
//     qualified as "TABLE/CHAIN" (and "FAMILY/TABLE/CHAIN" if the table name
//     is shared by two families too); jump targets use the same names.
//     Filter.Meta holds table, family, chain and, for base chains, type,
//     hook, priority (numeric; priority_text keeps "filter + 10"), policy and
//     device.
//   - Base chains of type filter or route are entry filters with Default =
//     the chain policy (accept when unspecified). Base chains of type nat are
//     kept as non-entry filters (their accept is a translation verdict).
//     Regular chains are jump targets with Default = Return. Chains of arp
//     tables are parsed and kept but are never entry filters: they do not see
//     IP packets.
//   - Family: ip → IPv4, ip6 → IPv6, inet/bridge/netdev → any.
//   - Rule.Name is the "# handle N" printed by `nft -a list ruleset`, else
//     the 1-based index of the rule in its chain. Rule.Pos is the rule's
//     first token.
//   - Named sets and maps become Objects (Kind "nft-set"/"nft-map", Scope =
//     table name). Address sets carry Addrs; other sets list their elements
//     in Members. Rules referencing a set get its resolved content, the set
//     name in AddrMatch.Refs.
//
// # Semantics
//
//   - Conditions are ANDed; "!=" is compiled to the exact complement within
//     the selector's domain (for addresses: within the selector's family, as
//     nft's implicit "meta nfproto" dependency makes "ip saddr != X" never
//     match IPv6). "ip …"/"icmp …" selectors in an inet table restrict the
//     rule to IPv4 (the source is constrained to 0.0.0.0/0), "ip6 …" to IPv6.
//   - ct state: the first packet of a connection is "new"; a ct state
//     condition that excludes new sets Match.NotInitial. tcp flags conditions
//     are evaluated against a SYN; false → NotInitial.
//   - iifname/oifname behave like iptables -i/-o: a flow naming no
//     interface matches only rules without an interface condition. A
//     trailing "*" wildcard is the model's "+". An interface set expands into
//     one rule per member.
//   - Verdict maps ("vmap", anonymous or named) expand into one rule per
//     element, sharing Name and Pos, most specific element first; a key in
//     no element does not match (nft: lookup miss, next rule).
//   - A rule without verdict is non-terminating (Next). counter, log, limit,
//     quota, comment, notrack and "... set ..." statements do not affect
//     matching (limit/quota are rate state: treated as always true).
//   - Unknown matching expressions (fib, meta mark, ct status, concatenations,
//     ...) are kept verbatim in Extras.Vendor["statements"], warned about and
//     make the rule never match: the model must never widen a rule.
//   - Errors, as nft refuses them: unbalanced braces, undefined set or map,
//     bad prefixes and addresses, unknown ports, jumps to undefined or base
//     chains, and jump/goto loops. Because nft refuses undefined references
//     outright, Config.Undefined stays empty; sets the model cannot evaluate
//     (concatenations, ether_addr, marks) are kept as Objects with
//     Unresolved set, and rules using them list the name in
//     Match.Unresolved and match nothing.
//   - define/$variables, include "file" (relative to the including file's
//     directory — nft itself searches its -I include path; globs allowed) and
//     flush ruleset/table/chain/set work as in nft -f. "add/insert rule ...
//     handle|position N" is placed at the chain end/start with a warning.
//   - Tables with "flags dormant" are parsed, but their base chains are not
//     entry filters (the kernel does not run them); Meta["dormant"] says so.
//   - queue, dup, fwd, tproxy, synproxy, set updates ("update @s {...}") and
//     "... set ..." statements are kept verbatim with a warning and treated
//     as non-matching, non-terminating statements.
//
// # Several base chains on one hook
//
// Search reports each base chain separately as its own entry filter. The
// kernel runs all base chains registered on one hook in ascending priority
// order (ties: declaration order here; the kernel's order for equal
// priorities is registration order): a drop or reject is final; an accept
// only ends that chain and the packet proceeds to the next base chain; the
// packet is accepted when every chain accepted. CombinedVerdict implements
// this for one hook.
package nftables

import (
	"bytes"

	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// Vendor is the nftables syntax family.
var Vendor = vendors.Vendor{Name: "nftables", Detect: Detect, Parse: Parse, Render: Render,
	RenderBlock: RenderBlock}

// Parse parses one nftables ruleset file. Included files are read relative
// to file's directory.
func Parse(file string, data []byte) (*policy.Config, error) {
	cfg := &policy.Config{File: file, Vendor: "nftables", Format: "ruleset"}
	p := &nparser{
		lex:     []*lexer{newLexer(file, data)},
		defines: map[string][]tok{},
		byKey:   map[string]*table{},
		cfg:     cfg,
	}
	if err := p.parseTop(); err != nil {
		return nil, err
	}
	if bytes.Contains(data, []byte("# handle ")) {
		cfg.Format = "ruleset-handles"
	}
	b := &builder{cfg: cfg, tables: p.tables, filters: map[*chain]*policy.Filter{}, edges: map[*chain][]edge{}}
	if err := b.build(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Detect scores data as nftables: 100 for a shebang naming nft or a first
// statement that is "table FAMILY NAME {", "flush ruleset" or an nft
// "add table"; 80 when the first statement is a define/include followed by
// table syntax; else 0.
func Detect(data []byte) int {
	if len(data) > 64<<10 {
		data = data[:64<<10]
	}
	first := true
	sawDefine := false
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSpace(line)
		if first && bytes.HasPrefix(line, []byte("#!")) {
			if bytes.Contains(line, []byte("nft")) {
				return 100
			}
			return 0
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		first = false
		f := bytes.Fields(line)
		switch string(f[0]) {
		case "table":
			if isTableHead(f[1:]) {
				if sawDefine {
					return 80
				}
				return 100
			}
			return 0
		case "add", "create":
			if len(f) >= 3 && string(f[1]) == "table" && isTableHead(append(f[2:], []byte("{"))) {
				if sawDefine {
					return 80
				}
				return 100
			}
			return 0
		case "flush":
			if len(f) >= 2 && string(f[1]) == "ruleset" {
				return 100
			}
			return 0
		case "define", "include":
			if len(f) >= 2 && (string(f[0]) == "include" && f[1][0] == '"' || len(f) >= 3 && string(f[2]) == "=") {
				sawDefine = true
				continue
			}
			return 0
		default:
			return 0
		}
	}
	return 0
}

// isTableHead checks "[family] name {".
func isTableHead(f [][]byte) bool {
	if len(f) >= 3 && families[string(f[0])] && bytes.HasPrefix(f[2], []byte("{")) {
		return true
	}
	if len(f) >= 2 && !families[string(f[0])] && bytes.HasPrefix(f[1], []byte("{")) {
		return true
	}
	if len(f) >= 2 && families[string(f[0])] && bytes.HasSuffix(f[1], []byte("{")) && len(f[1]) > 1 {
		return true
	}
	return false
}
