package chat_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/chat/chattest"
)

func TestMemoryStoreContract(t *testing.T) {
	t.Parallel()
	chattest.StoreContract(t, func(*testing.T) chat.Store { return chattest.NewMemoryStore() })
}

func newService() (*chat.Service, *chattest.MemoryFeed) {
	feed := chattest.NewMemoryFeed()
	return chat.NewService(slog.New(slog.DiscardHandler), chattest.NewMemoryStore(), feed), feed
}

var (
	ada = chat.User{ID: uuid.NewString(), Name: "ada"}
	bob = chat.User{ID: uuid.NewString(), Name: "bob"}
)

func TestRoomsAndMembership(t *testing.T) {
	t.Parallel()
	svc, _ := newService()
	ctx := t.Context()
	room, err := svc.CreateRoom(ctx, ada, "  general ")
	if err != nil {
		t.Fatal(err)
	}
	if room.Name != "general" || room.CreatedBy != ada.ID {
		t.Errorf("room = %+v", room)
	}
	if _, err := svc.SendMessage(ctx, bob, room.ID, "hi"); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("non-member SendMessage = %v, want ErrNotMember", err)
	}
	if err := svc.JoinRoom(ctx, bob, room.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendMessage(ctx, bob, room.ID, "hi"); err != nil {
		t.Errorf("member SendMessage = %v", err)
	}
	if err := svc.LeaveRoom(ctx, bob, room.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.ListMessages(ctx, bob, room.ID, 0, ""); !errors.Is(err, chat.ErrNotMember) {
		t.Errorf("ListMessages after leaving = %v, want ErrNotMember", err)
	}
	if err := svc.JoinRoom(ctx, bob, uuid.NewString()); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("JoinRoom(missing) = %v, want ErrNotFound", err)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	svc, _ := newService()
	ctx := t.Context()
	room, err := svc.CreateRoom(ctx, ada, "general")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"empty room name", func() error { _, err := svc.CreateRoom(ctx, ada, "   "); return err }, "name"},
		{"long room name", func() error { _, err := svc.CreateRoom(ctx, ada, strings.Repeat("x", 65)); return err }, "name"},
		{"room id not a uuid", func() error { return svc.JoinRoom(ctx, ada, "general") }, "room_id"},
		{"room id a uuid in braces", func() error { return svc.JoinRoom(ctx, ada, "{"+room.ID+"}") }, "room_id"},
		{"room id a uuid without dashes", func() error {
			_, err := svc.SendMessage(ctx, ada, strings.ReplaceAll(room.ID, "-", ""), "hi")
			return err
		}, "room_id"},
		{"empty body", func() error { _, err := svc.SendMessage(ctx, ada, room.ID, ""); return err }, "body"},
		{"blank body", func() error { _, err := svc.SendMessage(ctx, ada, room.ID, " \n"); return err }, "body"},
		{"long body", func() error { _, err := svc.SendMessage(ctx, ada, room.ID, strings.Repeat("x", 4097)); return err }, "body"},
		{"invalid UTF-8", func() error { _, err := svc.SendMessage(ctx, ada, room.ID, "\xff"); return err }, "body"},
		{"page size", func() error { _, _, err := svc.ListRooms(ctx, 101, ""); return err }, "page_size"},
		{"negative page size", func() error { _, _, err := svc.ListMessages(ctx, ada, room.ID, -1, ""); return err }, "page_size"},
		{"forged room token", func() error { _, _, err := svc.ListRooms(ctx, 0, "bm90LWEtdG9rZW4"); return err }, "page_token"},
		{"message token on rooms", func() error { _, _, err := svc.ListRooms(ctx, 0, "bTE6MTI"); return err }, "page_token"},
		{"forged message token", func() error { _, _, err := svc.ListMessages(ctx, ada, room.ID, 0, "bTE6LTE"); return err }, "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ve *chat.ValidationError
			if err := tt.call(); !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("err = %v, want a ValidationError on %s", err, tt.field)
			}
		})
	}
}

func TestHistoryPages(t *testing.T) {
	t.Parallel()
	svc, _ := newService()
	ctx := t.Context()
	room, err := svc.CreateRoom(ctx, ada, "general")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		if _, err := svc.SendMessage(ctx, ada, room.ID, fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	var bodies []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatal("pagination does not end")
		}
		msgs, next, err := svc.ListMessages(ctx, ada, room.ID, 3, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			bodies = append(bodies, m.Body)
		}
		if next == "" {
			break
		}
		token = next
	}
	if got := strings.Join(bodies, ","); got != "m6,m5,m4,m3,m2,m1,m0" {
		t.Errorf("history = %s", got)
	}

	for range 3 {
		if _, err := svc.CreateRoom(ctx, bob, "more"); err != nil {
			t.Fatal(err)
		}
	}
	first, next, err := svc.ListRooms(ctx, 2, "")
	if err != nil || len(first) != 2 || next == "" {
		t.Fatalf("rooms page 1 = %d rooms, next %q, %v", len(first), next, err)
	}
	second, last, err := svc.ListRooms(ctx, 2, next)
	if err != nil || len(second) != 2 || last != "" {
		t.Errorf("rooms page 2 = %d rooms, next %q, %v", len(second), last, err)
	}
}

