package link_test

import (
	"strings"
	"testing"

	"example.com/gopher-template/url-shortener/internal/link"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func TestGenerateCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		length  int
		wantErr bool
	}{
		{length: 1},
		{length: 7},
		{length: 32},
		{length: 0, wantErr: true},
		{length: -3, wantErr: true},
	}
	for _, tt := range tests {
		code, err := link.GenerateCode(tt.length)
		if tt.wantErr {
			if err == nil {
				t.Errorf("GenerateCode(%d) = %q, want error", tt.length, code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("GenerateCode(%d): %v", tt.length, err)
		}
		if len(code) != tt.length {
			t.Errorf("GenerateCode(%d) = %q, wrong length", tt.length, code)
		}
		if strings.Trim(code, base62) != "" {
			t.Errorf("GenerateCode(%d) = %q, not base62", tt.length, code)
		}
	}
}

func TestGenerateCodeDistribution(t *testing.T) {
	t.Parallel()
	const n = 2000
	seen := make(map[string]bool, n)
	symbols := make(map[rune]int)
	for range n {
		code, err := link.GenerateCode(10)
		if err != nil {
			t.Fatal(err)
		}
		if seen[code] {
			t.Fatalf("duplicate code %q in %d draws", code, n)
		}
		seen[code] = true
		for _, r := range code {
			symbols[r]++
		}
	}
	// 20,000 symbols over 62 values: about 322 each. Every symbol must show
	// up, and none may be wildly over-represented (a modulo-bias bug would).
	if len(symbols) != len(base62) {
		t.Fatalf("only %d of %d symbols generated", len(symbols), len(base62))
	}
	for r, c := range symbols {
		if c > 500 {
			t.Errorf("symbol %q appeared %d times, want about 322", r, c)
		}
	}
}
