package grpcclient_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcclient"
)

// flaky answers UNAVAILABLE to the first failures calls of each method, then succeeds.
type flaky struct {
	chatv1.UnimplementedChatServiceServer
	authv1.UnimplementedAuthServiceServer
	failures int32
	calls    map[string]*atomic.Int32
	sawDL    atomic.Bool
}

func (f *flaky) attempt(ctx context.Context, method string) error {
	if _, ok := ctx.Deadline(); ok {
		f.sawDL.Store(true)
	}
	if f.calls[method].Add(1) <= f.failures {
		return status.Error(codes.Unavailable, "replica going away")
	}
	return nil
}

func (f *flaky) ListRooms(ctx context.Context, _ *chatv1.ListRoomsRequest) (*chatv1.ListRoomsResponse, error) {
	if err := f.attempt(ctx, "ListRooms"); err != nil {
		return nil, err
	}
	return &chatv1.ListRoomsResponse{}, nil
}

func (f *flaky) SendMessage(ctx context.Context, _ *chatv1.SendMessageRequest) (*chatv1.SendMessageResponse, error) {
	if err := f.attempt(ctx, "SendMessage"); err != nil {
		return nil, err
	}
	return &chatv1.SendMessageResponse{}, nil
}

func (f *flaky) Refresh(ctx context.Context, _ *authv1.RefreshRequest) (*authv1.RefreshResponse, error) {
	if err := f.attempt(ctx, "Refresh"); err != nil {
		return nil, err
	}
	return &authv1.RefreshResponse{}, nil
}

func serve(t *testing.T, f *flaky) *grpc.ClientConn {
	t.Helper()
	srv := grpc.NewServer()
	chatv1.RegisterChatServiceServer(srv, f)
	authv1.RegisterAuthServiceServer(srv, f)
	ln := bufconn.Listen(1 << 16)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	conn, err := grpcclient.Dial("passthrough:///bufnet", grpcclient.Options{
		Timeout: 2 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return ln.DialContext(ctx)
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func newFlaky(failures int32) *flaky {
	return &flaky{failures: failures, calls: map[string]*atomic.Int32{"ListRooms": {}, "SendMessage": {}, "Refresh": {}}}
}

func TestRetriesOnlyWhatIsSafe(t *testing.T) {
	t.Parallel()
	f := newFlaky(2)
	conn := serve(t, f)
	chatClient, authClient := chatv1.NewChatServiceClient(conn), authv1.NewAuthServiceClient(conn)

	if _, err := chatClient.ListRooms(t.Context(), &chatv1.ListRoomsRequest{}); err != nil {
		t.Errorf("ListRooms after two UNAVAILABLE = %v, want retried to success", err)
	}
	if n := f.calls["ListRooms"].Load(); n != 3 {
		t.Errorf("ListRooms reached the server %d times, want 3", n)
	}
	if _, err := chatClient.SendMessage(t.Context(), &chatv1.SendMessageRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("SendMessage = %v, want UNAVAILABLE unretried", err)
	}
	if n := f.calls["SendMessage"].Load(); n != 1 {
		t.Errorf("SendMessage reached the server %d times, want 1: it is not idempotent", n)
	}
	if _, err := authClient.Refresh(t.Context(), &authv1.RefreshRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("Refresh = %v, want UNAVAILABLE unretried", err)
	}
	if n := f.calls["Refresh"].Load(); n != 1 {
		t.Errorf("Refresh reached the server %d times, want 1: a repeated refresh is a reuse", n)
	}
	if !f.sawDL.Load() {
		t.Error("calls made without a deadline reached the server without one")
	}
}

func TestDialRejectsNoTimeout(t *testing.T) {
	t.Parallel()
	if _, err := grpcclient.Dial("dns:///chat:9090", grpcclient.Options{}); err == nil {
		t.Error("Dial without a timeout succeeded")
	}
}

// The upstream timeout bounds every call: a caller's deadline only shortens it. grpc-gateway
// turns a client's Grpc-Timeout header into the context's deadline, which must not lift the bound.
func TestDeadlineBoundsEveryCall(t *testing.T) {
	t.Parallel()
	const d = 2 * time.Second
	tests := []struct {
		name    string
		timeout time.Duration // of the caller's context; 0: none
		want    time.Duration // the most the call may be left with
	}{
		{"no deadline", 0, d},
		{"far deadline", 1000 * time.Hour, d},
		{"nearer deadline", 500 * time.Millisecond, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			var left time.Duration
			invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
				deadline, ok := ctx.Deadline()
				if !ok {
					t.Fatal("the call has no deadline")
				}
				left = time.Until(deadline)
				return nil
			}
			if err := grpcclient.Deadline(d)(ctx, "/chat.v1.ChatService/ListRooms", nil, nil, nil, invoker); err != nil {
				t.Fatal(err)
			}
			if left > tt.want || left < tt.want-time.Second {
				t.Errorf("the call had %v left, want at most %v (and not much less)", left, tt.want)
			}
		})
	}
}
