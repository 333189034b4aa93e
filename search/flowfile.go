package search

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/fwpol/fwpol/parser"
	"github.com/fwpol/fwpol/policy"
)

// NamedFlow is a flow from a flow file, with its label and source line.
type NamedFlow struct {
	Label string       `json:"label,omitempty"`
	Line  int          `json:"line"`
	Flow  *policy.Flow `json:"-"`
	Text  string       `json:"flow"`
}

// flowColumns are the CSV header names a flow file may use.
var flowColumns = map[string]func(*FlowSpec, *string, string){
	"proto":     func(s *FlowSpec, _ *string, v string) { s.Proto = v },
	"protocol":  func(s *FlowSpec, _ *string, v string) { s.Proto = v },
	"src":       func(s *FlowSpec, _ *string, v string) { s.Src = v },
	"source":    func(s *FlowSpec, _ *string, v string) { s.Src = v },
	"dst":       func(s *FlowSpec, _ *string, v string) { s.Dst = v },
	"dest":      func(s *FlowSpec, _ *string, v string) { s.Dst = v },
	"sport":     func(s *FlowSpec, _ *string, v string) { s.SrcPort = v },
	"dport":     func(s *FlowSpec, _ *string, v string) { s.DstPort = v },
	"port":      func(s *FlowSpec, _ *string, v string) { s.DstPort = v },
	"icmp_type": func(s *FlowSpec, _ *string, v string) { s.ICMPType = v },
	"icmp_code": func(s *FlowSpec, _ *string, v string) { s.ICMPCode = v },
	"label":     func(_ *FlowSpec, l *string, v string) { *l = v },
	"name":      func(_ *FlowSpec, l *string, v string) { *l = v },
	"comment":   func(_ *FlowSpec, l *string, v string) { *l = v },
}

// ReadFlows reads a responder's flow list. Each line is either a flow
// expression ("tcp 10.1.2.3 -> 203.0.113.5:443", optionally followed by
// ", label") or a CSV row under a header naming columns among proto, src,
// dst, sport, dport, icmp_type, icmp_code, label. '#' starts a comment line.
func ReadFlows(file string, r io.Reader) ([]NamedFlow, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out []NamedFlow
	var header []string
	var ferr error
	parser.Lines(data, func(l parser.Line) bool {
		text := strings.TrimSpace(string(l.Text))
		if text == "" || strings.HasPrefix(text, "#") {
			return true
		}
		pos := policy.Pos{File: file, Line: l.Num, Col: 1}
		var spec FlowSpec
		var label string
		switch {
		case LooksLikeFlowExpr(text):
			expr, rest, _ := strings.Cut(text, ",")
			if spec, err = ParseFlowExpr(strings.TrimSpace(expr)); err != nil {
				ferr = parser.Errorf(pos, "%v", err)
				return false
			}
			label = strings.TrimSpace(rest)
		case header == nil:
			cols, err := csv.NewReader(bytes.NewReader(l.Text)).Read()
			if err != nil {
				ferr = parser.Errorf(pos, "bad CSV header: %v", err)
				return false
			}
			for _, c := range cols {
				c = strings.ToLower(strings.TrimSpace(c))
				if _, ok := flowColumns[c]; !ok {
					ferr = parser.Errorf(pos, "unknown column %q: the first row must be a header naming proto, src, dst, sport, dport, icmp_type, icmp_code, label (or each line a flow expression)", c)
					return false
				}
				header = append(header, c)
			}
			return true
		default:
			cols, err := csv.NewReader(bytes.NewReader(l.Text)).Read()
			if err != nil {
				ferr = parser.Errorf(pos, "bad CSV row: %v", err)
				return false
			}
			if len(cols) != len(header) {
				ferr = parser.Errorf(pos, "row has %d columns, header has %d", len(cols), len(header))
				return false
			}
			for i, v := range cols {
				flowColumns[header[i]](&spec, &label, strings.TrimSpace(v))
			}
		}
		fl, err := spec.Build()
		if err != nil {
			ferr = parser.Errorf(pos, "%v", err)
			return false
		}
		out = append(out, NamedFlow{Label: label, Line: l.Num, Flow: fl, Text: FormatFlow(fl)})
		return true
	})
	if ferr != nil {
		return nil, ferr
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no flows", file)
	}
	return out, nil
}
