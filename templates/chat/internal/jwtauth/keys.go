// Package jwtauth issues and verifies the access tokens: JWTs signed with Ed25519 (alg EdDSA).
// The auth service holds the private key; the chat service and the gateway hold only public keys,
// so a leak of either cannot mint tokens. Keys are PEM files (PKCS #8 private, PKIX public) read
// from paths or from the environment, never stored in the repository.
package jwtauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeyID names a public key in the tokens' "kid" header: the first 8 bytes of the SHA-256 of
// its PKIX encoding, base64url. Verifiers that hold several keys (during a rotation) pick by it.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil { // only for a key of the wrong length, which callers never build
		return ""
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// GenerateKey returns a new Ed25519 key pair as PEM: PKCS #8 private, PKIX public.
func GenerateKey() (privatePEM, publicPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("jwtauth: generate key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("jwtauth: encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("jwtauth: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), nil
}

// ErrKeyExists is returned by WriteKeyFiles when a file is there already: keys are never
// overwritten, since that would log out every user.
var ErrKeyExists = errors.New("key file exists")

// WriteKeyFiles writes a new pair to dir as jwt-ed25519.pem (mode 0600) and jwt-ed25519.pub.pem,
// and returns their paths. It refuses to overwrite either.
func WriteKeyFiles(dir string) (privatePath, publicPath string, err error) {
	privPEM, pubPEM, err := GenerateKey()
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("jwtauth: %w", err)
	}
	privatePath, publicPath = filepath.Join(dir, "jwt-ed25519.pem"), filepath.Join(dir, "jwt-ed25519.pub.pem")
	for _, p := range []string{privatePath, publicPath} {
		if _, err := os.Stat(p); err == nil {
			return "", "", fmt.Errorf("jwtauth: %s: %w", p, ErrKeyExists)
		}
	}
	if err := writeNew(privatePath, privPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(publicPath, pubPEM, 0o644); err != nil {
		return "", "", err
	}
	return privatePath, publicPath, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode) //nolint:gosec // G304: the path is the operator's own key directory
	if err != nil {
		return fmt.Errorf("jwtauth: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("jwtauth: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("jwtauth: write %s: %w", path, err)
	}
	return nil
}

// ParsePrivateKey reads a PKCS #8 PEM Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("jwtauth: private key: want a PEM block of type PRIVATE KEY (PKCS #8)")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("jwtauth: private key: %w", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("jwtauth: private key: want Ed25519, got %T", key)
	}
	return priv, nil
}

// ParsePublicKey reads a PKIX PEM Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("jwtauth: public key: want a PEM block of type PUBLIC KEY (PKIX)")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("jwtauth: public key: %w", err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("jwtauth: public key: want Ed25519, got %T", key)
	}
	return pub, nil
}

// LoadPrivateKey reads the private key from pemValue when it is set (the PEM itself, as an
// orchestrator's secret puts it in the environment), else from the file at path.
func LoadPrivateKey(pemValue, path string) (ed25519.PrivateKey, error) {
	data, err := keyBytes(pemValue, path)
	if err != nil {
		return nil, err
	}
	return ParsePrivateKey(data)
}

// LoadPublicKeys reads the verification keys: pemValue (one or more concatenated PEM blocks)
// when set, else every file in paths. Several keys let tokens signed with the previous key stay
// valid while a new one rolls out.
func LoadPublicKeys(pemValue string, paths []string) ([]ed25519.PublicKey, error) {
	var blobs [][]byte
	if pemValue != "" {
		blobs = append(blobs, []byte(pemValue))
	} else {
		for _, p := range paths {
			data, err := os.ReadFile(p) //nolint:gosec // G304: the path comes from the operator's configuration
			if err != nil {
				return nil, fmt.Errorf("jwtauth: public key: %w", err)
			}
			blobs = append(blobs, data)
		}
	}
	var keys []ed25519.PublicKey
	for _, data := range blobs {
		for {
			block, rest := pem.Decode(data)
			if block == nil {
				break
			}
			pub, err := ParsePublicKey(pem.EncodeToMemory(block))
			if err != nil {
				return nil, err
			}
			keys = append(keys, pub)
			data = rest
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("jwtauth: no public key found")
	}
	return keys, nil
}

func keyBytes(pemValue, path string) ([]byte, error) {
	if pemValue != "" {
		return []byte(pemValue), nil
	}
	if path == "" {
		return nil, errors.New("jwtauth: no key: set the PEM or a file path")
	}
	data, err := os.ReadFile(path) //nolint:gosec // G304: the path comes from the operator's configuration
	if err != nil {
		return nil, fmt.Errorf("jwtauth: %w", err)
	}
	return data, nil
}
