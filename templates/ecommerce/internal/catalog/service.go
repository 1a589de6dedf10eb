package catalog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/cursor"
)

// Limits of a product and of a list. Field names in errors are those of the HTTP API.
const (
	MaxSKULength         = 64
	MaxNameLength        = 200
	MaxDescriptionLength = 10_000
	MaxPriceCents        = 100_000_000_000
	MaxStock             = 1_000_000_000
	MaxSearchLength      = 100

	DefaultLimit = 20
	MaxLimit     = 100
)

// FieldError is a field of a request that breaks a rule. Field is the field's name in the HTTP
// API (price_cents, cursor, …): the transport shows it as it is.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Invalid returns the field and the rule it breaks.
func (e *FieldError) Invalid() (field, reason string) { return e.Field, e.Reason }

// ErrInvalidCursor is wrapped by the FieldError of a cursor that is not one this service made
// for the list's sort and order.
var ErrInvalidCursor = errors.New("invalid cursor")

// Options configure a Service.
type Options struct {
	Repo Repository
	// CursorKey seals list cursors (at least cursor.MinKeyLength bytes). Every replica must have
	// the same key, or a page's cursor fails on another replica.
	CursorKey []byte
}

// Service is the catalog's use cases: it validates requests, bounds lists and seals their
// cursors, and leaves storage to the Repository.
type Service struct {
	repo   Repository
	sealer *cursor.Sealer
}

// NewService returns a Service.
func NewService(opts Options) (*Service, error) {
	if opts.Repo == nil {
		return nil, errors.New("catalog: a repository is required")
	}
	sealer, err := cursor.NewSealer(opts.CursorKey, "catalog.products")
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return &Service{repo: opts.Repo, sealer: sealer}, nil
}

// Create validates p and stores it: a *FieldError (joined, one per field), ErrSKUTaken, or the
// repository's error.
func (s *Service) Create(ctx context.Context, p NewProduct) (Product, error) {
	p.SKU = strings.TrimSpace(p.SKU)
	p.Name = strings.TrimSpace(p.Name)
	if err := errors.Join(validateSKU(p.SKU), validateFields(p.Name, p.Description, p.PriceCents, p.Stock)); err != nil {
		return Product{}, err
	}
	created, err := s.repo.Create(ctx, p)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: create: %w", err)
	}
	return created, nil
}

// Get returns the product: ErrNotFound if there is none.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Product, error) {
	p, err := s.repo.Get(ctx, id)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: get: %w", err)
	}
	return p, nil
}

// Update replaces the product's mutable fields if pre holds (the zero Precondition: whatever its
// state): *FieldError, ErrNotFound or ErrVersionMismatch.
func (s *Service) Update(ctx context.Context, id uuid.UUID, pre Precondition, c Change) (Product, error) {
	c.Name = strings.TrimSpace(c.Name)
	if err := validateFields(c.Name, c.Description, c.PriceCents, c.Stock); err != nil {
		return Product{}, err
	}
	if !possible(pre) {
		return Product{}, fmt.Errorf("catalog: update: %w", ErrVersionMismatch)
	}
	p, err := s.repo.Update(ctx, id, pre, c)
	if err != nil {
		return Product{}, fmt.Errorf("catalog: update: %w", err)
	}
	return p, nil
}

// Delete removes the product if pre holds (the zero Precondition: whatever its state):
// ErrNotFound, ErrVersionMismatch or ErrInUse.
func (s *Service) Delete(ctx context.Context, id uuid.UUID, pre Precondition) error {
	if !possible(pre) {
		return fmt.Errorf("catalog: delete: %w", ErrVersionMismatch)
	}
	if err := s.repo.Delete(ctx, id, pre); err != nil {
		return fmt.Errorf("catalog: delete: %w", err)
	}
	return nil
}

// possible reports whether a product can be in the state pre expects; one that cannot never
// holds, and the repository is not asked.
func possible(pre Precondition) bool {
	return pre.Unconditional() || (pre.Version > 0 && pre.Stock >= 0)
}

