package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"example.com/gopher-template/url-shortener/internal/ratelimit"
)

func TestLimiterAllow(t *testing.T) {
	tests := []struct {
		name    string
		rps     float64
		burst   int
		allowed int
	}{
		{name: "burst of one", rps: 1, burst: 1, allowed: 1},
		{name: "burst of three", rps: 0.5, burst: 3, allowed: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ratelimit.New(tt.rps, tt.burst, 10, time.Minute)
			for i := range tt.allowed {
				if ok, _ := l.Allow("client"); !ok {
					t.Fatalf("request %d rejected within burst", i+1)
				}
			}
			ok, retry := l.Allow("client")
			if ok {
				t.Fatal("request past the burst allowed")
			}
			if want := time.Duration(float64(time.Second) / tt.rps); retry <= 0 || retry > want {
				t.Errorf("retry after %v, want in (0, %v]", retry, want)
			}
			if ok, _ := l.Allow("other-client"); !ok {
				t.Error("an unrelated client was limited")
			}
		})
	}
}

func TestLimiterBounded(t *testing.T) {
	l := ratelimit.New(1, 1, 2, time.Minute)
	for i := range 3 {
		if ok, _ := l.Allow(fmt.Sprint(i)); !ok {
			t.Fatalf("first request of client %d rejected", i)
		}
	}
	// Client 0 was evicted by client 2, so it starts with a full bucket again.
	if ok, _ := l.Allow("0"); !ok {
		t.Error("evicted client still limited; the LRU is not bounded")
	}
	if ok, _ := l.Allow("2"); ok {
		t.Error("recent client not limited")
	}
}
