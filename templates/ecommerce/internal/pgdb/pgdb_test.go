package pgdb_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/gopher-template/ecommerce/internal/pgdb"
)

func TestOpenFailsFast(t *testing.T) {
	t.Parallel()
	// A listener that accepts and never answers: the connect timeout must end the wait.
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tests := []struct {
		name    string
		url     string
		wantErr string
	}{
		{"not a URL", "postgres://%zz", "parse URL"},
		{"a server that never answers", "postgres://u@" + ln.Addr().String() + "/db?sslmode=disable", "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			db, err := pgdb.Open(context.Background(), pgdb.Options{URL: tt.url, ConnectTimeout: 300 * time.Millisecond})
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open = %v, want an error mentioning %q", err, tt.wantErr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Open took %s; the connect timeout is 300ms", d)
			}
		})
	}
}
