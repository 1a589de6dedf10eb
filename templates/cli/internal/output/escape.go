package output

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// EscapeControls makes text from the server safe to print on a terminal. Each character
// that a terminal would act on rather than show is replaced by a visible Go-style escape:
// `\x1b` for an ASCII control or an invalid UTF-8 byte, `\u009b` or `\u202e` for the
// others. A visible escape rather than U+FFFD because it tells the reader which character
// the server sent, which is what someone facing a broken or hostile server needs; it is
// inert on every terminal, and the exact value stays available in JSON output.
//
// Escaped: C0 controls (ESC starts sequences that move the cursor, rewrite the screen, set
// the window title or write to the clipboard; CR and BS overprint; tab and newline break a
// table's columns and rows), DEL, C1 controls (U+009B is CSI to some terminals), invalid
// UTF-8 (a lone byte 0x9B is CSI to a terminal in an 8-bit locale) and the bidirectional
// controls, which make text display in an order other than its own, so that one URL can
// pass for another (CVE-2021-42574, "Trojan Source").
func EscapeControls(s string) string { return escape(s, false) }

// EscapeMessage is EscapeControls for messages that span lines, such as errors: it keeps
// newlines and tabs.
func EscapeMessage(s string) string { return escape(s, true) }

func escape(s string, keepLines bool) string {
	unsafe := unsafeRune
	if keepLines {
		unsafe = func(r rune) bool { return r != '\n' && r != '\t' && unsafeRune(r) }
	}
	if !strings.ContainsFunc(s, unsafe) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i]) // an invalid byte
		case unsafe(r) && r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeJSON rewrites the control characters that encoding/json leaves raw, DEL and the C1
// controls, as \u00XX escapes, as it does itself for C0 controls (and as YAML does for all
// three). Outside strings JSON is printable ASCII, so whatever is rewritten is inside a
// string, where the escape decodes to the same character: the values do not change.
// Bidirectional controls are left alone in JSON and YAML, which are data: they reorder how
// text is shown but drive nothing.
func escapeJSON(data []byte) []byte {
	raw := func(r rune) bool { return r >= 0x7f && r <= 0x9f }
	if !bytes.ContainsFunc(data, raw) {
		return data
	}
	out := make([]byte, 0, len(data)+16)
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if raw(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, data[:n]...)
		}
		data = data[n:]
	}
	return out
}

// unsafeRune reports whether r is a control character or a bidirectional control.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, // ALM, LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}
