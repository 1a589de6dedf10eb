package catalog

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/ecommerce/internal/cursor"
)

type nopRepo struct{ Repository }

// FuzzDecodeCursor: whatever a client sends, DecodeCursor neither panics nor accepts a token it
// did not make; and whatever bytes a sealed token carries, a cursor it accepts encodes back to
// the same token and is for the list it was asked for.
func FuzzDecodeCursor(f *testing.F) {
	s, err := NewService(Options{Repo: nopRepo{}, CursorKey: []byte("0123456789abcdef")})
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range []Cursor{
		{Sort: SortCreated, CreatedAt: time.Unix(1, 2), ID: uuid.New()},
		{Sort: SortPrice, Desc: true, PriceCents: 1999, ID: uuid.New()},
		{Sort: SortName, Name: "Mug", ID: uuid.New()},
	} {
		tok, err := s.EncodeCursor(c)
		if err != nil {
			f.Fatal(err)
		}
		raw, err := s.sealer.Open(tok)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok, raw, uint8(0), false)
	}
	f.Add("", []byte{}, uint8(1), true)
	f.Add("AAAA", []byte{1, 3, 0}, uint8(2), false)
	sorts := []SortField{SortCreated, SortPrice, SortName}
	f.Fuzz(func(t *testing.T, token string, payload []byte, sortIndex uint8, desc bool) {
		sort := sorts[int(sortIndex)%len(sorts)]
		// A token from the client: only ours open, and a forged one is a field error.
		if c, err := s.DecodeCursor(token, sort, desc); err == nil {
			if _, openErr := s.sealer.Open(token); openErr != nil {
				t.Fatalf("DecodeCursor accepted %q, which is not sealed", token)
			}
			if c.Sort != sort || c.Desc != desc {
				t.Fatalf("DecodeCursor(%q, %s, %v) = a cursor for %s/%v", token, sort, desc, c.Sort, c.Desc)
			}
		} else if !errors.Is(err, ErrInvalidCursor) {
			t.Fatalf("DecodeCursor(%q) = %v, not ErrInvalidCursor", token, err)
		}
		// Any payload, sealed: the parser behind the seal.
		if len(payload) > cursor.MaxPayload {
			return
		}
		sealed, err := s.sealer.Seal(payload)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.DecodeCursor(sealed, sort, desc)
		if err != nil {
			if !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("DecodeCursor(sealed %x) = %v, not ErrInvalidCursor", payload, err)
			}
			return
		}
		if c.Sort != sort || c.Desc != desc {
			t.Fatalf("sealed %x decoded for %s/%v, asked %s/%v", payload, c.Sort, c.Desc, sort, desc)
		}
		again, err := s.EncodeCursor(c)
		if err != nil || again != sealed {
			t.Fatalf("sealed %x decodes to %+v, which encodes to %q (%v), not the token", payload, c, again, err)
		}
	})
}
