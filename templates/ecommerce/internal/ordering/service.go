package ordering

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/cursor"
)

// Limits of an order and of a list. Field names in errors are those of the HTTP API.
const (
	MaxItems                = 50
	MaxQuantity             = 1000
	MaxIdempotencyKeyLength = 255

	DefaultLimit = 20
	MaxLimit     = 100
)

// FieldError is a field of a request that breaks a rule. Field is its path in the HTTP API's
// JSON names (items[2].quantity) or the parameter's name (Idempotency-Key, cursor).
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Invalid returns the field and the rule it breaks.
func (e *FieldError) Invalid() (field, reason string) { return e.Field, e.Reason }

// ErrInvalidCursor is wrapped by the FieldError of a cursor this service did not make.
var ErrInvalidCursor = errors.New("invalid cursor")

// Recorder counts what became of the requests to place an order, for metrics
// (*metrics.Orders).
type Recorder interface {
	OrderPlaced()
	OrderReplayed()
	// OrderRejected counts a request that placed nothing; reason is one of RejectionReasons.
	OrderRejected(reason string)
}

// The reasons OrderRejected is given.
const (
	RejectedInvalid             = "invalid"
	RejectedInsufficientStock   = "insufficient_stock"
	RejectedUnknownProduct      = "unknown_product"
	RejectedIdempotencyConflict = "idempotency_conflict"
	RejectedError               = "error"
)

// RejectionReasons are every reason OrderRejected may be given, for a metric to start each
// series at zero.
var RejectionReasons = []string{RejectedInvalid, RejectedInsufficientStock, RejectedUnknownProduct, RejectedIdempotencyConflict, RejectedError}

// Options configure a Service.
type Options struct {
	Repo Repository
	// CursorKey seals list cursors (at least cursor.MinKeyLength bytes), the same on every
	// replica.
	CursorKey []byte
	// LowStockThreshold: an order that leaves a product's stock below it writes a stock.low
	// event. 0 writes none.
	LowStockThreshold int
	// Recorder, if set, counts placements, replays and rejections.
	Recorder Recorder
}

// Service is the ordering use cases: it validates a purchase, computes its request hash for
// idempotency, and checks who may see an order.
type Service struct {
	repo      Repository
	sealer    *cursor.Sealer
	threshold int
	rec       Recorder
}

// NewService returns a Service.
func NewService(opts Options) (*Service, error) {
	if opts.Repo == nil {
		return nil, errors.New("ordering: a repository is required")
	}
	if opts.LowStockThreshold < 0 {
		return nil, errors.New("ordering: LowStockThreshold must not be negative")
	}
	sealer, err := cursor.NewSealer(opts.CursorKey, "ordering.orders")
	if err != nil {
		return nil, fmt.Errorf("ordering: %w", err)
	}
	rec := opts.Recorder
	if rec == nil {
		rec = nopRecorder{}
	}
	return &Service{repo: opts.Repo, sealer: sealer, threshold: opts.LowStockThreshold, rec: rec}, nil
}

type nopRecorder struct{}

func (nopRecorder) OrderPlaced()         {}
func (nopRecorder) OrderReplayed()       {}
func (nopRecorder) OrderRejected(string) {}

// PlaceRequest is a customer's request to buy.
type PlaceRequest struct {
	CustomerID uuid.UUID
	Items      []Item
	// IdempotencyKey, when not empty, makes the request idempotent for this customer.
	IdempotencyKey string
}

// Place validates the request and places the order. replayed is true when an earlier request
// with the same key and items was answered instead. Errors: a *FieldError (joined),
// ErrIdempotencyConflict, *InsufficientStockError, *UnknownProductError, or the repository's.
func (s *Service) Place(ctx context.Context, r PlaceRequest) (order Order, replayed bool, err error) {
	if r.CustomerID == uuid.Nil {
		return Order{}, false, errors.New("ordering: place: no customer")
	}
	if err := errors.Join(validateItems(r.Items), validateIdempotencyKey(r.IdempotencyKey)); err != nil {
		s.rec.OrderRejected(RejectedInvalid)
		return Order{}, false, err
	}
	cmd := PlaceCommand{CustomerID: r.CustomerID, Items: r.Items, IdempotencyKey: r.IdempotencyKey,
		LowStockThreshold: s.threshold}
	if r.IdempotencyKey != "" {
		cmd.RequestHash = RequestHash(r.Items)
	}
	order, replayed, err = s.repo.Place(ctx, cmd)
	switch {
	case err != nil:
		s.rec.OrderRejected(rejection(err))
		return Order{}, false, fmt.Errorf("ordering: place: %w", err)
	case replayed:
		s.rec.OrderReplayed()
	default:
		s.rec.OrderPlaced()
	}
	return order, replayed, nil
}

// rejection is the reason recorded for a placement that failed with err.
func rejection(err error) string {
	var short *InsufficientStockError
	var unknown *UnknownProductError
	switch {
	case errors.As(err, &short):
		return RejectedInsufficientStock
	case errors.As(err, &unknown):
		return RejectedUnknownProduct
	case errors.Is(err, ErrIdempotencyConflict):
		return RejectedIdempotencyConflict
	default:
		return RejectedError
	}
}

// Caller is who asks to see orders.
type Caller struct {
	CustomerID uuid.UUID
	// Admin callers see every order.
	Admin bool
}