// ListRequest is a page of the catalog as a client asks for it.
type ListRequest struct {
	// Cursor is the previous page's NextCursor; empty starts at the beginning.
	Cursor string
	// Limit is the page size: 0 means DefaultLimit, at most MaxLimit.
	Limit int
	// Sort is the order of the list; empty means SortCreated. Desc reverses it.
	Sort SortField
	Desc bool
	// Filters: nil or empty do not filter.
	MinPriceCents *int64
	MaxPriceCents *int64
	Search        string
	InStock       bool
}

// ListResult is one page; NextCursor is empty on the last page.
type ListResult struct {
	Items      []Product
	NextCursor string
}

// List returns a page of products: a *FieldError (joined) for a request that breaks the rules,
// among them a cursor that is not one this service made for the same sort and order.
func (s *Service) List(ctx context.Context, r ListRequest) (ListResult, error) {
	q := ListQuery{Limit: r.Limit, Sort: r.Sort, Desc: r.Desc, MinPriceCents: r.MinPriceCents,
		MaxPriceCents: r.MaxPriceCents, Search: strings.TrimSpace(r.Search), InStock: r.InStock}
	if q.Sort == "" {
		q.Sort = SortCreated
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	var errs []error
	if q.Limit < 1 || q.Limit > MaxLimit {
		errs = append(errs, &FieldError{"limit", fmt.Sprintf("must be between 1 and %d", MaxLimit)})
	}
	if !validSort(q.Sort) {
		errs = append(errs, &FieldError{"sort", "must be created_at, price or name"})
	}
	if q.MinPriceCents != nil && *q.MinPriceCents < 0 {
		errs = append(errs, &FieldError{"min_price", "must not be negative"})
	}
	if q.MaxPriceCents != nil && *q.MaxPriceCents < 0 {
		errs = append(errs, &FieldError{"max_price", "must not be negative"})
	}
	if q.MinPriceCents != nil && q.MaxPriceCents != nil && *q.MaxPriceCents < *q.MinPriceCents {
		errs = append(errs, &FieldError{"max_price", "must not be below min_price"})
	}
	if !isText(q.Search) {
		errs = append(errs, &FieldError{"q", notText})
	} else if utf8.RuneCountInString(q.Search) > MaxSearchLength {
		errs = append(errs, &FieldError{"q", fmt.Sprintf("must be at most %d characters", MaxSearchLength)})
	}
	if r.Cursor != "" && validSort(q.Sort) {
		after, err := s.DecodeCursor(r.Cursor, q.Sort, q.Desc)
		if err != nil {
			errs = append(errs, err)
		}
		q.After = &after
	}
	if err := errors.Join(errs...); err != nil {
		return ListResult{}, err
	}
	page, err := s.repo.List(ctx, q)
	if err != nil {
		return ListResult{}, fmt.Errorf("catalog: list: %w", err)
	}
	res := ListResult{Items: page.Items}
	if page.Next != nil {
		if res.NextCursor, err = s.EncodeCursor(*page.Next); err != nil {
			return ListResult{}, fmt.Errorf("catalog: list: %w", err)
		}
	}
	return res, nil
}

// The cursor payload: version, sort, direction, the last item's ID and its sort key
// (created_at as Unix nanoseconds, the price as int64, or the name's bytes).
const (
	cursorVersion   = 1
	cursorHeaderLen = 3 + 16
)

// The cursor of any name fits in a token (MaxNameLength characters of up to four bytes): the
// build fails here otherwise.
var _ [cursor.MaxPayload - cursorHeaderLen - utf8.UTFMax*MaxNameLength]struct{}

var sortCodes = map[SortField]byte{SortCreated: 1, SortPrice: 2, SortName: 3}

// EncodeCursor returns the opaque token of c.
func (s *Service) EncodeCursor(c Cursor) (string, error) {
	code, ok := sortCodes[c.Sort]
	if !ok {
		return "", fmt.Errorf("catalog: cursor of unknown sort %q", c.Sort)
	}
	buf := make([]byte, 0, cursorHeaderLen+8)
	buf = append(buf, cursorVersion, code, boolByte(c.Desc))
	buf = append(buf, c.ID[:]...)
	switch c.Sort {
	case SortCreated:
		buf = binary.BigEndian.AppendUint64(buf, uint64(c.CreatedAt.UnixNano())) //nolint:gosec // G115: the bits round-trip through int64
	case SortPrice:
		buf = binary.BigEndian.AppendUint64(buf, uint64(c.PriceCents)) //nolint:gosec // G115: the bits round-trip through int64
	case SortName:
		buf = append(buf, c.Name...)
	}
	return s.sealer.Seal(buf)
}

// DecodeCursor opens a token EncodeCursor made and checks that it was made for a list with
// this sort and direction. Every failure is a *FieldError on "cursor" wrapping
// ErrInvalidCursor.
func (s *Service) DecodeCursor(token string, sort SortField, desc bool) (Cursor, error) {
	invalid := func(reason string) (Cursor, error) {
		return Cursor{}, fmt.Errorf("%w: %w", &FieldError{"cursor", reason}, ErrInvalidCursor)
	}
	raw, err := s.sealer.Open(token)
	if err != nil {
		return invalid("is not a cursor of this list")
	}
	if len(raw) < cursorHeaderLen || raw[0] != cursorVersion {
		return invalid("is not a cursor of this list")
	}
	c := Cursor{Desc: raw[2] == 1, ID: uuid.UUID(raw[3:cursorHeaderLen])}
	for field, code := range sortCodes {
		if raw[1] == code {
			c.Sort = field
		}
	}
	if c.Sort == "" || raw[2] > 1 || c.Sort != sort || c.Desc != desc {
		return invalid("was made for another sort or order; start again without it")
	}
	key := raw[cursorHeaderLen:]
	switch c.Sort {
	case SortCreated, SortPrice:
		if len(key) != 8 {
			return invalid("is not a cursor of this list")
		}
		n := int64(binary.BigEndian.Uint64(key)) //nolint:gosec // G115: the bits round-trip through uint64
		if c.Sort == SortCreated {
			c.CreatedAt = time.Unix(0, n).UTC()
		} else {
			c.PriceCents = n
		}
	case SortName:
		if !utf8.Valid(key) || len(key) > utf8.UTFMax*MaxNameLength {
			return invalid("is not a cursor of this list")
		}
		c.Name = string(key)
	}
	return c, nil
}

func validSort(s SortField) bool {
	_, ok := sortCodes[s]
	return ok
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// notText is the reason of a field that isText refuses.
const notText = "must be UTF-8 text without NUL characters"

// isText reports whether s is text the store can hold: valid UTF-8 without NUL characters
// (PostgreSQL refuses both in text columns and parameters).
func isText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func validateSKU(sku string) error {
	if sku == "" || len(sku) > MaxSKULength {
		return &FieldError{"sku", fmt.Sprintf("must be 1 to %d characters", MaxSKULength)}
	}
	if !ValidSKU(sku) {
		return &FieldError{"sku", "may hold only letters, digits, '.', '_' and '-'"}
	}
	return nil
}

// ValidSKU reports whether sku holds only the characters a SKU may: ASCII letters, digits, '.',
// '_' and '-'.
func ValidSKU(sku string) bool {
	for _, r := range sku {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '.' && r != '_' && r != '-' {
			return false
		}
	}
	return sku != ""
}

func validateFields(name, description string, priceCents int64, stock int) error {
	var errs []error
	switch {
	case !isText(name):
		errs = append(errs, &FieldError{"name", notText})
	case name == "" || utf8.RuneCountInString(name) > MaxNameLength:
		errs = append(errs, &FieldError{"name", fmt.Sprintf("must be 1 to %d characters", MaxNameLength)})
	}
	switch {
	case !isText(description):
		errs = append(errs, &FieldError{"description", notText})
	case utf8.RuneCountInString(description) > MaxDescriptionLength:
		errs = append(errs, &FieldError{"description", fmt.Sprintf("must be at most %d characters", MaxDescriptionLength)})
	}
	if priceCents < 0 || priceCents > MaxPriceCents {
		errs = append(errs, &FieldError{"price_cents", fmt.Sprintf("must be between 0 and %d", int64(MaxPriceCents))})
	}
	if stock < 0 || stock > MaxStock {
		errs = append(errs, &FieldError{"stock", fmt.Sprintf("must be between 0 and %d", MaxStock)})
	}
	return errors.Join(errs...)
}
