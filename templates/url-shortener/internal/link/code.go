package link

import (
	"crypto/rand"
	"fmt"
)

// Bounds of the length of generated codes (Options.CodeLength).
const (
	MinCodeLength = 5
	MaxCodeLength = 16
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// maxUnbiasedByte is the largest multiple of len(base62) that fits in a byte.
// Bytes at or above it are rejected so every symbol is equally likely.
const maxUnbiasedByte = 256 - 256%len(base62)

// GenerateCode returns a random base62 string of the given length read from
// crypto/rand.
func GenerateCode(length int) (string, error) {
	if length < 1 {
		return "", fmt.Errorf("generate code: length %d must be positive", length)
	}
	code := make([]byte, 0, length)
	buf := make([]byte, length+length/4+1)
	for len(code) < length {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("generate code: %w", err)
		}
		for _, b := range buf {
			if int(b) >= maxUnbiasedByte {
				continue
			}
			code = append(code, base62[int(b)%len(base62)])
			if len(code) == length {
				break
			}
		}
	}
	return string(code), nil
}
