package nftables

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
	"go4.org/netipx"
)

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// keyKind is the data type of a selector, a set key or a vmap key.
type keyKind uint8

const (
	kNone keyKind = iota
	kAddr4
	kAddr6
	kPort
	kProto
	kIcmp
	kIcmp6
	kIcmpCode
	kCtState
	kIface
	kNfproto
)

func kindOfType(t string) keyKind {
	switch t {
	case "ipv4_addr":
		return kAddr4
	case "ipv6_addr":
		return kAddr6
	case "inet_service":
		return kPort
	case "inet_proto":
		return kProto
	case "icmp_type":
		return kIcmp
	case "icmpv6_type":
		return kIcmp6
	case "ct_state":
		return kCtState
	case "ifname":
		return kIface
	}
	return kNone
}

func (k keyKind) String() string {
	return [...]string{"unsupported", "ipv4_addr", "ipv6_addr", "inet_service", "inet_proto", "icmp_type", "icmpv6_type", "icmp_code", "ct_state", "ifname", "nf_proto"}[k]
}

// elemVal is one typed element (for maps, with its verdict).
type elemVal struct {
	at      tok
	ips     ipRanges
	rng     policy.Ranges
	str     string
	verdict policy.Action
	target  tok
	isVerd  bool
	spec    uint64 // size of the element's key space: smaller = more specific
}

// setValue is a resolved anonymous or named set.
type setValue struct {
	kind  keyKind
	ips   ipRanges
	rng   policy.Ranges
	strs  []string
	elems []elemVal
	name  string // "@name" for named sets
}

// splitElems splits raw tokens on top-level commas.
func splitElems(ts []tok) [][]tok {
	var out [][]tok
	start := 0
	for i, t := range ts {
		if t.kind == tComma {
			if i > start {
				out = append(out, ts[start:i])
			}
			start = i + 1
		}
	}
	if start < len(ts) {
		out = append(out, ts[start:])
	}
	return out
}

// parseElems types raw element tokens. With isMap each element is
// "key : verdict [target]".
func parseElems(ts []tok, k keyKind, isMap bool) (*setValue, error) {
	sv := &setValue{kind: k}
	if len(ts) == 1 && !isMap {
		// fast path: one plain value
		ev := elemVal{at: ts[0]}
		if err := typedValue(ts[0], k, &ev); err != nil {
			return nil, err
		}
		// sv.elems stays nil: only vmaps and multi-member sets use it
		sv.ips, sv.rng = ev.ips, ev.rng
		if ev.str != "" {
			sv.strs = []string{ev.str}
		}
		return sv, nil
	}
	var all ipRanges
	var rs []policy.Range
	for _, e := range splitElems(ts) {
		key := e[0]
		rest := e[1:]
		if isMap {
			// "key : verdict", "key: verdict" or "key :verdict"
			if key.kind == tWord && strings.HasSuffix(key.text, ":") && len(key.text) > 1 && !strings.HasSuffix(key.text, "::") {
				key.text = key.text[:len(key.text)-1]
			} else {
				// skip element annotations (timeout 1h expires 59m, counter
				// packets 0 bytes 0, comment "x") up to the ':'
				j := 0
				for j < len(rest) && !(rest[j].is(":") || (rest[j].kind == tWord && strings.HasPrefix(rest[j].text, ":"))) {
					j++
				}
				if j == len(rest) {
					return nil, parser.Errorf(key.pos(), "map element %s: expected ':'", key.describe())
				}
				rest = rest[j:]
				if rest[0].text != ":" {
					rest = append([]tok{rest[0]}, rest[1:]...)
					rest[0].text = rest[0].text[1:]
				} else {
					rest = rest[1:]
				}
			}
		}
		if key.kind == tSemi || key.kind == tLBrace || key.kind == tRBrace {
			return nil, parser.Errorf(key.pos(), "unexpected %s in set elements", key.describe())
		}
		ev := elemVal{at: key}
		if err := typedValue(key, k, &ev); err != nil {
			return nil, err
		}
		if isMap {
			if len(rest) == 0 {
				return nil, parser.Errorf(key.pos(), "map element %s has no value", key.text)
			}
			a, ok := verdictAction(rest[0].text)
			if !ok {
				return nil, parser.Errorf(rest[0].pos(), "unknown verdict %s", rest[0].describe())
			}
			ev.verdict, ev.isVerd = a, true
			if a == policy.Jump || a == policy.Goto {
				if len(rest) < 2 || (rest[1].kind != tWord && rest[1].kind != tString) {
					return nil, parser.Errorf(rest[0].pos(), "%s needs a chain name", rest[0].text)
				}
				ev.target = rest[1]
			}
		}
		all = append(all, ev.ips...)
		rs = append(rs, ev.rng...)
		if ev.str != "" {
			sv.strs = append(sv.strs, ev.str)
		}
		sv.elems = append(sv.elems, ev)
	}
	if k == kAddr4 || k == kAddr6 {
		sv.ips = normRanges(all)
	}
	sv.rng = policy.NewRanges(rs...)
	return sv, nil
}