func TestSendPublishesAndSubscribeDelivers(t *testing.T) {
	t.Parallel()
	svc, feed := newService()
	ctx := t.Context()
	room, err := svc.CreateRoom(ctx, ada, "general")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Subscribe(ctx, bob, room.ID, func(chat.Message) {}); !errors.Is(err, chat.ErrNotMember) {
		t.Fatalf("non-member Subscribe = %v, want ErrNotMember", err)
	}
	got := make(chan chat.Message, 1)
	subCtx, cancel := context.WithCancel(ctx)
	if _, err := svc.Subscribe(subCtx, ada, room.ID, func(m chat.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	// Subscribed when Subscribe returns: a message sent right after is delivered.
	sent, err := svc.SendMessage(ctx, ada, room.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != sent {
			t.Errorf("delivered %+v, want %+v", m, sent)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Subscribe delivered nothing")
	}
	cancel()
	waitFor(t, func() bool { return feed.Subscribers(room.ID) == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Room IDs are UUIDs in any letter case: PostgreSQL compares them whatever the case, but NATS
// subjects and the gateway's hub do not. The service uses one form, lower case, everywhere, so
// that a message sent to one spelling reaches a subscriber who used another.
func TestRoomIDLetterCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		subscribeAs     func(string) string
		sendAs          func(string) string
		joinAs, leaveAs func(string) string
	}{
		{"lower case throughout", strings.ToLower, strings.ToLower, strings.ToLower, strings.ToLower},
		{"subscribed upper case, sent lower case", strings.ToUpper, strings.ToLower, strings.ToUpper, strings.ToUpper},
		{"subscribed lower case, sent upper case", strings.ToLower, strings.ToUpper, strings.ToUpper, strings.ToLower},
		{"mixed case", mixedCase, strings.ToUpper, mixedCase, strings.ToUpper},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, feed := newService()
			ctx := t.Context()
			room, err := svc.CreateRoom(ctx, ada, "general")
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.JoinRoom(ctx, bob, tt.joinAs(room.ID)); err != nil {
				t.Fatalf("JoinRoom(%s) = %v", tt.joinAs(room.ID), err)
			}
			got := make(chan chat.Message, 1)
			stop, err := svc.Subscribe(ctx, bob, tt.subscribeAs(room.ID), func(m chat.Message) { got <- m })
			if err != nil {
				t.Fatalf("Subscribe(%s) = %v", tt.subscribeAs(room.ID), err)
			}
			defer stop()
			sent, err := svc.SendMessage(ctx, ada, tt.sendAs(room.ID), "hello")
			if err != nil {
				t.Fatalf("SendMessage(%s) = %v", tt.sendAs(room.ID), err)
			}
			if sent.RoomID != room.ID {
				t.Errorf("sent message's room = %s, want the canonical %s", sent.RoomID, room.ID)
			}
			select {
			case m := <-got:
				if m != sent {
					t.Errorf("delivered %+v, want %+v", m, sent)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the subscriber received nothing")
			}
			if n := feed.Subscribers(room.ID); n != 1 {
				t.Errorf("subscribers of %s = %d, want 1", room.ID, n)
			}
			msgs, _, err := svc.ListMessages(ctx, bob, tt.subscribeAs(room.ID), 0, "")
			if err != nil || len(msgs) != 1 {
				t.Errorf("ListMessages = %v, %v; want the one message", msgs, err)
			}
			if err := svc.LeaveRoom(ctx, bob, tt.leaveAs(room.ID)); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.SendMessage(ctx, bob, room.ID, "hi"); !errors.Is(err, chat.ErrNotMember) {
				t.Errorf("SendMessage after LeaveRoom(%s) = %v, want ErrNotMember", tt.leaveAs(room.ID), err)
			}
		})
	}
}

// mixedCase upper-cases every other letter.
func mixedCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		b[i] = strings.ToUpper(string(b[i]))[0]
	}
	return string(b)
}

func TestCanonicalRoomID(t *testing.T) {
	t.Parallel()
	const canonical = "0190c6a4-0000-7000-8abc-00000000def0"
	tests := []struct{ in, want string }{
		{canonical, canonical},
		{"0190C6A4-0000-7000-8ABC-00000000DEF0", canonical},
		{"0190c6A4-0000-7000-8aBc-00000000dEf0", canonical},
		{"general", "general"}, // not a room ID: left for the service to refuse
		{"urn:uuid:" + canonical, "urn:uuid:" + canonical},
		{"", ""},
	}
	for _, tt := range tests {
		if got := chat.CanonicalRoomID(tt.in); got != tt.want {
			t.Errorf("CanonicalRoomID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