// Get returns the order if the caller may see it: its owner or an admin. Anyone else gets
// ErrNotFound, as for an order that does not exist: the answer does not tell which IDs exist.
func (s *Service) Get(ctx context.Context, caller Caller, id uuid.UUID) (Order, error) {
	o, err := s.repo.Get(ctx, id)
	if err != nil {
		return Order{}, fmt.Errorf("ordering: get: %w", err)
	}
	if !caller.Admin && o.CustomerID != caller.CustomerID {
		return Order{}, fmt.Errorf("ordering: get: %w", ErrNotFound)
	}
	return o, nil
}

// ListRequest is a page of a customer's orders as a client asks for it.
type ListRequest struct {
	CustomerID uuid.UUID
	// Cursor is the previous page's NextCursor; empty starts with the newest order.
	Cursor string
	// Limit is the page size: 0 means DefaultLimit, at most MaxLimit.
	Limit int
}

// ListResult is one page, newest first; NextCursor is empty on the last page.
type ListResult struct {
	Items      []Order
	NextCursor string
}

// List returns a page of the customer's orders: a *FieldError (joined) for a request that
// breaks the rules.
func (s *Service) List(ctx context.Context, r ListRequest) (ListResult, error) {
	limit := r.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	var errs []error
	if limit < 1 || limit > MaxLimit {
		errs = append(errs, &FieldError{"limit", fmt.Sprintf("must be between 1 and %d", MaxLimit)})
	}
	var after *Cursor
	if r.Cursor != "" {
		c, err := s.DecodeCursor(r.Cursor)
		if err != nil {
			errs = append(errs, err)
		}
		after = &c
	}
	if err := errors.Join(errs...); err != nil {
		return ListResult{}, err
	}
	items, next, err := s.repo.ListByCustomer(ctx, r.CustomerID, after, limit)
	if err != nil {
		return ListResult{}, fmt.Errorf("ordering: list: %w", err)
	}
	res := ListResult{Items: items}
	if next != nil {
		if res.NextCursor, err = s.EncodeCursor(*next); err != nil {
			return ListResult{}, fmt.Errorf("ordering: list: %w", err)
		}
	}
	return res, nil
}

const cursorVersion = 1

// EncodeCursor returns the opaque token of c.
func (s *Service) EncodeCursor(c Cursor) (string, error) {
	buf := make([]byte, 0, 1+8+16)
	buf = append(buf, cursorVersion)
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.CreatedAt.UnixNano())) //nolint:gosec // G115: the bits round-trip through int64
	buf = append(buf, c.ID[:]...)
	return s.sealer.Seal(buf)
}

// DecodeCursor opens a token EncodeCursor made: any other token is a *FieldError on "cursor"
// wrapping ErrInvalidCursor.
func (s *Service) DecodeCursor(token string) (Cursor, error) {
	raw, err := s.sealer.Open(token)
	if err != nil || len(raw) != 1+8+16 || raw[0] != cursorVersion {
		return Cursor{}, fmt.Errorf("%w: %w", &FieldError{"cursor", "is not a cursor of this list"}, ErrInvalidCursor)
	}
	n := int64(binary.BigEndian.Uint64(raw[1:9])) //nolint:gosec // G115: the bits round-trip through uint64
	return Cursor{CreatedAt: time.Unix(0, n).UTC(), ID: uuid.UUID(raw[9:])}, nil
}

// RequestHash is the SHA-256, in hex, of a canonical form of the items: one line per item,
// "<product id>:<quantity>\n", sorted by product ID. Two requests that differ only in the order
// of their items, in their JSON key order or in their whitespace have the same hash.
func RequestHash(items []Item) string {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b Item) int { return bytes.Compare(a.ProductID[:], b.ProductID[:]) })
	h := sha256.New()
	for _, it := range sorted {
		h.Write([]byte(it.ProductID.String()))
		h.Write([]byte{':'})
		h.Write(strconv.AppendInt(nil, int64(it.Quantity), 10))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func validateItems(items []Item) error {
	if len(items) < 1 || len(items) > MaxItems {
		return &FieldError{"items", fmt.Sprintf("must have 1 to %d lines", MaxItems)}
	}
	var errs []error
	seen := make(map[uuid.UUID]int, len(items))
	for i, it := range items {
		switch first, dup := seen[it.ProductID]; {
		case it.ProductID == uuid.Nil:
			errs = append(errs, &FieldError{fmt.Sprintf("items[%d].product_id", i), "is required"})
		case dup:
			errs = append(errs, &FieldError{fmt.Sprintf("items[%d].product_id", i), fmt.Sprintf("repeats items[%d]: a product may appear once", first)})
		default:
			seen[it.ProductID] = i
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			errs = append(errs, &FieldError{fmt.Sprintf("items[%d].quantity", i), fmt.Sprintf("must be between 1 and %d", MaxQuantity)})
		}
	}
	return errors.Join(errs...)
}

// ValidIdempotencyKey reports whether key may be an Idempotency-Key: 1 to 255 printable ASCII
// characters other than space.
func ValidIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKeyLength {
		return false
	}
	for i := range len(key) {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

func validateIdempotencyKey(key string) error {
	if key != "" && !ValidIdempotencyKey(key) {
		return &FieldError{"Idempotency-Key", fmt.Sprintf("must be 1 to %d printable ASCII characters without spaces", MaxIdempotencyKeyLength)}
	}
	return nil
}
