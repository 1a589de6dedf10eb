//go:build integration

package chatpg_test

import (
	"testing"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chat/chattest"
	"example.com/gopher-template/chat/internal/chatpg"
	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/testenv"
)

func TestStoreContract(t *testing.T) {
	t.Parallel()
	chattest.StoreContract(t, func(t *testing.T) chat.Store {
		return chatpg.New(testenv.Pool(t, migrations.Chat))
	})
}
