package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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
		{name: "payload kept, compacted", req: jobs.Request{Type: "flaky", Payload: json.RawMessage(`{ "fail_times": 2 }`)}, wantAttempts: 5, wantPayload: `{"fail_times":2}`},
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
				if len(pub.Sent()) != 0 {
					t.Fatal("a rejected request was published")
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
			// Enqueueing is one publish: no record until a worker claims the job.
			if store.Len() != 0 {
				t.Errorf("enqueue wrote %d records, want none", store.Len())
			}
			if got, err := svc.Get(t.Context(), rec.ID); err != nil || got.Status != jobs.StatusQueued || got.Fingerprint != rec.Fingerprint {
				t.Errorf("Get = %+v, %v; want it queued", got, err)
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
	req := jobs.Request{Type: "echo", Payload: json.RawMessage(`{"order":42}`), IdempotencyKey: "order-42"}

	first, err := svc.Enqueue(t.Context(), req)
	if err != nil || first.Duplicate {
		t.Fatalf("first Enqueue = %+v, %v", first, err)
	}
	id := first.Record.ID

	// While queued: found in the queue, not published again.
	spaced := req
	spaced.Payload = json.RawMessage(`{ "order": 42 }`)
	second, err := svc.Enqueue(t.Context(), spaced)
	if err != nil || !second.Duplicate || second.Record.ID != id || second.Record.Status != jobs.StatusQueued {
		t.Fatalf("second Enqueue = %+v, %v; want a queued duplicate of %s", second, err, id)
	}
	if len(pub.Sent()) != 1 {
		t.Fatalf("published %d messages, want 1", len(pub.Sent()))
	}

	// Once a worker has run it, the record answers, and nothing is published again.
	pub.Take(id)
	store.Set(jobs.Record{ID: id, Type: "echo", Status: jobs.StatusSucceeded, Attempts: 1, Fingerprint: first.Record.Fingerprint})
	third, err := svc.Enqueue(t.Context(), req)
	if err != nil || !third.Duplicate || third.Record.Status != jobs.StatusSucceeded {
		t.Fatalf("third Enqueue = %+v, %v", third, err)
	}
	if len(pub.Sent()) != 1 {
		t.Fatalf("a finished job was published again")
	}

	// The same key for another job is a client bug: another type, or another payload.
	for _, other := range []jobs.Request{
		{Type: "sleep", IdempotencyKey: "order-42"},
		{Type: "echo", Payload: json.RawMessage(`{"order":43}`), IdempotencyKey: "order-42"},
	} {
		if _, err := svc.Enqueue(t.Context(), other); !errors.Is(err, jobs.ErrConflict) {
			t.Errorf("Enqueue(%s %s) with a reused key = %v, want ErrConflict", other.Type, other.Payload, err)
		}
	}
	// Also while the first job waits in the queue.
	queued, err := svc.Enqueue(t.Context(), jobs.Request{Type: "echo", Payload: json.RawMessage(`{"a":1}`), IdempotencyKey: "k2"})
	if err != nil || queued.Duplicate {
		t.Fatalf("Enqueue k2 = %+v, %v", queued, err)
	}
	if _, err := svc.Enqueue(t.Context(), jobs.Request{Type: "echo", Payload: json.RawMessage(`{"a":2}`), IdempotencyKey: "k2"}); !errors.Is(err, jobs.ErrConflict) {
		t.Errorf("Enqueue with k2 and another payload while queued = %v, want ErrConflict", err)
	}
}

func TestService_EnqueueBatch(t *testing.T) {
	t.Parallel()

	store, pub := jobstest.NewStore(), &jobstest.Publisher{}
	svc, err := jobs.NewService(store, pub, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.EnqueueBatch(t.Context(), []jobs.Request{{Type: "echo"}, {Type: "echo", MaxAttempts: 99}}); !errors.Is(err, jobs.ErrInvalid) || !strings.Contains(err.Error(), "job 1") {
		t.Fatalf("EnqueueBatch with an invalid job = %v, want ErrInvalid naming job 1", err)
	}
	if len(pub.Sent()) != 0 {
		t.Fatal("an invalid batch was partly published")
	}

	reqs := []jobs.Request{{Type: "echo"}, {Type: "flaky", IdempotencyKey: "k"}, {Type: "echo"}, {Type: "sleep", IdempotencyKey: "k"}}
	results, errs, err := svc.EnqueueBatch(t.Context(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []error{nil, nil, nil, jobs.ErrConflict} {
		if !errors.Is(errs[i], want) || (want == nil && results[i].Record.Status != jobs.StatusQueued) {
			t.Errorf("job %d: %+v, %v; want error %v", i, results[i], errs[i], want)
		}
	}
	if len(pub.Sent()) != 3 {
		t.Errorf("published %d messages, want 3", len(pub.Sent()))
	}

	pub.Err = errUnavailable
	_, errs, err = svc.EnqueueBatch(t.Context(), []jobs.Request{{Type: "echo"}})
	if err != nil || !errors.Is(errs[0], errUnavailable) {
		t.Errorf("EnqueueBatch with the queue down = %v, %v", errs, err)
	}
}

func TestService_EnqueuePublishFailure(t *testing.T) {
	t.Parallel()

	store, pub := jobstest.NewStore(), &jobstest.Publisher{Err: errUnavailable}
	svc, err := jobs.NewService(store, pub, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = svc.Enqueue(t.Context(), jobs.Request{Type: "echo"}); !errors.Is(err, errUnavailable) {
		t.Fatalf("Enqueue = %v, want %v", err, errUnavailable)
	}
	if store.Len() != 0 {
		t.Fatalf("records left: %d", store.Len())
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
	if _, err := svc.Get(t.Context(), "any"); !errors.Is(err, errUnavailable) {
		t.Fatalf("Get with failing store = %v", err)
	}
	if _, err := svc.Enqueue(t.Context(), jobs.Request{Type: "echo", IdempotencyKey: "k"}); !errors.Is(err, errUnavailable) {
		t.Fatalf("keyed Enqueue with failing store = %v", err)
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

func TestRecordHeld(t *testing.T) {
	t.Parallel()

	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	running := jobs.Record{Status: jobs.StatusRunning, Holder: "A", Lease: time.Minute, StoredAt: at}
	tests := []struct {
		name string
		rec  jobs.Record
		now  time.Time
		want bool
	}{
		{name: "within the lease", rec: running, now: at.Add(59 * time.Second), want: true},
		{name: "lease run out", rec: running, now: at.Add(time.Minute)},
		{name: "no holder", rec: jobs.Record{Status: jobs.StatusRunning, Lease: time.Minute, StoredAt: at}, now: at},
		{name: "failed, waiting for a retry", rec: jobs.Record{Status: jobs.StatusFailed, Holder: "A", Lease: time.Minute, StoredAt: at}, now: at},
		{name: "final", rec: jobs.Record{Status: jobs.StatusSucceeded, Holder: "A", Lease: time.Minute, StoredAt: at}, now: at},
	}
	for _, tt := range tests {
		if got := tt.rec.Held(tt.now); got != tt.want {
			t.Errorf("%s: Held = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()

	a := jobs.Fingerprint("echo", json.RawMessage(`{"a":1}`))
	if a != jobs.Fingerprint("echo", json.RawMessage(`{"a":1}`)) {
		t.Error("Fingerprint is not deterministic")
	}
	for _, other := range []string{jobs.Fingerprint("echo", json.RawMessage(`{"a":2}`)), jobs.Fingerprint("sleep", json.RawMessage(`{"a":1}`)), jobs.Fingerprint("echo{", json.RawMessage(`"a":1}`))} {
		if other == a {
			t.Errorf("another type or payload gave the same fingerprint %s", a)
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
		{name: "too many attempts", data: `{"id":"A","type":"echo","max_attempts":26}`, wantErr: true},
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
