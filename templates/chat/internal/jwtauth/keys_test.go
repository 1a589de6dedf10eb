package jwtauth_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"example.com/gopher-template/chat/internal/jwtauth"
)

func TestKeyFilesRoundTrip(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	privPath, pubPath, err := jwtauth.WriteKeyFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(privPath)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, want 0600", info.Mode().Perm())
	}
	if _, _, err := jwtauth.WriteKeyFiles(dir); !errors.Is(err, jwtauth.ErrKeyExists) {
		t.Errorf("second WriteKeyFiles = %v, want ErrKeyExists", err)
	}

	priv, err := jwtauth.LoadPrivateKey("", privPath)
	if err != nil {
		t.Fatal(err)
	}
	pubs, err := jwtauth.LoadPublicKeys("", []string{pubPath})
	if err != nil {
		t.Fatal(err)
	}
	tok := issue(t, issuer(t, priv, testIssuer, testAudience, time.Now()))
	if _, err := verifier(t, time.Now(), pubs...).Verify(tok); err != nil {
		t.Fatalf("a token signed with the loaded private key fails with the loaded public key: %v", err)
	}

	// The environment form: the PEM itself, several keys concatenated.
	pubPEM, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPub, err := jwtauth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	both, err := jwtauth.LoadPublicKeys(string(otherPub)+string(pubPEM), nil)
	if err != nil || len(both) != 2 {
		t.Fatalf("LoadPublicKeys of two PEM blocks = %d keys, %v", len(both), err)
	}
}

func TestLoadKeyErrors(t *testing.T) {
	t.Parallel()
	privPEM, pubPEM, err := jwtauth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		load func() error
		want string
	}{
		{"no private key at all", func() error { _, err := jwtauth.LoadPrivateKey("", ""); return err }, "no key"},
		{"missing file", func() error { _, err := jwtauth.LoadPrivateKey("", filepath.Join(t.TempDir(), "nope")); return err }, "no such file"},
		{"public PEM as private", func() error { _, err := jwtauth.LoadPrivateKey(string(pubPEM), ""); return err }, "PRIVATE KEY"},
		{"private PEM as public", func() error { _, err := jwtauth.LoadPublicKeys(string(privPEM), nil); return err }, "PUBLIC KEY"},
		{"not PEM", func() error { _, err := jwtauth.LoadPublicKeys("hello", nil); return err }, "no public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.load(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
