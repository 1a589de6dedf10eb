package rabbit

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/ecommerce/internal/events"
)

// ContentType is the content type of every event: its payload is JSON.
const ContentType = "application/json"

// Headers of an event message beside its properties.
const (
	headerAggregateID = "aggregate_id"
	// headerOccurredAt keeps the nanoseconds the AMQP timestamp (seconds) drops.
	headerOccurredAt = "occurred_at"
	// headerParkedReason and headerParkedAttempts say why and after how many attempts a
	// message was parked.
	headerParkedReason   = "x-parked-reason"
	headerParkedAttempts = "x-parked-attempts"
)

// ErrMalformed marks a delivery that is not an event message: no usable message ID, no type,
// or a content type other than JSON. It is parked at once.
var ErrMalformed = errors.New("rabbit: malformed message")

// encode is the message of e: message ID = event ID, type = event type, JSON, persistent.
func encode(e events.Event) amqp.Publishing {
	headers := amqp.Table{headerOccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano)}
	if e.AggregateID != uuid.Nil {
		headers[headerAggregateID] = e.AggregateID.String()
	}
	return amqp.Publishing{
		Headers:      headers,
		ContentType:  ContentType,
		DeliveryMode: amqp.Persistent,
		MessageId:    e.ID.String(),
		Timestamp:    e.OccurredAt,
		Type:         e.Type,
		Body:         e.Payload,
	}
}

// decode is the event a delivery carries, or an error wrapping ErrMalformed.
func decode(d amqp.Delivery) (events.Event, error) {
	id, err := uuid.Parse(d.MessageId)
	if err != nil {
		return events.Event{}, fmt.Errorf("%w: message id %q: %w", ErrMalformed, d.MessageId, err)
	}
	if d.Type == "" {
		return events.Event{}, fmt.Errorf("%w: message %s has no type", ErrMalformed, id)
	}
	if d.ContentType != "" && d.ContentType != ContentType {
		return events.Event{}, fmt.Errorf("%w: message %s has content type %q, want %s", ErrMalformed, id, d.ContentType, ContentType)
	}
	e := events.Event{ID: id, Type: d.Type, Payload: d.Body, OccurredAt: d.Timestamp}
	if s, ok := d.Headers[headerAggregateID].(string); ok {
		if e.AggregateID, err = uuid.Parse(s); err != nil {
			return events.Event{}, fmt.Errorf("%w: message %s: aggregate id %q: %w", ErrMalformed, id, s, err)
		}
	}
	if s, ok := d.Headers[headerOccurredAt].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			e.OccurredAt = t
		}
	}
	return e, nil
}

// attempt is the number of the attempt a delivery from queue is: 1, plus the times the
// message was dead-lettered from queue (rejected by a consumer, or over a quorum queue's
// delivery limit), which RabbitMQ counts in the x-death header.
func attempt(headers amqp.Table, queue string) int {
	deaths, _ := headers["x-death"].([]any)
	n := 1
	for _, d := range deaths {
		death, ok := d.(amqp.Table)
		if !ok || death["queue"] != queue {
			continue
		}
		if reason := death["reason"]; reason != "rejected" && reason != "delivery_limit" {
			continue
		}
		switch c := death["count"].(type) {
		case int64:
			n += int(c)
		case int32:
			n += int(c)
		case int:
			n += c
		}
	}
	return n
}

// action is what becomes of a handled delivery.
type action int

const (
	actionAck   action = iota // done
	actionRetry               // rejected: dead-letters to the retry queue
	actionPark                // published to the parking queue, then acked
)

// permanent reports whether err says that trying again cannot help: an error in its chain has
// a Permanent() bool method that returns true.
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// decide is the action after the attempt-th attempt ended with err.
func decide(err error, attempt, maxAttempts int) action {
	switch {
	case err == nil:
		return actionAck
	case errors.Is(err, ErrMalformed), permanent(err), attempt >= maxAttempts:
		return actionPark
	default:
		return actionRetry
	}
}

// parked is the message to put in the parking queue for d: d as it came, with why it was
// parked.
func parked(d amqp.Delivery, attempts int, reason error) amqp.Publishing {
	headers := amqp.Table{}
	for k, v := range d.Headers {
		headers[k] = v
	}
	msg := reason.Error()
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	headers[headerParkedReason] = msg
	headers[headerParkedAttempts] = int64(attempts)
	return amqp.Publishing{
		Headers:         headers,
		ContentType:     d.ContentType,
		ContentEncoding: d.ContentEncoding,
		DeliveryMode:    amqp.Persistent,
		CorrelationId:   d.CorrelationId,
		MessageId:       d.MessageId,
		Timestamp:       d.Timestamp,
		Type:            d.Type,
		AppId:           d.AppId,
		Body:            d.Body,
	}
}
