package outboxtest_test

import (
	"testing"

	"example.com/gopher-template/ecommerce/internal/outbox"
	"example.com/gopher-template/ecommerce/internal/outbox/outboxtest"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	outboxtest.StoreContract(t, func(*testing.T) (outbox.Store, outboxtest.AddFunc) {
		m := outboxtest.NewMemory()
		return m, m.Add
	})
}
