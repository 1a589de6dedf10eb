package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/cli/internal/api"
)

func sampleLinks(n int) []api.Link {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	links := make([]api.Link, n)
	for i := range links {
		links[i] = api.Link{
			Code:      fmt.Sprintf("c%04d", i),
			URL:       fmt.Sprintf("https://example.com/page/%d?a=1&b=2", i),
			ShortURL:  fmt.Sprintf("https://sho.rt/c%04d", i),
			CreatedAt: created,
			Hits:      int64(i),
		}
	}
	return links
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "json", "yaml"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error(`ParseFormat("xml") succeeded`)
	}
}

func TestQuietPrintsCodesOnly(t *testing.T) {
	for _, f := range []Format{Table, JSON, YAML} {
		var buf bytes.Buffer
		if err := New(&buf, f, true).Links(sampleLinks(2), "next"); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != "c0000\nc0001\n" {
			t.Errorf("%s: got %q", f, got)
		}
	}
}

func TestJSONLeavesURLsReadable(t *testing.T) {
	var buf bytes.Buffer
	if err := New(&buf, JSON, false).Link(sampleLinks(1)[0]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "a=1&b=2") {
		t.Errorf("JSON escaped the URL: %s", buf.String())
	}
}

func TestEmptyListIsAnArray(t *testing.T) {
	var buf bytes.Buffer
	if err := New(&buf, JSON, false).Links(nil, ""); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"links\": [],\n  \"next_cursor\": \"\"\n}\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func BenchmarkLinksTable(b *testing.B) {
	links := sampleLinks(100)
	p := New(io.Discard, Table, false)
	for b.Loop() {
		if err := p.Links(links, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLinksJSON(b *testing.B) {
	links := sampleLinks(100)
	p := New(io.Discard, JSON, false)
	for b.Loop() {
		if err := p.Links(links, ""); err != nil {
			b.Fatal(err)
		}
	}
}
