package authtest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/chat/internal/auth"
)

// StoreContract runs the behaviour every auth.Store must have against stores made by newStore
// (each call an empty store).
func StoreContract(t *testing.T, newStore func(t *testing.T) auth.Store) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds

	t.Run("users", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		u := auth.User{ID: uuid.NewString(), Username: "ada", PasswordHash: "$argon2id$x", CreatedAt: now} //nolint:gosec // G101: a fixture, no credential
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, auth.User{ID: uuid.NewString(), Username: "ada", PasswordHash: "h", CreatedAt: now}); !errors.Is(err, auth.ErrUsernameTaken) {
			t.Errorf("second user named ada: %v, want ErrUsernameTaken", err)
		}
		byName, err := s.UserByUsername(ctx, "ada")
		if err != nil || byName.ID != u.ID || byName.PasswordHash != u.PasswordHash || !byName.CreatedAt.Equal(now) {
			t.Errorf("UserByUsername = %+v, %v; want %+v", byName, err, u)
		}
		byID, err := s.UserByID(ctx, u.ID)
		if err != nil || byID.Username != "ada" {
			t.Errorf("UserByID = %+v, %v", byID, err)
		}
		if _, err := s.UserByUsername(ctx, "bob"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("UserByUsername(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := s.UserByID(ctx, uuid.NewString()); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("UserByID(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("refresh tokens", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		u := auth.User{ID: uuid.NewString(), Username: "ada", PasswordHash: "h", CreatedAt: now}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		family := uuid.NewString()
		first := token(u.ID, family, now)
		second := token(u.ID, family, now)
		other := token(u.ID, uuid.NewString(), now)
		for _, tok := range []auth.RefreshToken{first, second, other} {
			if err := s.CreateRefreshToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		used := now.Add(time.Second)
		got, err := s.UseRefreshToken(ctx, first.Hash, used)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != first.ID || got.FamilyID != family || got.UserID != u.ID || !got.UsedAt.IsZero() || !got.ExpiresAt.Equal(first.ExpiresAt) || !bytes.Equal(got.Hash, first.Hash) {
			t.Errorf("first use = %+v, want the unused token %+v", got, first)
		}
		again, err := s.UseRefreshToken(ctx, first.Hash, used.Add(time.Second))
		if err != nil || !again.UsedAt.Equal(used) {
			t.Errorf("second use = %+v, %v; want UsedAt %v (the first use's time)", again, err, used)
		}
		if _, err := s.UseRefreshToken(ctx, []byte("unknown-hash-of-32-bytes-length!"), used); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("UseRefreshToken(unknown) = %v, want ErrNotFound", err)
		}
		if err := s.RevokeFamily(ctx, family, used); err != nil {
			t.Fatal(err)
		}
		revoked, err := s.UseRefreshToken(ctx, second.Hash, used)
		if err != nil || !revoked.RevokedAt.Equal(used) {
			t.Errorf("token of the revoked family = %+v, %v; want RevokedAt %v", revoked, err, used)
		}
		untouched, err := s.UseRefreshToken(ctx, other.Hash, used)
		if err != nil || !untouched.RevokedAt.IsZero() || !untouched.UsedAt.IsZero() {
			t.Errorf("token of another family = %+v, %v; want it unused and not revoked", untouched, err)
		}
	})

	t.Run("concurrent use: exactly one caller sees the token unused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		u := auth.User{ID: uuid.NewString(), Username: "ada", PasswordHash: "h", CreatedAt: now}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		tok := token(u.ID, uuid.NewString(), now)
		if err := s.CreateRefreshToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		const callers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		unused := 0
		for range callers {
			wg.Go(func() {
				got, err := s.UseRefreshToken(ctx, tok.Hash, now)
				if err != nil {
					t.Error(err)
					return
				}
				if got.UsedAt.IsZero() {
					mu.Lock()
					unused++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if unused != 1 {
			t.Errorf("%d of %d concurrent uses saw the token unused, want 1", unused, callers)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		u := auth.User{ID: uuid.NewString(), Username: "ada", PasswordHash: "h", CreatedAt: now}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		family := uuid.NewString()
		first := token(u.ID, family, now)
		expired := token(u.ID, uuid.NewString(), now.Add(-2*time.Hour))
		for _, tok := range []auth.RefreshToken{first, expired} {
			if err := s.CreateRefreshToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		used := now.Add(time.Second)
		second := token("", "", used) // the store gives it the family and the user
		got, err := s.RotateRefreshToken(ctx, first.Hash, used, second)
		if err != nil || got.ID != first.ID || !got.UsedAt.IsZero() || !got.RevokedAt.IsZero() {
			t.Fatalf("RotateRefreshToken(first) = %+v, %v; want the unused token %+v", got, err, first)
		}
		if stored, err := s.UseRefreshToken(ctx, first.Hash, used); err != nil || !stored.UsedAt.Equal(used) {
			t.Errorf("first after its rotation = %+v, %v; want UsedAt %v", stored, err, used)
		}
		if stored, err := s.UseRefreshToken(ctx, second.Hash, used); err != nil || stored.ID != second.ID ||
			stored.FamilyID != family || stored.UserID != u.ID || !stored.UsedAt.IsZero() || !stored.ExpiresAt.Equal(second.ExpiresAt) {
			t.Errorf("the successor = %+v, %v; want it unused, of family %s and user %s", stored, err, family, u.ID)
		}
		// Neither a used, nor a revoked, nor an expired token has a successor.
		if err := s.RevokeFamily(ctx, uuid.NewString(), used); err != nil { // no such family: nothing to do
			t.Fatal(err)
		}
		third := token("", "", used)
		if got, err := s.RotateRefreshToken(ctx, first.Hash, used, third); err != nil || !got.UsedAt.Equal(used) {
			t.Errorf("RotateRefreshToken(used) = %+v, %v; want UsedAt %v", got, err, used)
		}
		if err := s.RevokeFamily(ctx, family, used); err != nil {
			t.Fatal(err)
		}
		fourth := token("", "", used)
		if got, err := s.RotateRefreshToken(ctx, second.Hash, used, fourth); err != nil || !got.RevokedAt.Equal(used) {
			t.Errorf("RotateRefreshToken(revoked) = %+v, %v; want RevokedAt %v", got, err, used)
		}
		fifth := token("", "", used)
		if got, err := s.RotateRefreshToken(ctx, expired.Hash, used, fifth); err != nil || got.ID != expired.ID {
			t.Errorf("RotateRefreshToken(expired) = %+v, %v", got, err)
		}
		for name, tok := range map[string]auth.RefreshToken{"used": third, "revoked": fourth, "expired": fifth} {
			if got, err := s.UseRefreshToken(ctx, tok.Hash, used); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("the %s token's successor was stored: %+v, %v", name, got, err)
			}
		}
		if _, err := s.RotateRefreshToken(ctx, []byte("unknown-hash-of-32-bytes-length!"), used, token("", "", used)); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("RotateRefreshToken(unknown) = %v, want ErrNotFound", err)
		}
	})

	// A reuse revokes the family while its legitimate holder rotates the newest token: whichever
	// the store runs first, once both are done no token of the family can be used, including a
	// successor the rotation stored.
	t.Run("reuse racing rotation", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		u := auth.User{ID: uuid.NewString(), Username: "ada", PasswordHash: "h", CreatedAt: now}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		const rounds, families = 25, 4 // families race at once in each round
		var rotatedFirst, revokedFirst atomic.Int32
		for round := range rounds {
			var wg sync.WaitGroup
			for range families {
				family := uuid.NewString()
				current, next := token(u.ID, family, now), token("", "", now)
				if err := s.CreateRefreshToken(ctx, current); err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					var old auth.RefreshToken
					var rotateErr, revokeErr error
					var race sync.WaitGroup
					start := make(chan struct{})
					race.Go(func() { <-start; old, rotateErr = s.RotateRefreshToken(ctx, current.Hash, now, next) })
					race.Go(func() { <-start; revokeErr = s.RevokeFamily(ctx, family, now) })
					close(start)
					race.Wait()
					if rotateErr != nil || revokeErr != nil {
						t.Errorf("round %d: rotate: %v; revoke: %v", round, rotateErr, revokeErr)
						return
					}
					if old.RevokedAt.IsZero() {
						rotatedFirst.Add(1)
					} else {
						revokedFirst.Add(1)
					}
					for name, tok := range map[string]auth.RefreshToken{"rotated token": current, "successor": next} {
						got, err := s.UseRefreshToken(ctx, tok.Hash, now)
						switch {
						case errors.Is(err, auth.ErrNotFound) && name == "successor" && !old.RevokedAt.IsZero():
							// revoked first: the rotation stored nothing
						case err != nil:
							t.Errorf("round %d: the %s: %v", round, name, err)
						case got.RevokedAt.IsZero():
							t.Errorf("round %d: the %s outlived the revocation of its family (the rotation came first: %t)", round, name, old.RevokedAt.IsZero())
						}
					}
				})
			}
			wg.Wait()
		}
		t.Logf("rotation first %d times, revocation first %d times", rotatedFirst.Load(), revokedFirst.Load())
	})
}

func token(userID, family string, now time.Time) auth.RefreshToken {
	hash := make([]byte, 32)
	_, _ = rand.Read(hash)
	return auth.RefreshToken{ID: uuid.NewString(), FamilyID: family, UserID: userID, Hash: hash, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}
