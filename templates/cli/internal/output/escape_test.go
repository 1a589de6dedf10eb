package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"example.com/gopher-template/cli/internal/api"
)

func TestEscapeControls(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text unchanged", "https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2"},
		{"non-ASCII unchanged", "https://例え.jp/ünïcødé €", "https://例え.jp/ünïcødé €"},
		{"replacement character unchanged", "a\uFFFDb", "a\uFFFDb"},
		{"clear screen", "x\x1b[2Jy", `x\x1b[2Jy`},
		{"window title (OSC ... BEL)", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"carriage return and backspace", "good\rbad\b", `good\x0dbad\x08`},
		{"tab and newline", "a\tb\nc", `a\x09b\x0ac`},
		{"NUL", "a\x00b", `a\x00b`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 CSI", "a\u009b31mb", `a\u009b31mb`},
		{"right-to-left override", "https://example.com/\u202egnp.exe", `https://example.com/\u202egnp.exe`},
		{"isolates and marks", "\u2066\u2069\u200f\u061c", `\u2066\u2069\u200f\u061c`},
		{"invalid UTF-8 byte", "a\x9bb\xff", `a\x9bb\xff`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeControls(tt.in); got != tt.want {
				t.Errorf("EscapeControls(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapeMessageKeepsLines(t *testing.T) {
	in := "unknown command\n\nDid you mean this?\n\tlinks\x1b[2J\r"
	if got, want := EscapeMessage(in), "unknown command\n\nDid you mean this?\n\tlinks\\x1b[2J\\x0d"; got != want {
		t.Errorf("EscapeMessage = %q, want %q", got, want)
	}
}

// hostileLink has server text that would drive a terminal in every field a table shows.
func hostileLink() api.Link {
	l := sampleLinks(1)[0]
	l.Code = "c\x1b[31m"
	l.URL = "https://example.com/\u202egnp.exe\x1b]0;title\x07"
	l.ShortURL = "https://sho.rt/c\u009b2J\x7f\r"
	return l
}

// terminalUnsafe returns the first character of out that a terminal would act on, other than
// the newlines the format itself writes. With controlsOnly, bidirectional controls pass.
func terminalUnsafe(out string, controlsOnly bool) (rune, bool) {
	for i, r := range out {
		if r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD") {
			return rune(out[i]), true
		}
		if r != '\n' && unsafeRune(r) && (!controlsOnly || r < 0x20 || r >= 0x7f && r <= 0x9f) {
			return r, true
		}
	}
	return 0, false
}

// TestServerTextCannotDriveTheTerminal prints links whose every field holds escape sequences.
// Tables and quiet output escape control and bidirectional characters; JSON and YAML escape
// every control character and keep the text's exact value (TestStructuredOutputKeepsValues).
func TestServerTextCannotDriveTheTerminal(t *testing.T) {
	tests := []struct {
		name         string
		format       Format
		quiet        bool
		controlsOnly bool
	}{
		{"table", Table, false, false},
		{"quiet", Table, true, false},
		{"json", JSON, false, true},
		{"yaml", YAML, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := New(&buf, tt.format, tt.quiet)
			if err := p.Links([]api.Link{hostileLink()}, "next\x1b[2J"); err != nil {
				t.Fatal(err)
			}
			if err := p.Deleted("gone\x1b[2J"); err != nil {
				t.Fatal(err)
			}
			if r, ok := terminalUnsafe(buf.String(), tt.controlsOnly); ok {
				t.Errorf("output has %U raw:\n%q", r, buf.String())
			}
		})
	}
}

// TestStructuredOutputKeepsValues checks that JSON and YAML still carry the server's exact
// text: their escapes are part of the format and decode to the original characters.
func TestStructuredOutputKeepsValues(t *testing.T) {
	want := hostileLink()
	tests := []struct {
		format    Format
		unmarshal func([]byte, any) error
	}{
		{JSON, json.Unmarshal},
		{YAML, yaml.Unmarshal},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := New(&buf, tt.format, false).Link(want); err != nil {
				t.Fatal(err)
			}
			var got api.Link
			if err := tt.unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if got.Code != want.Code || got.URL != want.URL || got.ShortURL != want.ShortURL {
				t.Errorf("decoded %+v, want %+v", got, want)
			}
		})
	}
}
