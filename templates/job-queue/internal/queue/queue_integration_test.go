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
	rec := jobs.Record{ID: jobs.NewID(), Type: "echo", Status: jobs.StatusRunning, Attempts: 1, MaxAttempts: 3, Holder: "A", Lease: time.Minute, CreatedAt: time.Now().UTC()}

	if _, err := store.Get(ctx, rec.ID); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Get before Create = %v, want ErrNotFound", err)
	}
	created, err := store.Create(ctx, rec)
	if err != nil || created.Revision == 0 {
		t.Fatalf("Create = %+v, %v", created, err)
	}
	if _, err := store.Create(ctx, rec); !errors.Is(err, jobs.ErrExists) {
		t.Fatalf("second Create = %v, want ErrExists", err)
	}
	got, err := store.Get(ctx, rec.ID)
	if err != nil || got.Revision != created.Revision || got.Holder != "A" || got.Lease != time.Minute || !got.CreatedAt.Equal(rec.CreatedAt) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if since := time.Since(got.StoredAt); since < 0 || since > time.Minute || !got.Held(time.Now()) {
		t.Fatalf("StoredAt = %v, held = %v; want the server's time of the write", got.StoredAt, got.Held(time.Now()))
	}

	// Compare-and-set: the writer that read the current revision wins, a stale one loses.
	next := got
	next.Status = jobs.StatusSucceeded
	updated, err := store.Update(ctx, next)
	if err != nil || updated.Revision <= got.Revision {
		t.Fatalf("Update = %+v, %v", updated, err)
	}
	stale := got
	stale.Status = jobs.StatusFailed
	if _, err := store.Update(ctx, stale); !errors.Is(err, jobs.ErrStale) {
		t.Fatalf("Update at a stale revision = %v, want ErrStale", err)
	}
	if got, err := store.Get(ctx, rec.ID); err != nil || got.Status != jobs.StatusSucceeded {
		t.Fatalf("after the stale write: %+v, %v; want succeeded", got, err)
	}
	missing := rec
	missing.ID, missing.Revision = jobs.NewID(), 1
	if _, err := store.Update(ctx, missing); !errors.Is(err, jobs.ErrStale) {
		t.Fatalf("Update of a missing record = %v, want ErrStale", err)
	}
	if _, err := store.Get(ctx, "not a valid key!"); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Get(invalid key) = %v, want ErrNotFound", err)
	}
}

func TestPublishDeduplicatesAndDeliversOnce(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	pub := newPublisher(t, env)
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
	// Waiting: found by its ID, whatever its type.
	if queued, err := pub.Queued(t.Context(), e.ID); err != nil || queued.ID != e.ID {
		t.Fatalf("Queued = %+v, %v", queued, err)
	}
	if _, err := pub.Queued(t.Context(), jobs.NewID()); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Queued(unknown) = %v, want ErrNotFound", err)
	}

	src := newSource(t, cons, 10)
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
	if d, err := src.Next(short); err == nil {
		t.Fatalf("got another delivery: %s", d.Data())
	}
	waitFor(t, func() bool {
		_, err := pub.Queued(t.Context(), e.ID)
		return errors.Is(err, jobs.ErrNotFound)
	}, "the settled job to leave the queue")
}

