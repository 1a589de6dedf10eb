// Package output renders results as a table (text/tabwriter), indented JSON or YAML.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"example.com/gopher-template/cli/internal/api"
	"example.com/gopher-template/cli/internal/config"
)

// Format is an output format.
type Format string

// Formats.
const (
	Table Format = config.OutputTable
	JSON  Format = config.OutputJSON
	YAML  Format = config.OutputYAML
)

// ParseFormat checks s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Table, JSON, YAML:
		return f, nil
	}
	return "", fmt.Errorf("invalid output format %q: want table, json or yaml", s)
}

// Printer writes results to w in one format. With quiet set, link results are printed as
// their codes only, one per line, whatever the format. Text in tables and quiet output goes
// through EscapeControls, so that a server cannot drive the user's terminal.
type Printer struct {
	w      io.Writer
	format Format
	quiet  bool
}

// New returns a Printer.
func New(w io.Writer, format Format, quiet bool) *Printer {
	return &Printer{w: w, format: format, quiet: quiet}
}

// Format returns the printer's format.
func (p *Printer) Format() Format { return p.format }

func linkHeader() []string { return []string{"CODE", "URL", "SHORT URL", "CREATED", "EXPIRES", "HITS"} }

// Link prints one link.
func (p *Printer) Link(l api.Link) error {
	if p.quiet {
		return p.codes([]api.Link{l})
	}
	if p.format == Table {
		return p.table(linkHeader(), [][]string{linkRow(l)})
	}
	return p.structured(l)
}

// Links prints a list of links; next is the cursor that resumes the listing ("" when done).
// In table format the cursor is not printed here: the caller tells the user on stderr.
func (p *Printer) Links(links []api.Link, next string) error {
	if p.quiet {
		return p.codes(links)
	}
	if p.format == Table {
		rows := make([][]string, 0, len(links))
		for _, l := range links {
			rows = append(rows, linkRow(l))
		}
		return p.table(linkHeader(), rows)
	}
	if links == nil {
		links = []api.Link{}
	}
	return p.structured(api.Page{Links: links, NextCursor: next})
}

// Deleted prints the outcome of a delete.
func (p *Printer) Deleted(code string) error {
	if p.quiet {
		_, err := fmt.Fprintln(p.w, EscapeControls(code))
		return wrap(err)
	}
	if p.format == Table {
		_, err := fmt.Fprintf(p.w, "Deleted %s\n", EscapeControls(code))
		return wrap(err)
	}
	return p.structured(struct {
		Code    string `json:"code"    yaml:"code"`
		Deleted bool   `json:"deleted" yaml:"deleted"`
	}{code, true})
}

// Setting is one configuration value as displayed; secrets must be masked by the caller.
type Setting struct {
	Value  string `json:"value"  yaml:"value"`
	Source string `json:"source" yaml:"source"`
}

// Settings prints configuration values, in the order of keys.
func (p *Printer) Settings(keys []string, values map[string]Setting) error {
	if p.format == Table {
		rows := make([][]string, 0, len(keys))
		for _, k := range keys {
			v := values[k]
			rows = append(rows, []string{k, orDash(v.Value), v.Source})
		}
		return p.table([]string{"KEY", "VALUE", "SOURCE"}, rows)
	}
	return p.structured(values) // maps are encoded with sorted keys
}

func (p *Printer) codes(links []api.Link) error {
	for _, l := range links {
		if _, err := fmt.Fprintln(p.w, EscapeControls(l.Code)); err != nil {
			return wrap(err)
		}
	}
	return nil
}

func (p *Printer) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	writeRow(tw, header)
	for _, r := range rows {
		writeRow(tw, r)
	}
	return wrap(tw.Flush())
}

// writeRow writes one table row; cells hold server text, so they are escaped.
func writeRow(w io.Writer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			_, _ = io.WriteString(w, "\t")
		}
		_, _ = io.WriteString(w, EscapeControls(c))
	}
	_, _ = io.WriteString(w, "\n")
}

// structured writes v as indented JSON (HTML characters left alone) or as YAML. Both escape
// C0 controls; JSON output also goes through escapeJSON, YAML escapes DEL and C1 itself.
func (p *Printer) structured(v any) error {
	if p.format == YAML {
		enc := yaml.NewEncoder(p.w)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return wrap(err)
		}
		return wrap(enc.Close())
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return wrap(err)
	}
	_, err := p.w.Write(escapeJSON(buf.Bytes()))
	return wrap(err)
}

func linkRow(l api.Link) []string {
	expires := "-"
	if l.ExpiresAt != nil {
		expires = formatTime(*l.ExpiresAt)
	}
	return []string{l.Code, l.URL, l.ShortURL, formatTime(l.CreatedAt), expires, strconv.FormatInt(l.Hits, 10)}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func wrap(err error) error {
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
