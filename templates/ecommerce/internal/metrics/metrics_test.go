package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"example.com/gopher-template/ecommerce/internal/httpapi"
	"example.com/gopher-template/ecommerce/internal/metrics"
	"example.com/gopher-template/ecommerce/internal/outbox"
	"example.com/gopher-template/ecommerce/internal/rabbit"
)

// The recorders implement the interfaces their packages declare.
var (
	_ httpapi.Recorder = (*metrics.HTTP)(nil)
	_ outbox.Recorder  = (*metrics.Outbox)(nil)
	_ rabbit.Recorder  = (*metrics.Consumers)(nil)
)

func TestNamespace(t *testing.T) {
	t.Parallel()
	tests := []struct{ app, want string }{
		{"ecommerce", "ecommerce"},
		{"my-shop", "my_shop"},
		{"shop-2-go", "shop_2_go"},
		{"2shop", "_2shop"},
		{"Shop.Front", "Shop_Front"},
		{"café", "caf_"},
		{"", ""},
	}
	valid := regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)?$`)
	for _, tt := range tests {
		got := metrics.Namespace(tt.app)
		if got != tt.want || !valid.MatchString(got) {
			t.Errorf("Namespace(%q) = %q, want %q", tt.app, got, tt.want)
		}
		if again := metrics.Namespace(got); again != got {
			t.Errorf("Namespace(%q) = %q: not idempotent", got, again)
		}
	}
}

// newRegistry is a registry with every recorder on it, for an app name with a dash.
func newRegistry(t *testing.T) (*prometheus.Registry, *metrics.HTTP, *metrics.Orders, *metrics.Outbox, *metrics.Consumers) {
	t.Helper()
	reg, err := metrics.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	h, err := metrics.NewHTTP(reg, "my-shop")
	if err != nil {
		t.Fatal(err)
	}
	o, err := metrics.NewOrders(reg, "my-shop", "insufficient_stock", "unknown_product")
	if err != nil {
		t.Fatal(err)
	}
	ob, err := metrics.NewOutbox(reg, "my-shop")
	if err != nil {
		t.Fatal(err)
	}
	c, err := metrics.NewConsumers(reg, "my-shop", rabbit.ConsumerOrderConfirmation, rabbit.ConsumerStockAlert)
	if err != nil {
		t.Fatal(err)
	}
	return reg, h, o, ob, c
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	reg, h, _, _, _ := newRegistry(t)
	h.ObserveRequest("/v1/products/:id", http.MethodGet, http.StatusOK, 3*time.Millisecond)
	h.ObserveRequest("/v1/products/:id", http.MethodGet, http.StatusOK, 30*time.Millisecond)
	h.ObserveRequest("/v1/orders", http.MethodPost, http.StatusConflict, time.Millisecond)
	h.ObserveRequest("", http.MethodGet, http.StatusNotFound, time.Millisecond)
	h.ObserveRequest("", "BREW", http.StatusNotFound, time.Millisecond)

	body := scrape(t, reg)
	for _, want := range []string{
		`my_shop_http_request_duration_seconds_count{method="get",route="/v1/products/:id",status="200"} 2`,
		`my_shop_http_request_duration_seconds_bucket{method="get",route="/v1/products/:id",status="200",le="0.005"} 1`,
		`my_shop_http_request_duration_seconds_count{method="post",route="/v1/orders",status="409"} 1`,
		`my_shop_http_request_duration_seconds_count{method="get",route="unmatched",status="404"} 1`,
		`my_shop_http_request_duration_seconds_count{method="other",route="unmatched",status="404"} 1`,
		"go_goroutines",
		"process_cpu_seconds_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestOrders(t *testing.T) {
	t.Parallel()
	reg, _, o, _, _ := newRegistry(t)
	o.OrderPlaced()
	o.OrderPlaced()
	o.OrderReplayed()
	o.OrderRejected("insufficient_stock")

	want := `
