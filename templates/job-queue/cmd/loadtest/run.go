package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"example.com/gopher-template/job-queue/internal/jobs"
)

type options struct {
	api         string
	natsURL     string
	prefix      string
	jobs        int
	concurrency int
	batch       int
	timeout     time.Duration
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.api, "api", cmp.Or(getenv("API_URL"), "http://127.0.0.1:8080"), "base URL of the API (env API_URL)")
	fs.StringVar(&o.natsURL, "nats", cmp.Or(getenv("NATS_URL"), "nats://127.0.0.1:4222"), "NATS server whose job records to watch (env NATS_URL)")
	fs.StringVar(&o.prefix, "prefix", cmp.Or(getenv("STREAM_PREFIX"), "JOBQUEUE"), "the deployment's stream prefix (env STREAM_PREFIX)")
	fs.IntVar(&o.jobs, "n", 2000, "number of echo jobs to enqueue (at most 100000)")
	fs.IntVar(&o.concurrency, "c", 32, "concurrent HTTP requests")
	fs.IntVar(&o.batch, "batch", 1, "jobs per request: 1 posts to /api/v1/jobs, more to /api/v1/jobs/batch (at most 1000)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args[1:]); err != nil {
		return options{}, fmt.Errorf("flags: %w", err)
	}
	if o.jobs < 1 || o.jobs > 100_000 || o.concurrency < 1 || o.concurrency > 1024 || o.batch < 1 || o.batch > 1000 || o.timeout <= 0 {
		return options{}, errors.New("flags: need 1 <= n <= 100000, 1 <= c <= 1024, 1 <= batch <= 1000 and a positive timeout")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	q, err := openQueue(ctx, o.natsURL, o.prefix)
	if err != nil {
		return err
	}
	defer q.Close()
	return loadTest(ctx, o, q, stdout)
}

// depthPoll is how often the load test reads the depth of the work queue.
const depthPoll = 5 * time.Millisecond

// queueView is what the load test reads from the queue.
type queueView interface {
	// Depth is the number of jobs in the work queue: waiting, running or waiting for a retry.
	Depth(ctx context.Context) (uint64, error)
	// Status is the status in the job's record.
	Status(ctx context.Context, id string) (jobs.Status, error)
}

func loadTest(ctx context.Context, o options, q queueView, stdout io.Writer) error {
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: o.concurrency, MaxIdleConnsPerHost: o.concurrency},
	}
	lt := &loadTester{opts: o, client: client}

	how := "one job per request"
	if o.batch > 1 {
		how = fmt.Sprintf("%d jobs per batch request", o.batch)
	}
	fmt.Fprintf(stdout, "enqueueing %d echo jobs at %s with %d concurrent requests, %s\n", o.jobs, o.api, o.concurrency, how)
	start := time.Now()
	ids, err := lt.enqueueAll(ctx)
	if err != nil {
		return err
	}
	enqueued := time.Since(start)
	fmt.Fprintf(stdout, "enqueued %d jobs in %s (%.0f jobs/s)\n", len(ids), enqueued.Round(time.Millisecond), rate(len(ids), enqueued))

	if err := waitDrained(ctx, q); err != nil {
		return err
	}
	total := time.Since(start)
	statuses, err := lt.statuses(ctx, q, ids)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "all %d jobs finished in %s: %.0f jobs/s end to end\n", len(ids), total.Round(time.Millisecond), rate(len(ids), total))
	fmt.Fprintf(stdout, "final statuses: %v\n", statuses)
	if statuses[jobs.StatusSucceeded] != len(ids) {
		return fmt.Errorf("%d of %d jobs did not succeed", len(ids)-statuses[jobs.StatusSucceeded], len(ids))
	}
	return nil
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// waitDrained returns once the work queue is empty: every job enqueued has been settled.
func waitDrained(ctx context.Context, q queueView) error {
	for {
		depth, err := q.Depth(ctx)
		if err != nil {
			return err
		}
		if depth == 0 {
			return nil
		}
		select {
		case <-time.After(depthPoll):
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d jobs in the queue: %w", depth, ctx.Err())
		}
	}
}

// statuses counts the statuses in the records of ids.
func (lt *loadTester) statuses(ctx context.Context, q queueView, ids []string) (map[jobs.Status]int, error) {
	counts := make(map[jobs.Status]int)
	var mu sync.Mutex
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range lt.opts.concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) {
					return
				}
				status, err := q.Status(ctx, ids[i])
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("job %s: %w", ids[i], err) })
					return
				}
				mu.Lock()
				counts[status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return counts, firstErr
}

type loadTester struct {
	opts   options
	client *http.Client
}

// enqueueAll posts the jobs with bounded concurrency and returns their IDs.
func (lt *loadTester) enqueueAll(ctx context.Context) ([]string, error) {
	ids := make([]string, lt.opts.jobs)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range lt.opts.concurrency {
		wg.Go(func() {
			for {
				from := int(next.Add(int64(lt.opts.batch))) - lt.opts.batch
				if from >= len(ids) || ctx.Err() != nil {
					return
				}
				to := min(from+lt.opts.batch, len(ids))
				if err := lt.enqueue(ctx, ids[from:to], from); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	return ids, nil
}

type job struct {
	Type    string         `json:"type"`
	Payload map[string]int `json:"payload"`
}

// enqueue enqueues len(ids) jobs numbered from first and fills in their IDs.
func (lt *loadTester) enqueue(ctx context.Context, ids []string, first int) error {
	if lt.opts.batch == 1 {
		var out struct {
			ID string `json:"id"`
		}
		if err := lt.post(ctx, "/api/v1/jobs", job{Type: "echo", Payload: map[string]int{"i": first}}, &out); err != nil {
			return fmt.Errorf("enqueue job %d: %w", first, err)
		}
		ids[0] = out.ID
		return nil
	}
	batch := struct {
		Jobs []job `json:"jobs"`
	}{Jobs: make([]job, len(ids))}
	for i := range ids {
		batch.Jobs[i] = job{Type: "echo", Payload: map[string]int{"i": first + i}}
	}
	var out struct {
		Jobs []struct{ ID, Error string } `json:"jobs"`
	}
	if err := lt.post(ctx, "/api/v1/jobs/batch", batch, &out); err != nil {
		return fmt.Errorf("enqueue jobs %d to %d: %w", first, first+len(ids)-1, err)
	}
	if len(out.Jobs) != len(ids) {
		return fmt.Errorf("enqueue jobs %d to %d: %d results", first, first+len(ids)-1, len(out.Jobs))
	}
	for i, r := range out.Jobs {
		ids[i] = r.ID
	}
	return nil
}

func (lt *loadTester) post(ctx context.Context, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, lt.opts.api+path, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := lt.client.Do(req)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}
