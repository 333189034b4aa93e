package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
)

// outputFlag validates -o values.
type outputFlag struct {
	value   string
	allowed []string
}

func newOutputFlag(def string, allowed ...string) *outputFlag {
	return &outputFlag{value: def, allowed: allowed}
}

func (o *outputFlag) String() string { return o.value }
func (o *outputFlag) Type() string   { return "format" }
func (o *outputFlag) Set(v string) error {
	for _, a := range o.allowed {
		if v == a {
			o.value = v
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q (want one of %v)", v, o.allowed)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeYAML writes v with the same field names as its JSON form.
func writeYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(generic); err != nil {
		return err
	}
	return enc.Close()
}

// table writes aligned columns; headers are upper-case like kubectl's.
type table struct {
	tw *tabwriter.Writer
	// buf gathers tabwriter's many small writes (one per cell and padding)
	// into few: 20,000 rows to a terminal or pipe took a quarter second.
	buf  *bufio.Writer
	line []byte // the row being written, reused
}

func newTable(w io.Writer, headers ...any) *table {
	buf := bufio.NewWriterSize(w, 64<<10)
	t := &table{tw: tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0), buf: buf}
	t.row(headers...)
	return t
}

func (t *table) row(cells ...any) {
	line := t.line[:0]
	for i, c := range cells {
		if i > 0 {
			line = append(line, '\t')
		}
		// strings and ints (nearly every cell) without fmt's reflection
		switch v := c.(type) {
		case string:
			line = append(line, v...)
		case int:
			line = strconv.AppendInt(line, int64(v), 10)
		default:
			line = fmt.Append(line, v)
		}
	}
	t.line = append(line, '\n')
	t.tw.Write(t.line)
}

func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	return t.buf.Flush()
}