# HELP my_shop_orders_placed_total Orders placed: stock taken, order and outbox events committed.
# TYPE my_shop_orders_placed_total counter
my_shop_orders_placed_total 2
# HELP my_shop_orders_replayed_total Requests that repeated an Idempotency-Key and got the first order back, placing nothing.
# TYPE my_shop_orders_replayed_total counter
my_shop_orders_replayed_total 1
# HELP my_shop_orders_rejected_total Requests to place an order that placed nothing, by reason.
# TYPE my_shop_orders_rejected_total counter
my_shop_orders_rejected_total{reason="insufficient_stock"} 1
my_shop_orders_rejected_total{reason="unknown_product"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"my_shop_orders_placed_total", "my_shop_orders_replayed_total", "my_shop_orders_rejected_total"); err != nil {
		t.Fatal(err)
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	reg, _, _, ob, _ := newRegistry(t)
	ob.SetPending(120)
	ob.Relayed(100)
	ob.RelayFailed()
	ob.RelayFailed()
	ob.SetPending(20)
	ob.Relayed(-1) // never decreases a counter

	for name, want := range map[string]float64{
		"my_shop_outbox_pending_events":       20,
		"my_shop_outbox_published_total":      100,
		"my_shop_outbox_relay_failures_total": 2,
	} {
		if got := value(t, reg, name); got != want {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
}

func TestPollPending(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		reg, _, _, ob, _ := newRegistry(t)
		counts := []int{7, 3}
		var calls atomic.Int32
		count := func(ctx context.Context) (int, error) {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("count without a deadline")
			}
			n := int(calls.Add(1))
			if n > len(counts) {
				return 0, errors.New("database down")
			}
			return counts[n-1], nil
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			ob.PollPending(ctx, 5*time.Second, count)
		}()

		synctest.Wait() // the first count, at once
		if got := value(t, reg, "my_shop_outbox_pending_events"); got != 7 || calls.Load() != 1 {
			t.Errorf("at once: pending %g after %d counts, want 7 after 1", got, calls.Load())
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := value(t, reg, "my_shop_outbox_pending_events"); got != 3 || calls.Load() != 2 {
			t.Errorf("after one interval: pending %g after %d counts, want 3 after 2", got, calls.Load())
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := value(t, reg, "my_shop_outbox_pending_events"); got != 3 || calls.Load() != 3 {
			t.Errorf("after a failed count: pending %g after %d counts, want it kept at 3 after 3", got, calls.Load())
		}
		cancel()
		<-done
	})
}

func TestConsumers(t *testing.T) {
	t.Parallel()
	reg, _, _, _, c := newRegistry(t)
	c.Handled("order-confirmation", rabbit.OutcomeAcked, 2*time.Millisecond)
	c.Handled("order-confirmation", rabbit.OutcomeAcked, 3*time.Millisecond)
	c.Duplicate("order-confirmation")
	c.Handled("stock-alert", rabbit.OutcomeRetried, time.Millisecond)
	c.Handled("stock-alert", rabbit.OutcomeParked, time.Millisecond)

	// Every consumer's outcomes exist from the start, at zero until they happen.
	if n := testutil.CollectAndCount(reg, "my_shop_consumer_messages_total"); n != 8 {
		t.Errorf("my_shop_consumer_messages_total has %d series, want 8 (2 consumers × 4 outcomes)", n)
	}
	body := scrape(t, reg)
	for _, want := range []string{
		`my_shop_consumer_messages_total{consumer="order-confirmation",outcome="acked"} 2`,
		`my_shop_consumer_messages_total{consumer="order-confirmation",outcome="parked"} 0`,
		`my_shop_consumer_messages_total{consumer="order-confirmation",outcome="unsettled"} 0`,
		`my_shop_consumer_messages_total{consumer="stock-alert",outcome="retried"} 1`,
		`my_shop_consumer_messages_total{consumer="stock-alert",outcome="parked"} 1`,
		`my_shop_consumer_duplicates_total{consumer="order-confirmation"} 1`,
		`my_shop_consumer_duplicates_total{consumer="stock-alert"} 0`,
		`my_shop_consumer_handling_duration_seconds_count{consumer="order-confirmation"} 2`,
		`my_shop_consumer_handling_duration_seconds_count{consumer="stock-alert"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// No metric name carries a dash, and every one follows Prometheus' naming conventions.
func TestNamesAreValidAndLintClean(t *testing.T) {
	t.Parallel()
	reg, h, o, ob, c := newRegistry(t)
	h.ObserveRequest("/v1/orders", http.MethodPost, http.StatusCreated, time.Millisecond)
	o.OrderPlaced()
	ob.SetPending(1)
	c.Handled(rabbit.ConsumerOrderConfirmation, rabbit.OutcomeAcked, time.Millisecond)
	c.Duplicate(rabbit.ConsumerOrderConfirmation)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ours int
	for _, f := range families {
		if strings.Contains(f.GetName(), "-") {
			t.Errorf("metric name %q has a dash", f.GetName())
		}
		if !strings.HasPrefix(f.GetName(), "my_shop_") {
			continue
		}
		ours++
		problems, err := testutil.GatherAndLint(reg, f.GetName())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
	if ours != 10 {
		t.Errorf("%d my_shop_ metrics, want 10", ours)
	}
}

// Each binary registers a recorder once; a second registration is an error, not a panic.
func TestRegisteringTwiceFails(t *testing.T) {
	t.Parallel()
	reg, _, _, _, _ := newRegistry(t)
	for name, again := range map[string]func() error{
		"http":      func() error { _, err := metrics.NewHTTP(reg, "my-shop"); return err },
		"orders":    func() error { _, err := metrics.NewOrders(reg, "my-shop"); return err },
		"outbox":    func() error { _, err := metrics.NewOutbox(reg, "my-shop"); return err },
		"consumers": func() error { _, err := metrics.NewConsumers(reg, "my-shop"); return err },
	} {
		if err := again(); err == nil {
			t.Errorf("registering the %s metrics twice succeeded", name)
		}
	}
	// Under another namespace, the same recorders coexist.
	if _, err := metrics.NewOrders(reg, "other"); err != nil {
		t.Errorf("orders under another namespace: %v", err)
	}
}

func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", http.NoBody))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

// value is the value of the one unlabelled series of a counter or gauge.
func value(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()[0]
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}
