//go:build integration

package authpg_test

import (
	"testing"

	"example.com/gopher-template/chat/internal/auth"
	"example.com/gopher-template/chat/internal/auth/authtest"
	"example.com/gopher-template/chat/internal/authpg"
	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/testenv"
)

func TestStoreContract(t *testing.T) {
	t.Parallel()
	authtest.StoreContract(t, func(t *testing.T) auth.Store {
		return authpg.New(testenv.Pool(t, migrations.Auth))
	})
}
