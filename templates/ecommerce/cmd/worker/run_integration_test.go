//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/plumbing/testproxy"
	"example.com/gopher-template/plumbing/testserve"

	"example.com/gopher-template/ecommerce/ent/order"
	"example.com/gopher-template/ecommerce/ent/outboxevent"
	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/ordering"
	"example.com/gopher-template/ecommerce/internal/pgdb"
	"example.com/gopher-template/ecommerce/internal/rabbit"
	"example.com/gopher-template/ecommerce/internal/rabbit/rabbittest"
	"example.com/gopher-template/ecommerce/internal/store"
	"example.com/gopher-template/ecommerce/internal/testenv"
)

// TestOrdersCommitWhileRabbitMQIsCut runs the worker (run, on real ports) against a fresh
// database and RabbitMQ through a proxy, while buyers place orders without pause. The proxy is
// cut for a while: orders still commit, their events wait in the outbox and the worker is not
// ready; once the proxy is restored, every order is confirmed, each exactly once, and the outbox
// drains.
func TestOrdersCommitWhileRabbitMQIsCut(t *testing.T) {
	t.Parallel()
	dbURL := testenv.DatabaseURL(t)
	client := pgdb.NewClient(testenv.DBAt(t, dbURL, 10))
	stores := store.New(client)
	// The topology the worker declares, deleted with its messages when the test ends.
	topology := rabbittest.Topology(t, rabbittest.Dial(t, rabbittest.URL(t)), rabbit.TopologyOptions{RetryDelay: 200 * time.Millisecond})
	amqpURL, proxy := testproxy.ForURL(t, rabbittest.URL(t))

	httpAddr := testserve.FreeAddr(t)
	vars := map[string]string{
		"DATABASE_URL":     dbURL,
		"AMQP_URL":         amqpURL,
		"AMQP_PREFIX":      topology.Prefix(),
		"RETRY_DELAY":      "200ms",
		"RELAY_INTERVAL":   "20ms",
		"HTTP_ADDR":        httpAddr,
		"SHUTDOWN_TIMEOUT": "10s",
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exited := make(chan error, 1)
	var logs testserve.Buffer
	go func() {
		exited <- run(ctx, []string{"worker"}, func(k string) string { return vars[k] }, &bytes.Buffer{}, &logs)
	}()
	testserve.WaitHealthy(t, httpAddr, exited)

	orders, err := ordering.NewService(ordering.Options{Repo: stores.Orders, CursorKey: bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		t.Fatal(err)
	}
	buyer, err := stores.Accounts.Create(t.Context(), accounts.Customer{Email: "buyer@example.com", Name: "Bo", Role: accounts.RoleCustomer, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	product, err := stores.Catalog.Create(t.Context(), catalog.NewProduct{SKU: "PEN-1", Name: "Pen", PriceCents: 100, Stock: 100_000})
	if err != nil {
		t.Fatal(err)
	}

	// Buyers place orders until told to stop: before, during and after the cut.
	var placed atomic.Int64
	stopBuying := make(chan struct{})
	var buyers sync.WaitGroup
	for range 4 {
		buyers.Go(func() {
			for {
				select {
				case <-stopBuying:
					return
				default:
				}
				_, _, err := orders.Place(t.Context(), ordering.PlaceRequest{
					CustomerID: buyer.ID,
					Items:      []ordering.Item{{ProductID: product.ID, Quantity: 1}},
				})
				if err != nil {
					t.Errorf("an order failed: %v", err)
					return
				}
				placed.Add(1)
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	confirmed := func() int { return count(t, client.OrderConfirmation.Query().Count) }
	waitUntil(t, 20*time.Second, "orders confirmed before the cut", func() bool { return confirmed() >= 10 })

	proxy.Cut()
	cutAt := placed.Load()
	waitUntil(t, 20*time.Second, "the worker not ready while RabbitMQ is cut", func() bool { return status(t, httpAddr, "/readyz") == http.StatusServiceUnavailable })
	waitUntil(t, 20*time.Second, "orders committed during the cut", func() bool { return placed.Load() >= cutAt+40 })
	pending := count(t, client.OutboxEvent.Query().Where(outboxevent.PublishedAtIsNil()).Count)
	if pending < 40 {
		t.Errorf("%d events wait in the outbox during the cut, want at least the 40 orders placed since", pending)
	}
	during := confirmed()

	proxy.Restore()
	time.Sleep(300 * time.Millisecond)
	close(stopBuying)
	buyers.Wait()
	total := int(placed.Load())
	waitUntil(t, 60*time.Second, fmt.Sprintf("all %d orders confirmed after the restore", total), func() bool { return confirmed() == total })
	if during >= total {
		t.Errorf("%d of %d orders were confirmed during the cut: the cut cut nothing", during, total)
	}
	if n := count(t, client.OutboxEvent.Query().Where(outboxevent.PublishedAtIsNil()).Count); n != 0 {
		t.Errorf("%d events still pending after the restore", n)
	}
	if n := count(t, client.Order.Query().Where(order.StatusNEQ(order.StatusConfirmed)).Count); n != 0 {
		t.Errorf("%d orders not confirmed", n)
	}
	if n := count(t, client.ProcessedMessage.Query().Count); n != total {
		t.Errorf("%d messages processed, want one per order (%d)", n, total)
	}
	if status(t, httpAddr, "/readyz") != http.StatusOK {
		t.Error("the worker is not ready again after the restore")
	}
	// Each order's event: exactly one confirmation (order_id is unique), and every confirmation
	// names an event of the outbox.
	var ids []uuid.UUID
	if err := client.OrderConfirmation.Query().Select("message_id").Scan(t.Context(), &ids); err != nil {
		t.Fatal(err)
	}
	if n := count(t, client.OutboxEvent.Query().Where(outboxevent.IDIn(ids...)).Count); n != total {
		t.Errorf("%d confirmations name an outbox event, want %d", n, total)
	}

	cancel()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func count(t *testing.T, query func(context.Context) (int, error)) int {
	t.Helper()
	n, err := query(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func status(t *testing.T, addr, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, http.NoBody)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func waitUntil(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waited %s for %s", timeout, what)
}
