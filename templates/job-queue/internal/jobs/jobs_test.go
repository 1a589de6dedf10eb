package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/jobs/jobstest"
)

var errUnavailable = errors.New("unavailable")

func TestService_Enqueue(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name         string
		req          jobs.Request
		wantErr      error
		wantAttempts int
		wantPayload  string
	}{
		{name: "defaults", req: jobs.Request{Type: "echo"}, wantAttempts: 5, wantPayload: `{}`},
		{name: "explicit attempts", req: jobs.Request{Type: "echo", MaxAttempts: 25}, wantAttempts: 25, wantPayload: `{}`},
		{name: "payload kept", req: jobs.Request{Type: "flaky", Payload: json.RawMessage(`{"fail_times":2}`)}, wantAttempts: 5, wantPayload: `{"fail_times":2}`},
		{name: "null payload", req: jobs.Request{Type: "echo", Payload: json.RawMessage(`null`)}, wantAttempts: 5, wantPayload: `{}`},
		{name: "too many attempts", req: jobs.Request{Type: "echo", MaxAttempts: 26}, wantErr: jobs.ErrInvalid},
		{name: "negative attempts", req: jobs.Request{Type: "echo", MaxAttempts: -1}, wantErr: jobs.ErrInvalid},
		{name: "missing type", req: jobs.Request{}, wantErr: jobs.ErrInvalid},
		{name: "type with subject wildcard", req: jobs.Request{Type: "a.>"}, wantErr: jobs.ErrInvalid},
		{name: "upper-case type", req: jobs.Request{Type: "Echo"}, wantErr: jobs.ErrInvalid},
		{name: "invalid payload", req: jobs.Request{Type: "echo", Payload: json.RawMessage(`{`)}, wantErr: jobs.ErrInvalid},
		{name: "huge idempotency key", req: jobs.Request{Type: "echo", IdempotencyKey: string(make([]byte, 257))}, wantErr: jobs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, pub := jobstest.NewStore(), &jobstest.Publisher{}
			svc, err := jobs.NewService(store, pub, 5)
			if err != nil {
				t.Fatal(err)
			}

			res, err := svc.Enqueue(t.Context(), tt.req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Enqueue error = %v, want %v", err, tt.wantErr)
				}
				if len(pub.Sent()) != 0 || store.Len() != 0 {
					t.Fatal("a rejected request left a record or a message behind")
				}
				return
			}
			if err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			rec := res.Record
			if rec.Status != jobs.StatusQueued || rec.MaxAttempts != tt.wantAttempts || rec.Type != tt.req.Type {
				t.Errorf("record = %+v", rec)
			}
			if got, _ := store.Get(t.Context(), rec.ID); got != rec {
				t.Errorf("stored %+v, returned %+v", got, rec)
			}
			if len(pub.Sent()) != 1 {
				t.Fatalf("published %d messages, want 1", len(pub.Sent()))
			}
			env := pub.Sent()[0]
			if env.ID != rec.ID || string(env.Payload) != tt.wantPayload || env.MaxAttempts != tt.wantAttempts {
				t.Errorf("envelope = %+v", env)
			}
		})
	}
}

func TestService_EnqueueIdempotency(t *testing.T) {
	t.Parallel()

	store, pub := jobstest.NewStore(), &jobstest.Publisher{}
	svc, err := jobs.NewService(store, pub, 5)
	if err != nil {
		t.Fatal(err)
	}
	req := jobs.Request{Type: "echo", IdempotencyKey: "order-42"}

	first, err := svc.Enqueue(t.Context(), req)
	if err != nil || first.Duplicate {
		t.Fatalf("first Enqueue = %+v, %v", first, err)
	}
	second, err := svc.Enqueue(t.Context(), req)
	if err != nil || !second.Duplicate || second.Record.ID != first.Record.ID {
		t.Fatalf("second Enqueue = %+v, %v; want duplicate of %s", second, err, first.Record.ID)
	}
	// Still queued: republished with the same ID so the queue can drop it.
	if len(pub.Sent()) != 2 || pub.Sent()[1].ID != first.Record.ID {
		t.Fatalf("published %+v", pub.Sent())
	}

	// Once the job has run, a repeat neither republishes nor changes the record.
	done := first.Record
	done.Status = jobs.StatusSucceeded
	if err := store.Put(t.Context(), done); err != nil {
		t.Fatal(err)
	}
	third, err := svc.Enqueue(t.Context(), req)
	if err != nil || third.Record.Status != jobs.StatusSucceeded {
		t.Fatalf("third Enqueue = %+v, %v", third, err)
	}
	if len(pub.Sent()) != 2 {
		t.Fatalf("a finished job was published again")
	}

	// The same key for another type is a client bug.
	_, err = svc.Enqueue(t.Context(), jobs.Request{Type: "sleep", IdempotencyKey: "order-42"})
	if !errors.Is(err, jobs.ErrConflict) {
		t.Fatalf("Enqueue with reused key = %v, want ErrConflict", err)
	}
}

