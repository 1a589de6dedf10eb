package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/jobs"
	"example.com/gopher-template/job-queue/internal/queue"
)

// natsQueue reads the depth of a deployment's work queue and its job records.
type natsQueue struct {
	nc     *nats.Conn
	stream jetstream.Stream
	store  *queue.Store
}

// openQueue opens the resources of the deployment with the given prefix.
func openQueue(ctx context.Context, url, prefix string) (*natsQueue, error) {
	names, err := queue.NamesFor(prefix)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(url, nats.Name("loadtest"))
	if err != nil {
		return nil, fmt.Errorf("connect to nats at %s: %w", url, err)
	}
	q, err := func() (*natsQueue, error) {
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, fmt.Errorf("jetstream: %w", err)
		}
		stream, err := js.Stream(ctx, names.Stream)
		if err != nil {
			return nil, fmt.Errorf("open stream %s (is the api or a worker running with STREAM_PREFIX=%s?): %w", names.Stream, prefix, err)
		}
		store, err := queue.OpenStore(ctx, js, names)
		if err != nil {
			return nil, err
		}
		return &natsQueue{nc: nc, stream: stream, store: store}, nil
	}()
	if err != nil {
		nc.Close()
		return nil, err
	}
	return q, nil
}

func (q *natsQueue) Depth(ctx context.Context) (uint64, error) {
	info, err := q.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue depth: %w", err)
	}
	return info.State.Msgs, nil
}

func (q *natsQueue) Status(ctx context.Context, id string) (jobs.Status, error) {
	rec, err := q.store.Get(ctx, id)
	if errors.Is(err, jobs.ErrNotFound) {
		return "missing", nil
	}
	return rec.Status, err
}

func (q *natsQueue) Close() { q.nc.Close() }
