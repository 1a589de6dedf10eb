package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"example.com/gopher-template/job-queue/internal/handlers"
	"example.com/gopher-template/job-queue/internal/jobs"
)

func job(typ, payload string, attempt int) jobs.Job {
	return jobs.Job{ID: "J1", Type: typ, Payload: json.RawMessage(payload), Attempt: attempt, MaxAttempts: 5}
}

func TestRegister(t *testing.T) {
	t.Parallel()

	reg := jobs.NewRegistry()
	if err := handlers.Register(reg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if got := strings.Join(reg.Types(), ","); got != "echo,flaky,sleep" {
		t.Fatalf("registered %s", got)
	}
	if err := handlers.Register(reg, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("registering twice succeeded")
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()

	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := (handlers.Echo{Logger: logger}).Handle(t.Context(), job("echo", `{"hello":"world"}`, 1)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if out := buf.String(); !strings.Contains(out, `"payload_bytes":17`) || !strings.Contains(out, `"job_id":"J1"`) {
		t.Fatalf("log = %s, want payload size and job id", out)
	}
}

func TestFlaky(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name          string
		payload       string
		attempt       int
		wantErr       bool
		wantPermanent bool
	}{
		{name: "fails first attempt", payload: `{"fail_times":2}`, attempt: 1, wantErr: true},
		{name: "fails last planned attempt", payload: `{"fail_times":2}`, attempt: 2, wantErr: true},
		{name: "succeeds after planned failures", payload: `{"fail_times":2}`, attempt: 3},
		{name: "zero failures", payload: `{"fail_times":0}`, attempt: 1},
		{name: "empty payload", payload: `{}`, attempt: 1},
		{name: "unknown field is permanent", payload: `{"fails":1}`, attempt: 1, wantErr: true, wantPermanent: true},
		{name: "wrong type is permanent", payload: `{"fail_times":"x"}`, attempt: 1, wantErr: true, wantPermanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := handlers.Flaky{}.Handle(t.Context(), job("flaky", tt.payload, tt.attempt))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Handle error = %v, wantErr %v", err, tt.wantErr)
			}
			if jobs.IsPermanent(err) != tt.wantPermanent {
				t.Fatalf("IsPermanent(%v) = %v, want %v", err, jobs.IsPermanent(err), tt.wantPermanent)
			}
		})
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name          string
		payload       string
		ctxTimeout    time.Duration
		wantElapsed   time.Duration
		wantErr       error
		wantPermanent bool
	}{
		{name: "sleeps", payload: `{"ms":1500}`, ctxTimeout: time.Minute, wantElapsed: 1500 * time.Millisecond},
		{name: "zero", payload: `{"ms":0}`, ctxTimeout: time.Minute},
		{name: "honours context", payload: `{"ms":60000}`, ctxTimeout: 2 * time.Second, wantElapsed: 2 * time.Second, wantErr: context.DeadlineExceeded},
		{name: "negative is permanent", payload: `{"ms":-1}`, ctxTimeout: time.Minute, wantPermanent: true},
		{name: "too long is permanent", payload: `{"ms":3600001}`, ctxTimeout: time.Minute, wantPermanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), tt.ctxTimeout)
				defer cancel()
				start := time.Now()
				err := handlers.Sleep{Logger: slog.New(slog.DiscardHandler)}.Handle(ctx, job("sleep", tt.payload, 1))
				if elapsed := time.Since(start); elapsed != tt.wantElapsed {
					t.Errorf("slept %v, want %v", elapsed, tt.wantElapsed)
				}
				switch {
				case tt.wantPermanent:
					if !jobs.IsPermanent(err) {
						t.Fatalf("err = %v, want a permanent error", err)
					}
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
				case err != nil:
					t.Fatalf("unexpected error %v", err)
				}
			})
		})
	}
}
