//go:build integration

package fanout_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/fanout"
	"example.com/gopher-template/chat/internal/testenv"
)

func TestPublishReachesEverySubscriberOfTheRoomOnly(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.NATS(t)
	logger := slog.New(slog.DiscardHandler)
	// Two connections: two replicas.
	feeds := make([]*fanout.Feed, 2)
	for i := range feeds {
		nc, err := fanout.Connect(t.Context(), url, "fanout-test", logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		if feeds[i], err = fanout.New(nc, prefix, logger); err != nil {
			t.Fatal(err)
		}
	}
	room, other := uuid.NewString(), uuid.NewString()
	got := make(chan chat.Message, 4)
	ctx, cancel := context.WithCancel(t.Context())
	for _, f := range feeds {
		if _, err := f.Subscribe(ctx, room, func(m chat.Message) { got <- m }); err != nil {
			t.Fatal(err)
		}
	}
	otherRoom := make(chan chat.Message, 1)
	if _, err := feeds[1].Subscribe(t.Context(), other, func(m chat.Message) { otherRoom <- m }); err != nil {
		t.Fatal(err)
	}
	sent := chat.Message{ID: 7, RoomID: room, UserID: uuid.NewString(), Username: "ada", Body: "hello", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := feeds[0].Publish(t.Context(), sent); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case m := <-got:
			if m != sent {
				t.Errorf("received %+v, want %+v", m, sent)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a subscriber received nothing")
		}
	}
	select {
	case m := <-otherRoom:
		t.Errorf("another room's subscriber received %+v", m)
	case <-time.After(100 * time.Millisecond):
	}

	// After the context ends, nothing more arrives.
	cancel()
	time.Sleep(100 * time.Millisecond)
	if err := feeds[0].Publish(t.Context(), sent); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		t.Errorf("received %+v after the subscription's context ended", m)
	case <-time.After(200 * time.Millisecond):
	}
}

// The stop Subscribe returns may run at once from the goroutine that ends with the context and
// from the caller (chatgrpc's StreamMessages defers it while its client's context ends), and
// more than once: it must neither panic nor race.
func TestStopRacesTheContextAndRunsTwice(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.NATS(t)
	logger := slog.New(slog.DiscardHandler)
	nc, err := fanout.Connect(t.Context(), url, "fanout-test", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	feed, err := fanout.New(nc, prefix, logger)
	if err != nil {
		t.Fatal(err)
	}
	room := uuid.NewString()
	const rounds, stoppers = 1000, 8
	for range rounds {
		ctx, cancel := context.WithCancel(t.Context())
		stop, err := feed.Subscribe(ctx, room, func(chat.Message) {})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { <-start; cancel() })
		for range stoppers {
			wg.Go(func() { <-start; stop() })
		}
		close(start)
		wg.Wait()
		stop() // once more, after everything
	}
	if n := nc.NumSubscriptions(); n != 0 {
		t.Errorf("%d subscriptions left after every stop, want 0", n)
	}
}
