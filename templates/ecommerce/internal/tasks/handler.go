package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/events"
)

// Errors of a message that can never be handled: handing it over again would fail again.
var (
	ErrUnknownType    = errors.New("tasks: unknown event type")
	ErrInvalidPayload = errors.New("tasks: invalid payload")
)

// PermanentError wraps an error that retrying cannot fix: the consumer parks the message at
// once instead of retrying it. Match the cause with errors.Is (ErrUnknownType,
// ErrInvalidPayload).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports that the error is permanent; the consumer looks for this method.
func (e *PermanentError) Permanent() bool { return true }

// Handler applies each event's effect through the Store, once per message ID.
type Handler struct {
	store  Store
	logger *slog.Logger
}

// NewHandler returns a Handler applying effects through store. A nil logger discards.
func NewHandler(store Store, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{store: store, logger: logger}
}

// Handle decodes e's payload by e.Type, validates it and applies its effect. An unknown type or
// a payload that does not decode or validate is a *PermanentError; a Store error is returned
// wrapped, to be retried. A message already processed is no error.
func (h *Handler) Handle(ctx context.Context, e events.Event) error {
	var (
		applied bool
		err     error
	)
	switch e.Type {
	case events.TypeOrderPlaced:
		var p events.OrderPlaced
		if err := decode(e, &p, validateOrderPlaced); err != nil {
			return err
		}
		applied, err = h.store.ConfirmOrder(ctx, e.ID, p)
	case events.TypeStockLow:
		var p events.StockLow
		if err := decode(e, &p, validateStockLow); err != nil {
			return err
		}
		applied, err = h.store.RecordStockAlert(ctx, e.ID, p)
	default:
		return &PermanentError{fmt.Errorf("%w %q (message %s)", ErrUnknownType, e.Type, e.ID)}
	}
	if err != nil {
		return fmt.Errorf("tasks: %s %s: %w", e.Type, e.ID, err)
	}
	if !applied {
		h.logger.InfoContext(ctx, "message already processed", slog.String("message_id", e.ID.String()), slog.String("type", e.Type))
	}
	return nil
}

// decode unmarshals e's payload into p and validates it. Unknown fields are allowed: a newer
// producer may add some.
func decode[T any](e events.Event, p *T, validate func(*T) error) error {
	if err := json.Unmarshal(e.Payload, p); err != nil {
		return &PermanentError{fmt.Errorf("%w: %s %s: %w", ErrInvalidPayload, e.Type, e.ID, err)}
	}
	if err := validate(p); err != nil {
		return &PermanentError{fmt.Errorf("%w: %s %s: %w", ErrInvalidPayload, e.Type, e.ID, err)}
	}
	return nil
}

func validateOrderPlaced(p *events.OrderPlaced) error {
	switch {
	case p.OrderID == uuid.Nil:
		return errors.New("order_id is required")
	case p.CustomerID == uuid.Nil:
		return errors.New("customer_id is required")
	case p.TotalCents < 0:
		return errors.New("total_cents must not be negative")
	case p.Lines < 1:
		return errors.New("lines must be at least 1")
	}
	return nil
}

func validateStockLow(p *events.StockLow) error {
	switch {
	case p.ProductID == uuid.Nil:
		return errors.New("product_id is required")
	case p.SKU == "":
		return errors.New("sku is required")
	case p.Stock < 0:
		return errors.New("stock must not be negative")
	case p.Threshold < 0:
		return errors.New("threshold must not be negative")
	}
	return nil
}
