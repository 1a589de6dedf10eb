package rabbit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/ecommerce/internal/events"
)

// death is an x-death entry as RabbitMQ writes it.
func death(queue, reason string, count int64) amqp.Table {
	return amqp.Table{"queue": queue, "reason": reason, "count": count, "exchange": "x", "routing-keys": []any{"k"}, "time": time.Now()}
}

func TestAttempt(t *testing.T) {
	t.Parallel()
	const q = "shop.order-confirmation"
	tests := []struct {
		name    string
		headers amqp.Table
		want    int
	}{
		{"first delivery", nil, 1},
		{"no x-death", amqp.Table{"aggregate_id": "a"}, 1},
		{"rejected once, expired once from the retry queue", amqp.Table{"x-death": []any{death(q+".retry", "expired", 1), death(q, "rejected", 1)}}, 2},
		{"rejected four times", amqp.Table{"x-death": []any{death(q+".retry", "expired", 4), death(q, "rejected", 4)}}, 5},
		{"over the delivery limit counts too", amqp.Table{"x-death": []any{death(q, "rejected", 2), death(q, "delivery_limit", 1)}}, 4},
		{"deaths in other queues do not count", amqp.Table{"x-death": []any{death("shop.stock-alert", "rejected", 3)}}, 1},
		{"int32 count", amqp.Table{"x-death": []any{amqp.Table{"queue": q, "reason": "rejected", "count": int32(2)}}}, 3},
		{"malformed x-death", amqp.Table{"x-death": "yes"}, 1},
		{"malformed entry", amqp.Table{"x-death": []any{"no", amqp.Table{"queue": q, "reason": "rejected", "count": "two"}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := attempt(tt.headers, q); got != tt.want {
				t.Errorf("attempt = %d, want %d", got, tt.want)
			}
		})
	}
}

type permanentError struct{ permanent bool }

func (e permanentError) Error() string   { return "p" }
func (e permanentError) Permanent() bool { return e.permanent }

func TestDecide(t *testing.T) {
	t.Parallel()
	failed := errors.New("database down")
	tests := []struct {
		name    string
		err     error
		attempt int
		want    action
	}{
		{"success", nil, 1, actionAck},
		{"success on the last attempt", nil, 5, actionAck},
		{"failure, attempts left", failed, 1, actionRetry},
		{"failure, one attempt left", failed, 4, actionRetry},
		{"failure on the last attempt", failed, 5, actionPark},
		{"failure past the last attempt", failed, 9, actionPark},
		{"permanent error on the first attempt", fmt.Errorf("handler: %w", permanentError{true}), 1, actionPark},
		{"Permanent() false retries", permanentError{false}, 1, actionRetry},
		{"malformed", fmt.Errorf("%w: no type", ErrMalformed), 1, actionPark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := decide(tt.err, tt.attempt, 5); got != tt.want {
				t.Errorf("decide = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	e := events.Event{
		ID:          uuid.New(),
		Type:        events.TypeOrderPlaced,
		AggregateID: uuid.New(),
		Payload:     []byte(`{"order_id":"x"}`),
		OccurredAt:  time.Date(2026, 3, 4, 5, 6, 7, 891011, time.UTC),
	}
	msg := encode(e)
	if msg.MessageId != e.ID.String() || msg.Type != e.Type || msg.ContentType != "application/json" || msg.DeliveryMode != amqp.Persistent || !msg.Timestamp.Equal(e.OccurredAt) {
		t.Errorf("encode = %+v", msg)
	}
	d := amqp.Delivery{MessageId: msg.MessageId, Type: msg.Type, ContentType: msg.ContentType, Headers: msg.Headers, Timestamp: msg.Timestamp.Truncate(time.Second), Body: msg.Body}
	got, err := decode(d)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != e.ID || got.Type != e.Type || got.AggregateID != e.AggregateID || string(got.Payload) != string(e.Payload) || !got.OccurredAt.Equal(e.OccurredAt) {
		t.Errorf("decode(encode(e)) = %+v, want %+v", got, e)
	}
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	id := uuid.NewString()
	tests := []struct {
		name string
		d    amqp.Delivery
	}{
		{"no message id", amqp.Delivery{Type: "order.placed"}},
		{"message id not a UUID", amqp.Delivery{MessageId: "42", Type: "order.placed"}},
		{"no type", amqp.Delivery{MessageId: id}},
		{"not JSON", amqp.Delivery{MessageId: id, Type: "order.placed", ContentType: "text/plain"}},
		{"bad aggregate id", amqp.Delivery{MessageId: id, Type: "order.placed", Headers: amqp.Table{"aggregate_id": "nope"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := decode(tt.d); !errors.Is(err, ErrMalformed) {
				t.Errorf("decode = %v, want ErrMalformed", err)
			}
		})
	}
	// What a foreign producer may leave out is not malformed.
	e, err := decode(amqp.Delivery{MessageId: id, Type: "order.placed", Timestamp: time.Unix(1700000000, 0)})
	if err != nil || e.AggregateID != uuid.Nil || !e.OccurredAt.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("minimal message = %+v, %v", e, err)
	}
}

func TestParkedKeepsTheMessage(t *testing.T) {
	t.Parallel()
	d := amqp.Delivery{MessageId: "m", Type: "order.placed", ContentType: ContentType, Body: []byte("{}"), Headers: amqp.Table{"aggregate_id": "a"}}
	p := parked(d, 3, errors.New("boom"))
	if p.MessageId != "m" || p.Type != d.Type || string(p.Body) != "{}" || p.DeliveryMode != amqp.Persistent {
		t.Errorf("parked = %+v", p)
	}
	if p.Headers["aggregate_id"] != "a" || p.Headers[headerParkedReason] != "boom" || p.Headers[headerParkedAttempts] != int64(3) {
		t.Errorf("parked headers = %v", p.Headers)
	}
	if _, ok := d.Headers[headerParkedReason]; ok {
		t.Error("parked changed the delivery's headers")
	}
}

func TestNewTopology(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "a b", ".shop", "shop*", strings.Repeat("a", 101)} {
		if _, err := NewTopology(TopologyOptions{Prefix: prefix}); err == nil {
			t.Errorf("NewTopology accepted prefix %q", prefix)
		}
	}
	if _, err := NewTopology(TopologyOptions{Prefix: "shop", Routes: []Route{{"a", "k"}, {"a", "j"}}}); err == nil {
		t.Error("NewTopology accepted a consumer routed twice")
	}
	if _, err := NewTopology(TopologyOptions{Prefix: "shop", MaxAttempts: -1}); err == nil {
		t.Error("NewTopology accepted negative attempts")
	}
	top, err := NewTopology(TopologyOptions{Prefix: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if top.MaxAttempts() != DefaultMaxAttempts || top.RetryDelay() != DefaultRetryDelay || len(top.Routes()) != 2 {
		t.Errorf("defaults: %d attempts, %v delay, %d routes", top.MaxAttempts(), top.RetryDelay(), len(top.Routes()))
	}
	names := map[string]string{
		top.Exchange():                            "shop.events",
		top.RetryExchange():                       "shop.retry",
		top.Queue(ConsumerOrderConfirmation):      "shop.order-confirmation",
		top.RetryQueue(ConsumerOrderConfirmation): "shop.order-confirmation.retry",
		top.ParkingQueue(ConsumerStockAlert):      "shop.stock-alert.parking",
	}
	for got, want := range names {
		if got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
}
