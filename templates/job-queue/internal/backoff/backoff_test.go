package backoff_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"example.com/gopher-template/job-queue/internal/backoff"
)

func TestCeiling(t *testing.T) {
	t.Parallel()

	p := backoff.Policy{Base: time.Second, Max: time.Minute}
	tests := []struct {
		name    string
		policy  backoff.Policy
		attempt int
		want    time.Duration
	}{
		{name: "first retry is base", policy: p, attempt: 1, want: time.Second},
		{name: "zero attempt is treated as first", policy: p, attempt: 0, want: time.Second},
		{name: "doubles", policy: p, attempt: 2, want: 2 * time.Second},
		{name: "doubles again", policy: p, attempt: 4, want: 8 * time.Second},
		{name: "last below cap", policy: p, attempt: 6, want: 32 * time.Second},
		{name: "capped", policy: p, attempt: 7, want: time.Minute},
		{name: "huge attempt does not overflow", policy: p, attempt: 10_000, want: time.Minute},
		{name: "base above max is capped", policy: backoff.Policy{Base: time.Hour, Max: time.Minute}, attempt: 1, want: time.Minute},
		{name: "zero base disables backoff", policy: backoff.Policy{Max: time.Minute}, attempt: 3, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.policy.Ceiling(tt.attempt); got != tt.want {
				t.Errorf("Ceiling(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestCeilingGrowsMonotonically(t *testing.T) {
	t.Parallel()

	p := backoff.Policy{Base: 100 * time.Millisecond, Max: 30 * time.Second}
	prev := time.Duration(0)
	for attempt := 1; attempt <= 30; attempt++ {
		got := p.Ceiling(attempt)
		if got < prev {
			t.Fatalf("Ceiling(%d) = %v, smaller than previous %v", attempt, got, prev)
		}
		if got > p.Max {
			t.Fatalf("Ceiling(%d) = %v, above max %v", attempt, got, p.Max)
		}
		prev = got
	}
	if prev != p.Max {
		t.Fatalf("schedule never reached the cap: last ceiling %v", prev)
	}
}

func TestDelayUsesInjectedRandom(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		rnd     func(n int64) int64
		attempt int
		want    time.Duration
	}{
		{name: "lowest draw gives zero", rnd: func(int64) int64 { return 0 }, attempt: 3, want: 0},
		{name: "highest draw gives the ceiling", rnd: func(n int64) int64 { return n - 1 }, attempt: 3, want: 4 * time.Second},
		{name: "middle draw", rnd: func(n int64) int64 { return n / 2 }, attempt: 1, want: 500 * time.Millisecond},
		{name: "capped ceiling", rnd: func(n int64) int64 { return n - 1 }, attempt: 50, want: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := backoff.Policy{Base: time.Second, Max: time.Minute, Int64N: tt.rnd}
			if got := p.Delay(tt.attempt); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestDelayJitterWithinBounds(t *testing.T) {
	t.Parallel()

	r := rand.New(rand.NewPCG(1, 2)) // seeded: the test is deterministic
	p := backoff.Policy{Base: 250 * time.Millisecond, Max: 10 * time.Second, Int64N: r.Int64N}
	for attempt := 1; attempt <= 12; attempt++ {
		ceiling := p.Ceiling(attempt)
		seen := make(map[time.Duration]bool)
		for range 200 {
			d := p.Delay(attempt)
			if d < 0 || d > ceiling {
				t.Fatalf("Delay(%d) = %v, outside [0, %v]", attempt, d, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("Delay(%d) produced only %d distinct values in 200 draws; jitter looks broken", attempt, len(seen))
		}
	}
}

func TestDelayDefaultRandom(t *testing.T) {
	t.Parallel()

	p := backoff.Policy{Base: time.Millisecond, Max: time.Second}
	for range 100 {
		if d := p.Delay(5); d < 0 || d > 16*time.Millisecond {
			t.Fatalf("Delay(5) = %v, outside [0, 16ms]", d)
		}
	}
}