func TestService_EnqueuePublishFailureRemovesRecord(t *testing.T) {
	t.Parallel()

	store, pub := jobstest.NewStore(), &jobstest.Publisher{Err: errUnavailable}
	svc, err := jobs.NewService(store, pub, 5)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Enqueue(t.Context(), jobs.Request{Type: "echo"})
	if !errors.Is(err, errUnavailable) {
		t.Fatalf("Enqueue = %v, want %v", err, errUnavailable)
	}
	if store.Len() != 0 {
		t.Fatalf("orphaned records left: %d", store.Len())
	}
}

func TestService_Get(t *testing.T) {
	t.Parallel()

	store := jobstest.NewStore()
	svc, err := jobs.NewService(store, &jobstest.Publisher{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(t.Context(), "missing"); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
	store.Err = errUnavailable
	if _, err := svc.Enqueue(t.Context(), jobs.Request{Type: "echo"}); !errors.Is(err, errUnavailable) {
		t.Fatalf("Enqueue with failing store = %v", err)
	}
}

func TestNewServiceValidatesDefault(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -1, jobs.MaxAttemptsLimit + 1} {
		if _, err := jobs.NewService(jobstest.NewStore(), &jobstest.Publisher{}, n); err == nil {
			t.Errorf("NewService(default=%d) succeeded", n)
		}
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()

	if a, b := jobs.NewID(), jobs.NewID(); a == b || len(a) != 26 {
		t.Errorf("NewID() = %q, %q", a, b)
	}
	a, b := jobs.IDForKey("k1"), jobs.IDForKey("k1")
	if a != b || len(a) != 26 {
		t.Errorf("IDForKey not deterministic or wrong length: %q, %q", a, b)
	}
	if jobs.IDForKey("k2") == a {
		t.Error("different keys gave the same ID")
	}
}

func TestDecodeEnvelope(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		data    string
		wantErr bool
	}{
		{name: "valid", data: `{"id":"A","type":"echo","payload":{},"max_attempts":3}`},
		{name: "not json", data: `nope`, wantErr: true},
		{name: "missing id", data: `{"type":"echo","max_attempts":3}`, wantErr: true},
		{name: "bad type", data: `{"id":"A","type":"a b","max_attempts":3}`, wantErr: true},
		{name: "zero attempts", data: `{"id":"A","type":"echo","max_attempts":0}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := jobs.DecodeEnvelope([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeEnvelope(%s) error = %v, wantErr %v", tt.data, err, tt.wantErr)
			}
		})
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()

	base := errors.New("bad payload")
	err := fmt.Errorf("handler: %w", jobs.Permanent(base))
	if !jobs.IsPermanent(err) || !errors.Is(err, base) {
		t.Fatalf("IsPermanent(%v) = false or base error lost", err)
	}
	if jobs.IsPermanent(base) {
		t.Fatal("plain error reported as permanent")
	}
	if jobs.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()

	r := jobs.NewRegistry()
	noop := jobs.HandlerFunc(func(context.Context, jobs.Job) error { return nil })
	tests := []struct {
		name    string
		typ     string
		h       jobs.Handler
		wantErr bool
	}{
		{name: "first registration", typ: "echo", h: noop},
		{name: "second type", typ: "sleep", h: noop},
		{name: "duplicate", typ: "echo", h: noop, wantErr: true},
		{name: "invalid type", typ: "no spaces", h: noop, wantErr: true},
		{name: "nil handler", typ: "nil", wantErr: true},
	}
	for _, tt := range tests { // sequential: the cases build on each other
		if err := r.Register(tt.typ, tt.h); (err != nil) != tt.wantErr {
			t.Errorf("%s: Register(%q) error = %v, wantErr %v", tt.name, tt.typ, err, tt.wantErr)
		}
	}
	if _, ok := r.Lookup("echo"); !ok {
		t.Error("Lookup(echo) found nothing")
	}
	if _, ok := r.Lookup("missing"); ok {
		t.Error("Lookup(missing) found a handler")
	}
	if got := r.Types(); !slices.Equal(got, []string{"echo", "sleep"}) {
		t.Errorf("Types() = %v", got)
	}
}
