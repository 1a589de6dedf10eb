package chattest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/gopher-template/chat/internal/chat"
)

// StoreContract runs the behaviour every chat.Store must have against stores made by newStore.
func StoreContract(t *testing.T, newStore func(t *testing.T) chat.Store) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)

	t.Run("rooms and members", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		owner, guest := uuid.NewString(), uuid.NewString()
		var ids []string
		for i := range 3 {
			id := uuid.Must(uuid.NewV7()).String()
			ids = append(ids, id)
			if err := s.CreateRoom(ctx, chat.Room{ID: id, Name: fmt.Sprintf("room %d", i), CreatedBy: owner, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := s.IsMember(ctx, ids[0], owner); err != nil || !ok {
			t.Errorf("creator IsMember = %v, %v; want true", ok, err)
		}
		if ok, err := s.IsMember(ctx, ids[0], guest); err != nil || ok {
			t.Errorf("guest IsMember = %v, %v; want false", ok, err)
		}
		for range 2 { // twice: joining again is no error
			if err := s.AddMember(ctx, ids[0], guest, now); err != nil {
				t.Fatal(err)
			}
		}
		if ok, _ := s.IsMember(ctx, ids[0], guest); !ok {
			t.Error("guest is not a member after AddMember")
		}
		for range 2 {
			if err := s.RemoveMember(ctx, ids[0], guest); err != nil {
				t.Fatal(err)
			}
		}
		if ok, _ := s.IsMember(ctx, ids[0], guest); ok {
			t.Error("guest is a member after RemoveMember")
		}
		missing := uuid.NewString()
		if err := s.AddMember(ctx, missing, guest, now); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("AddMember(missing room) = %v, want ErrNotFound", err)
		}
		if _, err := s.IsMember(ctx, missing, guest); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("IsMember(missing room) = %v, want ErrNotFound", err)
		}

		page, err := s.ListRooms(ctx, "", 2)
		if err != nil || len(page) != 2 || page[0].ID != ids[0] || page[1].ID != ids[1] {
			t.Fatalf("first page = %+v, %v", page, err)
		}
		if page[0].Name != "room 0" || page[0].CreatedBy != owner || !page[0].CreatedAt.Equal(now) {
			t.Errorf("room = %+v", page[0])
		}
		rest, err := s.ListRooms(ctx, page[1].ID, 2)
		if err != nil || len(rest) != 1 || rest[0].ID != ids[2] {
			t.Errorf("second page = %+v, %v", rest, err)
		}
	})

	t.Run("messages", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := t.Context()
		user := uuid.NewString()
		room, other := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
		for _, id := range []string{room, other} {
			if err := s.CreateRoom(ctx, chat.Room{ID: id, Name: "r", CreatedBy: user, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		var sent []chat.Message
		for i := range 5 {
			m, err := s.AddMessage(ctx, chat.Message{RoomID: room, UserID: user, Username: "ada", Body: fmt.Sprint("m", i), CreatedAt: now})
			if err != nil {
				t.Fatal(err)
			}
			if len(sent) > 0 && m.ID <= sent[len(sent)-1].ID {
				t.Fatalf("IDs do not increase: %d after %d", m.ID, sent[len(sent)-1].ID)
			}
			sent = append(sent, m)
		}
		if _, err := s.AddMessage(ctx, chat.Message{RoomID: other, UserID: user, Username: "ada", Body: "elsewhere", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMessage(ctx, chat.Message{RoomID: uuid.NewString(), UserID: user, Username: "ada", Body: "x", CreatedAt: now}); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("AddMessage(missing room) = %v, want ErrNotFound", err)
		}
		newest, err := s.ListMessages(ctx, room, 0, 2)
		if err != nil || len(newest) != 2 || newest[0].Body != "m4" || newest[1].Body != "m3" {
			t.Fatalf("newest page = %+v, %v", newest, err)
		}
		if newest[0] != sent[4] {
			t.Errorf("stored message = %+v, want %+v", newest[0], sent[4])
		}
		older, err := s.ListMessages(ctx, room, newest[1].ID, 10)
		if err != nil || len(older) != 3 || older[0].Body != "m2" || older[2].Body != "m0" {
			t.Errorf("older page = %+v, %v", older, err)
		}
	})
}
