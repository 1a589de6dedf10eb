// Package cursor seals pagination cursors: a page's position travels to the client as an opaque
// base64url token carrying an HMAC, so a cursor the server did not make (edited, forged, or made
// for another list) is refused instead of being trusted as a position.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// MinKeyLength is the shortest key a Sealer takes.
const MinKeyLength = 16

// macLength is the bytes of the HMAC-SHA256 a token keeps: 128 bits, plenty for a MAC that is
// checked online.
const macLength = 16

// MaxPayload bounds what a token may carry, so that decoding a token is cheap whatever it holds.
// It leaves room for a sort key of 800 bytes (a name of 200 characters of four bytes each) and
// a header.
const MaxPayload = 1024

// MaxTokenLength is the length of the longest token Seal makes (MaxPayload bytes and the MAC, in
// unpadded base64): what an API that takes tokens must accept.
const MaxTokenLength = ((MaxPayload+macLength)*8 + 5) / 6

// ErrInvalid is returned for any token that Open refuses.
var ErrInvalid = errors.New("invalid cursor")

// Sealer seals and opens tokens for one purpose (one kind of list): a token sealed for another
// purpose, even under the same key, does not open.
type Sealer struct {
	key     []byte
	purpose string
}

// NewSealer returns a Sealer; key must be at least MinKeyLength bytes and purpose not empty.
func NewSealer(key []byte, purpose string) (*Sealer, error) {
	if len(key) < MinKeyLength {
		return nil, fmt.Errorf("cursor: the key must be at least %d bytes", MinKeyLength)
	}
	if purpose == "" {
		return nil, errors.New("cursor: a purpose is required")
	}
	return &Sealer{key: append([]byte(nil), key...), purpose: purpose}, nil
}

// Seal returns the token of payload (at most MaxPayload bytes).
func (s *Sealer) Seal(payload []byte) (string, error) {
	if len(payload) > MaxPayload {
		return "", fmt.Errorf("cursor: payload of %d bytes, more than %d", len(payload), MaxPayload)
	}
	buf := make([]byte, 0, len(payload)+macLength)
	buf = append(buf, payload...)
	buf = append(buf, s.mac(payload)...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open returns the payload of a token Seal made with this key and purpose; any other token is
// ErrInvalid.
func (s *Sealer) Open(token string) ([]byte, error) {
	if len(token) > MaxTokenLength {
		return nil, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < macLength {
		return nil, ErrInvalid
	}
	payload, mac := raw[:len(raw)-macLength], raw[len(raw)-macLength:]
	if !hmac.Equal(mac, s.mac(payload)) {
		return nil, ErrInvalid
	}
	return payload, nil
}

func (s *Sealer) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(s.purpose))
	h.Write([]byte{0})
	h.Write(payload)
	return h.Sum(nil)[:macLength]
}
