// Package hits counts redirects in memory and stores them in batches.
//
// Incrementing a counter row on every redirect makes concurrent redirects of
// a popular link queue on that row's lock. The Batcher instead aggregates
// increments per code and hands them to the Store periodically, all codes at
// once (pgstore writes them in one statement).
package hits

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Store persists aggregated hit counts.
type Store interface {
	AddHits(ctx context.Context, hits map[string]int64) error
}

// Recorder is told about every flush, for metrics.
type Recorder interface {
	// HitsFlushed records a flush of hits (their total); err is the store's
	// error, nil when they were stored.
	HitsFlushed(hits int64, err error)
}

type nopRecorder struct{}

func (nopRecorder) HitsFlushed(int64, error) {}

// Options tune a Batcher.
type Options struct {
	// Interval between flushes by Run; must be positive.
	Interval time.Duration
	// Recorder is told about every flush; nothing records them when nil.
	Recorder Recorder
}

// Batcher aggregates hits per code and flushes them to a Store. It
// implements link.HitCounter.
type Batcher struct {
	logger   *slog.Logger
	store    Store
	recorder Recorder
	interval time.Duration

	// flushMu serialises flushes, so inflight belongs to one flush at a time.
	flushMu sync.Mutex

	mu       sync.Mutex
	pending  map[string]int64 // recorded since the last flush started
	inflight map[string]int64 // being written by the current flush
}

// NewBatcher returns a Batcher that flushes to store every opts.Interval once
// Run is called.
func NewBatcher(logger *slog.Logger, store Store, opts Options) (*Batcher, error) {
	if opts.Interval <= 0 {
		return nil, errors.New("hits: flush interval must be positive")
	}
	b := &Batcher{
		logger:   logger,
		store:    store,
		recorder: opts.Recorder,
		interval: opts.Interval,
		pending:  make(map[string]int64),
	}
	if b.recorder == nil {
		b.recorder = nopRecorder{}
	}
	return b, nil
}

// Incr records one hit for code.
func (b *Batcher) Incr(code string) {
	b.mu.Lock()
	b.pending[code]++
	b.mu.Unlock()
}

// Pending returns the hits for code that are not stored yet.
func (b *Batcher) Pending(code string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending[code] + b.inflight[code]
}

// Run flushes every interval until ctx is done. It does not flush on exit:
// call Flush after the HTTP server has drained so late hits are kept too.
func (b *Batcher) Run(ctx context.Context) {
	ticker := time.NewTicker(b.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if err := b.Flush(ctx); err != nil {
				b.logger.WarnContext(ctx, "flush hits failed; will retry", slog.Any("error", err))
			}
		}
	}
}

// Flush writes all pending hits. On failure they are kept for the next flush.
func (b *Batcher) Flush(ctx context.Context) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()

	b.mu.Lock()
	if len(b.pending) == 0 {
		b.mu.Unlock()
		return nil
	}
	b.inflight, b.pending = b.pending, make(map[string]int64, len(b.pending))
	batch := b.inflight
	b.mu.Unlock()

	err := b.store.AddHits(ctx, batch)
	var total int64
	for _, n := range batch {
		total += n
	}
	b.recorder.HitsFlushed(total, err)

	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		for code, n := range b.inflight {
			b.pending[code] += n
		}
	}
	b.inflight = nil
	if err != nil {
		return fmt.Errorf("flush %d codes: %w", len(batch), err)
	}
	b.logger.DebugContext(ctx, "flushed hits", slog.Int("codes", len(batch)))
	return nil
}
