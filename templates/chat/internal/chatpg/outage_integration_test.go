//go:build integration

package chatpg_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/plumbing/testproxy"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chat/chattest"
	"example.com/gopher-template/chat/internal/chatpg"
	"example.com/gopher-template/chat/internal/migrations"
	"example.com/gopher-template/chat/internal/testenv"
)

// The chat service loses PostgreSQL and gets it back: while it is away, its calls fail, with an
// error and before their deadline, rather than hang, and so does its readiness check; once it is
// back, the very next calls succeed on the same pool, with no restart, and nothing stored before
// the outage is lost.
func TestServiceSurvivesAPostgresOutage(t *testing.T) {
	t.Parallel()
	dbURL, proxy := testproxy.ForURL(t, testenv.DatabaseURL(t))
	pool := testenv.PoolAt(t, dbURL, migrations.Chat)
	svc := chat.NewService(slog.New(slog.DiscardHandler), chatpg.New(pool), chattest.NewMemoryFeed())
	ada := chat.User{ID: uuid.NewString(), Name: "ada"}
	room, err := svc.CreateRoom(t.Context(), ada, "outage")
	if err != nil {
		t.Fatal(err)
	}
	// Calls side by side, so that the pool holds several connections for the cut to break.
	const before = 4
	var wg sync.WaitGroup
	errs := make(chan error, before)
	for i := range before {
		wg.Go(func() {
			_, err := svc.SendMessage(t.Context(), ada, room.ID, fmt.Sprintf("before %d", i))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// callTimeout is each call's deadline: the call must return an error within it.
	const callTimeout = 5 * time.Second
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"SendMessage", func(ctx context.Context) error {
			_, err := svc.SendMessage(ctx, ada, room.ID, "live")
			return err
		}},
		{"ListMessages", func(ctx context.Context) error {
			_, _, err := svc.ListMessages(ctx, ada, room.ID, 0, "")
			return err
		}},
		// The chat service's readiness check on PostgreSQL.
		{"readiness (pool.Ping)", pool.Ping},
	}
	run := func(call func(context.Context) error) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		defer cancel()
		start := time.Now()
		err := call(ctx)
		return time.Since(start), err
	}

	proxy.Cut()
	cutAt := time.Now()
	for _, c := range calls {
		took, err := run(c.call)
		switch {
		case err == nil:
			t.Errorf("%s succeeded with PostgreSQL cut off", c.name)
		case took >= callTimeout:
			t.Errorf("%s took %v with PostgreSQL cut off, its whole deadline of %v: %v", c.name, took, callTimeout, err)
		case errors.Is(err, chat.ErrNotMember) || errors.Is(err, chat.ErrNotFound):
			t.Errorf("%s with PostgreSQL cut off = %v, an answer about the room rather than a failure", c.name, err)
		default:
			t.Logf("%s failed after %v: %v", c.name, took.Round(time.Millisecond), err)
		}
	}
	// The outage lasts longer than the second after which pgxpool checks an idle connection
	// before handing it out, as any real one would: the pool's connections from before the cut
	// are all broken, and must not fail the first calls after the restore.
	if d := 2*time.Second - time.Since(cutAt); d > 0 {
		time.Sleep(d)
	}

	proxy.Restore()
	for _, c := range calls {
		if took, err := run(c.call); err != nil {
			t.Errorf("%s after PostgreSQL came back failed after %v: %v", c.name, took.Round(time.Millisecond), err)
		}
	}
	msgs, _, err := svc.ListMessages(t.Context(), ada, room.ID, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, m.Body)
	}
	// The SendMessage that failed during the cut stored nothing; the one after the restore did.
	if len(msgs) != before+1 || msgs[0].Body != "live" {
		t.Errorf("history after the outage = %q, want the %d messages from before and the one sent after the restore", bodies, before)
	}
}
