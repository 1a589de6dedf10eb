package main

import (
	"bytes"
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
)

type options struct {
	api          string
	jobs         int
	concurrency  int
	timeout      time.Duration
	pollInterval time.Duration
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaultAPI := getenv("API_URL")
	if defaultAPI == "" {
		defaultAPI = "http://127.0.0.1:8080"
	}
	var o options
	fs.StringVar(&o.api, "api", defaultAPI, "base URL of the API (env API_URL)")
	fs.IntVar(&o.jobs, "n", 2000, "number of echo jobs to enqueue (at most 100000)")
	fs.IntVar(&o.concurrency, "c", 32, "concurrent HTTP requests")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	fs.DurationVar(&o.pollInterval, "poll", 100*time.Millisecond, "pause between status polling rounds")
	if err := fs.Parse(args[1:]); err != nil {
		return options{}, fmt.Errorf("flags: %w", err)
	}
	if o.jobs < 1 || o.jobs > 100_000 || o.concurrency < 1 || o.concurrency > 1024 || o.timeout <= 0 || o.pollInterval <= 0 {
		return options{}, errors.New("flags: need 1 <= n <= 100000, 1 <= c <= 1024, positive timeout and poll")
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

	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: o.concurrency, MaxIdleConnsPerHost: o.concurrency},
	}
	lt := &loadTest{opts: o, client: client}

	fmt.Fprintf(stdout, "enqueueing %d echo jobs at %s with %d concurrent requests\n", o.jobs, o.api, o.concurrency)
	start := time.Now()
	ids, err := lt.enqueueAll(ctx)
	if err != nil {
		return err
	}
	enqueued := time.Since(start)
	fmt.Fprintf(stdout, "enqueued %d jobs in %s (%.0f jobs/s)\n", len(ids), enqueued.Round(time.Millisecond), rate(len(ids), enqueued))

	statuses, err := lt.waitAll(ctx, ids)
	if err != nil {
		return err
	}
	total := time.Since(start)
	fmt.Fprintf(stdout, "all %d jobs finished in %s: %.0f jobs/s end to end\n", len(ids), total.Round(time.Millisecond), rate(len(ids), total))
	fmt.Fprintf(stdout, "final statuses: %v\n", statuses)
	if statuses["succeeded"] != len(ids) {
		return fmt.Errorf("%d of %d jobs did not succeed", len(ids)-statuses["succeeded"], len(ids))
	}
	return nil
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

type loadTest struct {
	opts   options
	client *http.Client
}

// enqueueAll posts the jobs with bounded concurrency and returns their IDs.
func (lt *loadTest) enqueueAll(ctx context.Context) ([]string, error) {
	ids := make([]string, lt.opts.jobs)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range lt.opts.concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				id, err := lt.enqueue(ctx, i)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				ids[i] = id
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

func (lt *loadTest) enqueue(ctx context.Context, i int) (string, error) {
	body, err := json.Marshal(map[string]any{"type": "echo", "payload": map[string]int{"i": i}})
	if err != nil {
		return "", fmt.Errorf("encode job: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, lt.opts.api+"/api/v1/jobs", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("enqueue: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		ID string `json:"id"`
	}
	if err := lt.do(req, http.StatusAccepted, &out); err != nil {
		return "", fmt.Errorf("enqueue job %d: %w", i, err)
	}
	return out.ID, nil
}

// waitAll polls the jobs until every one is succeeded or dead, and counts the final statuses.
func (lt *loadTest) waitAll(ctx context.Context, ids []string) (map[string]int, error) {
	pending := ids
	final := make(map[string]int)
	for len(pending) > 0 {
		var mu sync.Mutex
		var still []string
		var next atomic.Int64
		var wg sync.WaitGroup
		for range lt.opts.concurrency {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(pending) || ctx.Err() != nil {
						return
					}
					status, err := lt.status(ctx, pending[i])
					mu.Lock()
					switch {
					case err == nil && (status == "succeeded" || status == "dead"):
						final[status]++
					default: // not finished, or a transient error: ask again next round
						still = append(still, pending[i])
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("waiting for %d jobs: %w", len(still), err)
		}
		pending = still
		if len(pending) > 0 {
			select {
			case <-time.After(lt.opts.pollInterval):
			case <-ctx.Done():
				return nil, fmt.Errorf("waiting for %d jobs: %w", len(pending), ctx.Err())
			}
		}
	}
	return final, nil
}

func (lt *loadTest) status(ctx context.Context, id string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lt.opts.api+"/api/v1/jobs/"+id, http.NoBody)
	if err != nil {
		return "", fmt.Errorf("get job: %w", err)
	}
	var out struct {
		Status string `json:"status"`
	}
	if err := lt.do(req, http.StatusOK, &out); err != nil {
		return "", fmt.Errorf("get job %s: %w", id, err)
	}
	return out.Status, nil
}

func (lt *loadTest) do(req *http.Request, wantStatus int, out any) error {
	resp, err := lt.client.Do(req)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(b))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}
