package blocklist

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"go4.org/netipx"
)

// FeedItem is one range of a threat feed, or why its line was refused.
type FeedItem struct {
	Line  int
	Text  string
	Range netipx.IPRange
	Err   string
}

// feedColumns are CSV headers recognised as the address column.
var feedColumns = []string{"ip", "ip_address", "ipaddress", "address", "addr", "cidr", "network", "range", "prefix", "indicator", "ioc", "value", "src", "source", "dst_ip", "src_ip"}

// ParseFeed reads a threat feed: one address, CIDR or A-B range a line
// ("#" and ";" comments, blank lines and trailing comments allowed), or
// CSV with a header, the address taken from column (a header name or a
// 1-based number; "" picks the first header named like an address).
func ParseFeed(data []byte, column string) ([]FeedItem, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first := firstDataLine(data)
	if column != "" || strings.Contains(first, ",") {
		return parseCSV(data, column)
	}
	var out []FeedItem
	for i, raw := range strings.Split(string(data), "\n") {
		line := raw
		if j := strings.IndexAny(line, "#;"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		// "1.2.3.4 some text" feeds: the first field is the address
		if f := strings.Fields(line); len(f) > 1 {
			line = f[0]
		}
		out = append(out, item(i+1, line))
	}
	return out, nil
}

func item(line int, text string) FeedItem {
	r, err := ParseRange(text)
	if err != nil {
		return FeedItem{Line: line, Text: text, Err: err.Error()}
	}
	return FeedItem{Line: line, Text: text, Range: r}
}

func firstDataLine(data []byte) string {
	for _, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, ";") {
			return t
		}
	}
	return ""
}

func parseCSV(data []byte, column string) ([]FeedItem, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("feed: %v", err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	col := -1
	header := true
	if n, err := strconv.Atoi(column); err == nil && n >= 1 {
		col = n - 1
		// a header row is present when its cell is not an address
		_, perr := ParseRange(cell(recs[0], col))
		header = perr != nil
	} else {
		for i, h := range recs[0] {
			h = strings.ToLower(strings.TrimSpace(h))
			if (column != "" && h == strings.ToLower(column)) || (column == "" && oneOf(h, feedColumns) && col < 0) {
				col = i
			}
		}
		if col < 0 {
			if column != "" {
				return nil, fmt.Errorf("feed: no column %q in header %q", column, strings.Join(recs[0], ","))
			}
			// no header: the first column holding an address
			header = false
			for i, c := range recs[0] {
				if _, err := ParseRange(c); err == nil {
					col = i
					break
				}
			}
			if col < 0 {
				return nil, fmt.Errorf("feed: cannot tell which CSV column holds addresses; use --column")
			}
		}
	}
	var out []FeedItem
	for i, rec := range recs {
		if i == 0 && header {
			continue
		}
		text := strings.TrimSpace(cell(rec, col))
		if text == "" {
			continue
		}
		out = append(out, item(i+1, text))
	}
	return out, nil
}

func cell(rec []string, i int) string {
	if i < len(rec) {
		return rec[i]
	}
	return ""
}