func TestPublishAllAndPrefetch(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	cons, err := queue.EnsureConsumer(t.Context(), env.JS, names, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	envs := make([]jobs.Envelope, 5)
	for i := range envs {
		envs[i] = jobs.Envelope{ID: jobs.NewID(), Type: "echo", MaxAttempts: 1}
	}
	envs = append(envs, envs[0]) // a repeat: dropped by the stream, not an error
	for i, err := range newPublisher(t, env).PublishAll(t.Context(), envs) {
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}

	// Two requested ahead at a time; all five arrive, each once.
	src := newSource(t, cons, 2)
	seen := map[string]bool{}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for range 5 {
		d, err := src.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d deliveries: %v", len(seen), err)
		}
		e, err := jobs.DecodeEnvelope(d.Data())
		if err != nil || seen[e.ID] {
			t.Fatalf("delivery %s (%v), seen before: %v", d.Data(), err, seen[e.ID])
		}
		seen[e.ID] = true
		if err := d.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	short, cancelShort := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancelShort()
	if d, err := src.Next(short); err == nil {
		t.Fatalf("a sixth delivery: %s", d.Data())
	}
}

// TestSweepRemovesOrphans stages what a server killed mid-run can come back with: messages the
// consumer counts as acknowledged, still in the jobs stream. (A limits stream keeps acknowledged
// messages: the shape of a work queue whose removals the server lost.) The sweep deletes those
// whose job is final and publishes the others again, so that the queue drains and no job is lost.
func TestSweepRemovesOrphans(t *testing.T) {
	t.Parallel()
	env := queuetest.New(t, os.Getenv)
	names := env.Config.Names
	if err := env.JS.DeleteStream(t.Context(), names.Stream); err != nil {
		t.Fatal(err)
	}
	if _, err := env.JS.CreateStream(t.Context(), jetstream.StreamConfig{
		Name: names.Stream, Subjects: []string{names.Prefix + ".jobs.>"}, Retention: jetstream.LimitsPolicy, Duplicates: time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(t, env)
	store, err := queue.OpenStore(t.Context(), env.JS, names)
	if err != nil {
		t.Fatal(err)
	}
	done, lost := jobs.Envelope{ID: jobs.NewID(), Type: "echo", MaxAttempts: 1}, jobs.Envelope{ID: jobs.NewID(), Type: "echo", MaxAttempts: 1}
	for _, e := range []jobs.Envelope{done, lost} {
		if _, err := pub.Publish(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	final := func(id string) {
		t.Helper()
		if _, err := store.Create(t.Context(), jobs.Record{ID: id, Type: "echo", Status: jobs.StatusSucceeded, Attempts: 1, MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	final(done.ID)
	cons, err := queue.EnsureConsumer(t.Context(), env.JS, names, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(t, cons, 1)
	ack := func(want jobs.Envelope) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		d := fetchOne(ctx, t, src)
		if e, err := jobs.DecodeEnvelope(d.Data()); err != nil || e.ID != want.ID {
			t.Fatalf("delivered %s (%v), want job %s", d.Data(), err, want.ID)
		}
		if err := d.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	ack(done)
	ack(lost)
	msgs := func() uint64 {
		s, err := env.JS.Stream(t.Context(), names.Stream)
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().State.Msgs
	}
	waitFor(t, func() bool {
		info, err := cons.Info(t.Context())
		return err == nil && info.NumAckPending == 0
	}, "the acks to settle")

	sweeper := queue.NewSweeper(env.JS, names, store, slog.New(slog.DiscardHandler))
	if n, err := sweeper.Sweep(t.Context()); err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2 orphans", n, err)
	}
	// The unfinished job is back, as a new message the consumer delivers.
	if n := msgs(); n != 1 {
		t.Fatalf("%d messages after the sweep, want the republished job alone", n)
	}
	ack(lost)
	final(lost.ID)
	waitFor(t, func() bool {
		info, err := cons.Info(t.Context())
		return err == nil && info.NumAckPending == 0
	}, "the ack to settle")
	if n, err := sweeper.Sweep(t.Context()); err != nil || n != 1 || msgs() != 0 {
		t.Fatalf("second Sweep = %d, %v, %d messages left; want 1 swept and none left", n, err, msgs())
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
	if _, err := newPublisher(t, env).Publish(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	d := fetchOne(t.Context(), t, newSource(t, cons, 1))

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
	pub := newPublisher(t, env)
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

func newPublisher(t *testing.T, env *queuetest.Env) *queue.Publisher {
	t.Helper()
	pub, err := queue.NewPublisher(t.Context(), env.JS, env.Config.Names)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func newSource(t *testing.T, cons jetstream.Consumer, prefetch int) *queue.Source {
	t.Helper()
	src, err := queue.NewSource(cons, prefetch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return src
}

// fetchOne takes exactly one delivery.
func fetchOne(ctx context.Context, t *testing.T, src *queue.Source) jobs.Delivery {
	t.Helper()
	d, err := src.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return d
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
