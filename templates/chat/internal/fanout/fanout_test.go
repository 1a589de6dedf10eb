package fanout_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/fanout"
)

func TestNewRejectsBadPrefixes(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "a b", "chat.*", "chat.>", ".chat", "chat."} {
		if _, err := fanout.New(nil, p, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("New(%q) accepted the prefix", p)
		}
	}
}

func TestProtoRoundTrip(t *testing.T) {
	t.Parallel()
	m := chat.Message{ID: 42, RoomID: uuid.NewString(), UserID: uuid.NewString(), Username: "ada", Body: "héllo", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if got := fanout.FromProto(fanout.ToProto(m)); got != m {
		t.Errorf("round trip = %+v, want %+v", got, m)
	}
}
