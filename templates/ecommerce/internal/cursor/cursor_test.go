package cursor_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"example.com/gopher-template/ecommerce/internal/cursor"
)

var key = []byte("0123456789abcdef")

func newSealer(t *testing.T, purpose string) *cursor.Sealer {
	t.Helper()
	s, err := cursor.NewSealer(key, purpose)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s := newSealer(t, "products")
	for _, payload := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte{0xff}, cursor.MaxPayload)} {
		tok, err := s.Seal(payload)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not unpadded base64url", tok)
		}
		got, err := s.Open(tok)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("Open(Seal(%d bytes)) = %d bytes, %v", len(payload), len(got), err)
		}
	}
	if _, err := s.Seal(make([]byte, cursor.MaxPayload+1)); err == nil {
		t.Error("Seal accepted a payload over MaxPayload")
	}
}

// MaxTokenLength is the length of the longest token, which the OpenAPI document's cursor
// parameter admits (a test of internal/httpapi checks that).
func TestMaxTokenLength(t *testing.T) {
	t.Parallel()
	if want := base64.RawURLEncoding.EncodedLen(cursor.MaxPayload + 16); cursor.MaxTokenLength != want {
		t.Errorf("MaxTokenLength = %d, want %d", cursor.MaxTokenLength, want)
	}
	tok, err := newSealer(t, "products").Seal(make([]byte, cursor.MaxPayload))
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != cursor.MaxTokenLength {
		t.Errorf("the longest token is %d long, MaxTokenLength %d", len(tok), cursor.MaxTokenLength)
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	s := newSealer(t, "products")
	tok, err := s.Seal([]byte("page two"))
	if err != nil {
		t.Fatal(err)
	}
	otherPurpose, err := newSealer(t, "orders").Seal([]byte("page two"))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := cursor.NewSealer([]byte("fedcba9876543210"), "products")
	if err != nil {
		t.Fatal(err)
	}
	forged, err := otherKey.Seal([]byte("page two"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(tok)
	flipped[2] ^= 1 // still base64url, another payload byte
	tests := map[string]string{
		"empty":            "",
		"short":            tok[:10],
		"one byte flipped": string(flipped),
		"padded":           tok + "=",
		"std alphabet":     strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+/",
		"other purpose":    otherPurpose,
		"other key":        forged,
		"huge":             strings.Repeat("A", 10_000),
	}
	for name, bad := range tests {
		if _, err := s.Open(bad); !errors.Is(err, cursor.ErrInvalid) {
			t.Errorf("%s: Open = %v, want ErrInvalid", name, err)
		}
	}
}

func TestNewSealerValidates(t *testing.T) {
	t.Parallel()
	if _, err := cursor.NewSealer(key[:15], "p"); err == nil {
		t.Error("NewSealer accepted a 15-byte key")
	}
	if _, err := cursor.NewSealer(key, ""); err == nil {
		t.Error("NewSealer accepted an empty purpose")
	}
}