func verdictAction(w string) (policy.Action, bool) {
	switch w {
	case "accept":
		return policy.Permit, true
	case "drop":
		return policy.Deny, true
	case "jump":
		return policy.Jump, true
	case "goto":
		return policy.Goto, true
	case "return":
		return policy.Return, true
	case "continue":
		return policy.Next, true
	}
	return 0, false
}

// typedValue parses one element of kind k.
func typedValue(t tok, k keyKind, ev *elemVal) error {
	s := t.text
	if t.kind != tWord && t.kind != tString {
		return parser.Errorf(t.pos(), "expected a value, found %s", t.describe())
	}
	switch k {
	case kAddr4, kAddr6:
		want4 := k == kAddr4
		check := func(a netip.Addr) error {
			if a.Is4() != want4 || a.Zone() != "" {
				return parser.Errorf(t.pos(), "%q is not an %s", s, k)
			}
			return nil
		}
		var r netipx.IPRange
		switch {
		case strings.Contains(s, "/"):
			pf, err := netip.ParsePrefix(s)
			if err != nil {
				return parser.Errorf(t.pos(), "bad prefix %q", s)
			}
			if err := check(pf.Addr()); err != nil {
				return err
			}
			r = netipx.RangeOfPrefix(pf.Masked())
			ev.spec = 1 << uint(min(63, pf.Addr().BitLen()-pf.Bits()))
		case strings.Contains(s, "-"):
			i := strings.IndexByte(s, '-')
			lo, err1 := netip.ParseAddr(s[:i])
			hi, err2 := netip.ParseAddr(s[i+1:])
			if err1 != nil || err2 != nil {
				return parser.Errorf(t.pos(), "bad address range %q", s)
			}
			if err := check(lo); err != nil {
				return err
			}
			if err := check(hi); err != nil {
				return err
			}
			r = netipx.IPRangeFrom(lo, hi)
			if !r.IsValid() {
				return parser.Errorf(t.pos(), "bad address range %q (low > high)", s)
			}
			ev.spec = 1 << 62
			if pf, ok := r.Prefix(); ok {
				ev.spec = 1 << uint(min(63, pf.Addr().BitLen()-pf.Bits()))
			}
		default:
			a, err := netip.ParseAddr(s)
			if err != nil {
				return parser.Errorf(t.pos(), "bad address %q", s)
			}
			if err := check(a); err != nil {
				return err
			}
			r = netipx.IPRangeFrom(a, a)
			ev.spec = 1
		}
		ev.ips = ipRanges{r}
		return nil
	case kPort, kProto, kIcmp, kIcmp6, kIcmpCode:
		lo, hi := s, s
		if _, err := number(s, k); err != nil && t.kind == tWord {
			if i := strings.IndexByte(s, '-'); i > 0 {
				lo, hi = s[:i], s[i+1:]
			}
		}
		a, err := number(lo, k)
		if err != nil {
			return parser.Errorf(t.pos(), "%v", err)
		}
		b := a
		if hi != lo {
			if b, err = number(hi, k); err != nil {
				return parser.Errorf(t.pos(), "%v", err)
			}
			if b < a {
				return parser.Errorf(t.pos(), "bad range %q (low > high)", s)
			}
		}
		ev.rng = policy.Ranges{{Lo: a, Hi: b}}
		ev.spec = uint64(b-a) + 1
		return nil
	case kCtState:
		switch s {
		case "new", "established", "related", "invalid", "untracked":
		default:
			return parser.Errorf(t.pos(), "unknown ct state %q", s)
		}
		ev.str, ev.spec = s, 1
		return nil
	case kIface:
		if s == "" {
			return parser.Errorf(t.pos(), "empty interface name")
		}
		ev.str, ev.spec = s, 1
		if strings.HasSuffix(s, "*") {
			ev.spec = 1 << 20
		}
		return nil
	case kNfproto:
		switch s {
		case "ipv4", "ipv6":
		default:
			return parser.Errorf(t.pos(), "unknown nfproto %q", s)
		}
		ev.str, ev.spec = s, 1
		return nil
	}
	return parser.Errorf(t.pos(), "unsupported value type")
}

