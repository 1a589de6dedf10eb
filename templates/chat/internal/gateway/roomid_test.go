package gateway_test

import (
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// A room's socket opened with the room ID in upper case shares the room's feed with one opened
// in lower case: the hub keys and the feed's subjects use the canonical (lower-case) ID.
func TestWebSocketRoomIDInAnyLetterCase(t *testing.T) {
	t.Parallel()
	s := newStack(t, defaultWS())
	ada, bob := login(t, s.url, "ada"), login(t, s.url, "bob")
	room := createRoom(t, s.url, ada)
	upper, _, err := dial(t, s, strings.ToUpper(room), ada, nil)
	if err != nil {
		t.Fatal(err)
	}
	lower, _, err := dial(t, s, room, bob, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.hub.Rooms(); n != 1 {
		t.Errorf("hub rooms = %d, want 1 subscription for both spellings", n)
	}
	if n := s.feed.Subscribers(room); n != 1 {
		t.Errorf("feed subscribers of %s = %d, want 1", room, n)
	}
	conns := map[string]*websocket.Conn{"ada (upper case)": upper, "bob (lower case)": lower}
	for _, tt := range []struct {
		from *websocket.Conn
		body string
	}{
		{lower, "sent to the lower-case id"},
		{upper, "sent to the upper-case id"},
	} {
		send(t, tt.from, tt.body)
		for name, c := range conns {
			if f := read(t, c); f.Type != "message" || f.Message["body"] != tt.body || f.Message["roomId"] != room {
				t.Errorf("%s received %+v, want %q in room %s", name, f, tt.body, room)
			}
		}
	}
}
