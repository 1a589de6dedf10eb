package password_test

import (
	"errors"
	"strings"
	"testing"

	"example.com/gopher-template/ecommerce/internal/password"
)

// cheap keeps the tests fast; the format and checks do not depend on the cost.
var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestHashVerify(t *testing.T) {
	t.Parallel()
	hash, err := password.Hash("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q, want a PHC argon2id string", hash)
	}
	again, err := password.Hash("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if again == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if err := password.Verify("correct horse", hash); err != nil {
		t.Errorf("Verify(right password) = %v", err)
	}
	if err := password.Verify("correct horse!", hash); !errors.Is(err, password.ErrMismatch) {
		t.Errorf("Verify(wrong password) = %v, want ErrMismatch", err)
	}
	if password.NeedsRehash(hash, cheap) {
		t.Error("NeedsRehash with the same parameters")
	}
	if !password.NeedsRehash(hash, password.DefaultParams) {
		t.Error("NeedsRehash with stronger parameters = false")
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	good, err := password.Hash("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	tests := map[string]string{
		"empty":             "",
		"bcrypt":            "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":           strings.Replace(good, "argon2id", "argon2i", 1),
		"other version":     strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":       strings.Replace(good, "m=64", "m=99999999", 1),
		"zero passes":       strings.Replace(good, "t=1", "t=0", 1),
		"bad salt":          strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short key":         strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"missing parameter": strings.Replace(good, ",p=1", "", 1),
	}
	for name, hash := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := password.Verify("pw", hash); !errors.Is(err, password.ErrMalformedHash) {
				t.Errorf("Verify(%q) = %v, want ErrMalformedHash", hash, err)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	if err := password.DefaultParams.Validate(); err != nil {
		t.Errorf("DefaultParams: %v", err)
	}
	if _, err := password.Hash("pw", password.Params{MemoryKiB: 64, Iterations: 1}); err == nil {
		t.Error("Hash accepted zero parallelism")
	}
}