// nftServices are the /etc/services names nft accepts for ports, beyond
// policy.Port's shared table.
var nftServices = map[string]uint16{
	"domain": 53, "bootps": 67, "bootpc": 68, "http": 80, "https": 443, "ssh": 22,
	"submission": 587, "imaps": 993, "pop3s": 995, "ntp": 123, "snmp": 161,
	"microsoft-ds": 445, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139,
	"isakmp": 500, "ipsec-nat-t": 4500, "openvpn": 1194, "sip": 5060, "smtps": 465,
	"rsync": 873, "ftps": 990, "mdns": 5353, "ldap": 389, "kerberos": 88, "auth": 113,
	"nntp": 119, "whois": 43, "finger": 79, "irc": 194, "xmpp-client": 5222,
	"xmpp-server": 5269, "zabbix-agent": 10050, "zabbix-trapper": 10051, "git": 9418,
	"postgresql": 5432, "mysql": 3306, "ms-sql-s": 1433, "radius": 1812,
	"radius-acct": 1813, "l2tp": 1701, "pptp": 1723, "iso-tsap": 102, "tftp": 69,
	"x11": 6000, "webcache": 8080, "http-alt": 8080, "domain-s": 853, "nfs": 2049,
	"sunrpc": 111, "gopher": 70, "telnet": 23, "smtp": 25, "ftp": 21, "ftp-data": 20,
	"time": 37, "echo": 7, "discard": 9, "daytime": 13, "bgp": 179, "syslog": 514,
	"printer": 515, "ipp": 631, "ldaps": 636, "imap2": 143, "imap": 143, "pop3": 110,
	"snmp-trap": 162, "snmptrap": 162, "ms-wbt-server": 3389, "rdp": 3389,
}

var nftIcmp = map[string]uint16{
	"address-mask-request": 17, "address-mask-reply": 18, "router-advertisement": 9,
	"router-solicitation": 10,
}

var nftIcmp6 = map[string]uint16{
	"nd-router-solicit": 133, "nd-router-advert": 134, "nd-neighbor-solicit": 135,
	"nd-neighbor-advert": 136, "nd-redirect": 137, "router-renumbering": 138,
	"ind-neighbor-solicit": 141, "ind-neighbor-advert": 142, "mld2-listener-report": 143,
	"mld-listener-reduction": 132,
}

var nftProtos = map[string]uint16{"icmpv6": 58, "ipv6-icmp": 58, "udplite": 136, "ipcomp": 108, "comp": 108}

var nftIcmpCodes = map[string]uint16{
	"net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2, "port-unreachable": 3,
	"frag-needed": 4, "net-prohibited": 9, "host-prohibited": 10, "admin-prohibited": 13,
	"no-route": 0, "addr-unreachable": 3, "policy-fail": 5, "reject-route": 6,
}

func number(s string, k keyKind) (uint16, error) {
	if n, ok := decimal(s); ok && (k == kPort || n <= 255) {
		return n, nil
	}
	switch k {
	case kPort:
		if n, ok := nftServices[s]; ok {
			return n, nil
		}
		if n, err := strconv.ParseUint(s, 0, 16); err == nil {
			return uint16(n), nil
		}
		if n, err := policy.Port(s); err == nil {
			return n, nil
		}
		return 0, errf("unknown port %q", s)
	case kProto:
		if n, ok := nftProtos[s]; ok {
			return n, nil
		}
		if n, err := strconv.ParseUint(s, 0, 8); err == nil {
			return uint16(n), nil
		}
		if n, err := policy.ProtoNumber(s); err == nil {
			return uint16(n), nil
		}
		return 0, errf("unknown protocol %q", s)
	case kIcmp, kIcmp6:
		m := nftIcmp
		if k == kIcmp6 {
			m = nftIcmp6
		}
		if n, ok := m[s]; ok {
			return n, nil
		}
		if n, err := strconv.ParseUint(s, 0, 8); err == nil {
			return uint16(n), nil
		}
		if n, err := policy.ICMPType(s, k == kIcmp6); err == nil {
			return uint16(n), nil
		}
		return 0, errf("unknown %s %q", k, s)
	case kIcmpCode:
		if n, ok := nftIcmpCodes[s]; ok {
			return n, nil
		}
		if n, err := strconv.ParseUint(s, 0, 8); err == nil {
			return uint16(n), nil
		}
		return 0, errf("unknown icmp code %q", s)
	}
	return 0, errf("not a number: %q", s)
}

func maxOf(k keyKind) uint16 {
	if k == kPort {
		return policy.MaxPort
	}
	return 255
}

// sortBySpecificity orders vmap elements most specific first (stable), so
// that expanding a map into ordered rules keeps longest-match semantics even
// if elements overlapped (nft refuses overlapping intervals, so for valid
// rulesets the order is immaterial).
func sortBySpecificity(es []elemVal) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].spec < es[j].spec })
}

// decimal parses a plain decimal up to 65535 without allocating.
func decimal(s string) (uint16, bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, false
	}
	return uint16(n), true
}
