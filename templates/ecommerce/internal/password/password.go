// Package password hashes passwords with argon2id (RFC 9106) and verifies them. Hashes are PHC
// strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash) that carry their own parameters, so raising
// the cost later leaves older hashes verifiable (see the ADR on authentication).
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	// MemoryKiB is the memory each hash takes, in KiB.
	MemoryKiB uint32
	// Iterations is the number of passes over the memory.
	Iterations uint32
	// Parallelism is the number of lanes (threads).
	Parallelism uint8
}

// DefaultParams are OWASP's first recommended argon2id configuration (19 MiB, 2 passes, 1 lane):
// about 20 ms per hash on one core of a current server.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

const (
	saltLength = 16
	keyLength  = 32
	// maxMemoryKiB bounds the memory a stored hash may ask for (1 GiB), so that a tampered row
	// cannot make verification exhaust memory.
	maxMemoryKiB = 1 << 20
	maxPasses    = 16
)

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// ErrMalformedHash means the stored hash is not an argon2id PHC string this package can read.
var ErrMalformedHash = errors.New("malformed password hash")

// Validate checks the parameters.
func (p Params) Validate() error {
	if p.MemoryKiB < 8*uint32(p.Parallelism) || p.MemoryKiB > maxMemoryKiB || p.Iterations < 1 || p.Iterations > maxPasses || p.Parallelism < 1 {
		return fmt.Errorf("password: argon2id parameters out of range: %+v", p)
	}
	return nil
}

// Hash returns the PHC string of password under p with a fresh random salt.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLength)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches hash: nil, ErrMismatch, or an error wrapping
// ErrMalformedHash. The comparison takes constant time.
func Verify(password, hash string) error {
	p, salt, want, err := decode(hash)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(want))) //nolint:gosec // G115: len(want) is bounded by decode
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash was made with parameters other than p: the caller may store a
// new hash after a successful Verify.
func NeedsRehash(hash string, p Params) bool {
	got, _, _, err := decode(hash)
	return err != nil || got != p
}

func decode(hash string) (Params, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformedHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, fmt.Errorf("%w: version %q", ErrMalformedHash, parts[2])
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: parameters %q", ErrMalformedHash, parts[3])
	}
	if err := p.Validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	return p, salt, key, nil
}
