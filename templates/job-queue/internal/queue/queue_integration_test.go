//go:build integration

package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/queue"
	"example.com/gopher-template/job-queue/internal/queuetest"
)

func TestEnsureIsIdempotent(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	for range 2 {
		if err := queue.EnsureStreams(t.Context(), env.JS, env.Config); err != nil {
			t.Fatalf("EnsureStreams: %v", err)
		}
		if _, err := queue.EnsureConsumer(t.Context(), env.JS, env.Config.Names, 5*time.Second); err != nil {
			t.Fatalf("EnsureConsumer: %v", err)
		}
	}
	s, err := env.JS.Stream(t.Context(), env.Config.Names.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.CachedInfo().Config; cfg.Retention != jetstream.WorkQueuePolicy || cfg.Duplicates != time.Minute {
		t.Errorf("jobs stream config = %+v", cfg)
	}
}

func TestStore(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	store, err := queue.OpenStore(t.Context(), env.JS, env.Config.Names)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	rec := jobs.Record{ID: jobs.NewID(), Type: "echo", Status: jobs.StatusQueued, MaxAttempts: 3, CreatedAt: time.Now().UTC()}

	if _, err := store.Get(ctx, rec.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Get before Create = %v, want ErrNotFound", err)
	}
	if err := store.Create(ctx, rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := store.Create(ctx, rec); !errors.Is(err, jobs.ErrExists) {
		t.Fatalf("second Create = %v, want ErrExists", err)
	}
	rec.Status = jobs.StatusRunning
	if err := store.Put(ctx, rec); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := store.Get(ctx, rec.ID)
	if err != nil || got.Status != jobs.StatusRunning || !got.CreatedAt.Equal(rec.CreatedAt) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := store.Delete(ctx, rec.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := store.Get(ctx, rec.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := store.Create(ctx, rec); err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
	if _, err := store.Get(ctx, "not a valid key!"); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Get(invalid key) = %v, want ErrNotFound", err)
	}
}

func TestPublishDeduplicatesAndDeliversOnce(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	pub := queue.NewPublisher(env.JS, names)
	e := jobs.Envelope{ID: jobs.NewID(), Type: "echo", Payload: json.RawMessage(`{}`), MaxAttempts: 3}

	for i, wantDup := range []bool{false, true} {
		dup, err := pub.Publish(t.Context(), e)
		if err != nil || dup != wantDup {
			t.Fatalf("Publish #%d = %v, %v; want duplicate=%v", i+1, dup, err, wantDup)
		}
	}

	cons, err := queue.EnsureConsumer(t.Context(), env.JS, names, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	src := queue.NewSource(cons)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	d := fetchOne(ctx, t, src)
	got, err := jobs.DecodeEnvelope(d.Data())
	if err != nil || got.ID != e.ID || d.Attempt() != 1 {
		t.Fatalf("delivery = %+v (attempt %d), %v", got, d.Attempt(), err)
	}

	// Retried: delivered again with the attempt counted.
	if err := d.Retry(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	d = fetchOne(ctx, t, src)
	if d.Attempt() != 2 {
		t.Fatalf("redelivery attempt = %d, want 2", d.Attempt())
	}
	if err := d.InProgress(); err != nil {
		t.Fatal(err)
	}
	if err := d.Ack(); err != nil {
		t.Fatal(err)
	}

	// Acked: gone from the work queue, and the duplicate never showed up.
	short, cancelShort := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancelShort()
	if ds, err := src.Fetch(short, 10); err == nil {
		t.Fatalf("unexpected third delivery %s", ds[0].Data())
	}
	waitFor(t, func() bool {
		s, err := env.JS.Stream(t.Context(), names.Stream)
		return err == nil && s.CachedInfo().State.Msgs == 0
	}, "jobs stream to be empty after ack")
}

func TestFetchBatches(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	cons, err := queue.EnsureConsumer(t.Context(), env.JS, names, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pub := queue.NewPublisher(env.JS, names)
	for range 5 {
		if _, err := pub.Publish(t.Context(), jobs.Envelope{ID: jobs.NewID(), Type: "echo", MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	src := queue.NewSource(cons)
	var got int
	for _, limit := range []int{3, 3} {
		ds, err := src.Fetch(t.Context(), limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > limit {
			t.Fatalf("Fetch(%d) returned %d deliveries", limit, len(ds))
		}
		for _, d := range ds {
			if err := d.Ack(); err != nil {
				t.Fatal(err)
			}
		}
		got += len(ds)
	}
	if got != 5 {
		t.Fatalf("fetched %d deliveries in two batches of at most 3, want 5", got)
	}
}

func TestDeadLetterAndTerm(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	cons, err := queue.EnsureConsumer(t.Context(), env.JS, names, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e := jobs.Envelope{ID: jobs.NewID(), Type: "flaky", Payload: json.RawMessage(`{}`), MaxAttempts: 1}
	if _, err := queue.NewPublisher(env.JS, names).Publish(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	d := fetchOne(t.Context(), t, queue.NewSource(cons))

	dl := jobs.DeadLetter{ID: e.ID, Type: e.Type, Data: d.Data(), Attempts: 1, LastError: strings.Repeat("x", 5000)}
	dead := queue.NewDeadLetterer(env.JS, names)
	for range 2 { // burying twice keeps one letter
		if err := dead.DeadLetter(t.Context(), dl); err != nil {
			t.Fatalf("DeadLetter: %v", err)
		}
	}
	if err := d.Term(); err != nil {
		t.Fatal(err)
	}

	ds, err := env.JS.Stream(t.Context(), names.DeadStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := ds.CachedInfo().State.Msgs; n != 1 {
		t.Fatalf("dead-letter stream has %d messages, want 1", n)
	}
	msg, err := ds.GetLastMsgForSubject(t.Context(), names.DeadSubject("flaky"))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get(queue.HeaderJobID) != e.ID || msg.Header.Get(queue.HeaderAttempts) != "1" || len(msg.Header.Get(queue.HeaderLastError)) != 1024 {
		t.Errorf("dead letter headers = %v", msg.Header)
	}
	waitFor(t, func() bool {
		s, err := env.JS.Stream(t.Context(), names.Stream)
		return err == nil && s.CachedInfo().State.Msgs == 0
	}, "terminated job to leave the work queue")
}

func TestDepthCollector(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	c := queue.NewDepthCollector(env.JS, names, slog.New(slog.DiscardHandler))

	// Before any worker created the consumer, only stream metrics are reported.
	if n := testutil.CollectAndCount(c); n != 2 {
		t.Fatalf("collected %d metrics without a consumer, want 2", n)
	}
	if _, err := queue.EnsureConsumer(t.Context(), env.JS, names, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	pub := queue.NewPublisher(env.JS, names)
	for range 3 {
		if _, err := pub.Publish(t.Context(), jobs.Envelope{ID: jobs.NewID(), Type: "echo", MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP jobqueue_queue_depth Jobs in the work-queue stream: waiting, running or waiting for a retry.
# TYPE jobqueue_queue_depth gauge
jobqueue_queue_depth 3
# HELP jobqueue_queue_pending Jobs not yet delivered to any worker (consumer num_pending).
# TYPE jobqueue_queue_pending gauge
jobqueue_queue_pending 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "jobqueue_queue_depth", "jobqueue_queue_pending"); err != nil {
		t.Fatal(err)
	}
}

// fetchOne fetches exactly one delivery.
func fetchOne(ctx context.Context, t *testing.T, src *queue.Source) jobs.Delivery {
	t.Helper()
	ds, err := src.Fetch(ctx, 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(ds) != 1 {
		t.Fatalf("Fetch returned %d deliveries, want 1", len(ds))
	}
	return ds[0]
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
