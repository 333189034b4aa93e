package search

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The flow expression language, for people at a shell:
//
//	tcp 10.1.2.3 -> 203.0.113.5:443
//	udp 10.1.2.3:5353 -> 224.0.0.251:mdns
//	icmp echo-request 10.1.2.3 -> 10.9.9.9
//	tcp [2001:db8::1]:40000 -> [2001:db8::2]:22
//	10.1.2.3 -> 192.0.2.1:https            (protocol defaults to tcp)
//
// Bare IPv6 addresses take no port; bracket them to add one.
type flowExpr struct {
	Proto string    `parser:"@(Ident|Number)?"`
	ICMP  []string  `parser:"@(Ident|Number)*"`
	Src   *endpoint `parser:"@@"`
	Arrow string    `parser:"@(Arrow|'to')"`
	Dst   *endpoint `parser:"@@"`
}

type endpoint struct {
	V4   string `parser:"( @IPv4"`
	V6   string `parser:"| '[' @IPv6 ']' | @IPv6 )"`
	Port string `parser:"( ':' @(Number|Ident) )?"`
}

var flowLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Arrow", Pattern: `->|=>`},
	{Name: "IPv4", Pattern: `\d+\.\d+\.\d+\.\d+`},
	{Name: "IPv6", Pattern: `(?:[0-9a-fA-F]{0,4}:){2,}[0-9a-fA-F.:]*`},
	{Name: "Ident", Pattern: `[a-zA-Z][a-zA-Z0-9_-]*`},
	{Name: "Number", Pattern: `\d+`},
	{Name: "Punct", Pattern: `[\[\]:]`},
	{Name: "Space", Pattern: `\s+`},
})

var flowParser = participle.MustBuild[flowExpr](
	participle.Lexer(flowLexer),
	participle.Elide("Space"),
	participle.UseLookahead(4),
)

// ParseFlowExpr turns a flow expression into a FlowSpec. Errors name the
// column of the offending token.
func ParseFlowExpr(s string) (FlowSpec, error) {
	e, err := flowParser.ParseString("", s)
	if err != nil {
		return FlowSpec{}, fmt.Errorf("flow %q: %s (expected e.g. 'tcp 10.1.2.3 -> 203.0.113.5:443')", s, stripPos(err))
	}
	spec := FlowSpec{Proto: e.Proto, Src: e.Src.addr(), Dst: e.Dst.addr(), SrcPort: e.Src.Port, DstPort: e.Dst.Port}
	// A protocol-less expression may have parsed "icmp" words as the
	// protocol; a lone ICMP type without protocol is a user error.
	switch len(e.ICMP) {
	case 0:
	case 1, 2:
		spec.ICMPType = e.ICMP[0]
		if len(e.ICMP) == 2 {
			spec.ICMPCode = e.ICMP[1]
		}
		if p := strings.ToLower(e.Proto); p != "icmp" && p != "icmp6" && p != "icmpv6" && p != "1" && p != "58" {
			return FlowSpec{}, fmt.Errorf("flow %q: %q after protocol %s: only icmp takes a type", s, e.ICMP[0], e.Proto)
		}
	default:
		return FlowSpec{}, fmt.Errorf("flow %q: too many words before the source address: %s", s, strings.Join(e.ICMP, " "))
	}
	return spec, nil
}

func (e *endpoint) addr() string {
	if e.V4 != "" {
		return e.V4
	}
	return e.V6
}

// stripPos rewrites participle's "1:12: msg" as "column 12: msg".
func stripPos(err error) string {
	var perr participle.Error
	if pe, ok := err.(participle.Error); ok {
		perr = pe
		return fmt.Sprintf("column %d: %s", perr.Position().Column, perr.Message())
	}
	return err.Error()
}

// LooksLikeFlowExpr tells a flow expression from a path on the command line.
func LooksLikeFlowExpr(s string) bool {
	return strings.Contains(s, "->") || strings.Contains(s, "=>") || strings.Contains(s, " to ")
}
