// Package chatgrpc serves chat.v1.ChatService over gRPC on top of chat.Service, as the user of
// the call's verified access token, and maps the domain's errors to status codes.
package chatgrpc

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"example.com/gopher-template/chat/internal/chat"
	"example.com/gopher-template/chat/internal/fanout"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
	"example.com/gopher-template/chat/internal/grpcserver"
)

// streamBuffer bounds the messages queued for one StreamMessages call: a stream that cannot keep
// up is ended (ResourceExhausted) rather than allowed to hold the room's feed back.
const streamBuffer = 256

// Server implements chatv1.ChatServiceServer.
type Server struct {
	chatv1.UnimplementedChatServiceServer
	svc    *chat.Service
	logger *slog.Logger
	// closed ends every stream at shutdown: GracefulStop waits for streams, which never end by
	// themselves.
	closed context.Context
	close  context.CancelFunc
}

// errShuttingDown ends the streams at shutdown; clients reconnect, to another replica.
var errShuttingDown = status.Error(codes.Unavailable, "server shutting down")

// New returns the gRPC face of svc.
func New(logger *slog.Logger, svc *chat.Service) *Server {
	closed, closeFn := context.WithCancel(context.Background())
	return &Server{svc: svc, logger: logger, closed: closed, close: closeFn}
}

// CloseStreams ends every StreamMessages call with UNAVAILABLE; call it before stopping the server.
func (s *Server) CloseStreams() { s.close() }

func user(ctx context.Context) (chat.User, error) {
	p, ok := grpcserver.PrincipalFrom(ctx)
	if !ok {
		return chat.User{}, status.Error(codes.Unauthenticated, "no access token")
	}
	return chat.User{ID: p.UserID, Name: p.Username}, nil
}

func (s *Server) CreateRoom(ctx context.Context, req *chatv1.CreateRoomRequest) (*chatv1.CreateRoomResponse, error) {
	u, err := user(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.svc.CreateRoom(ctx, u, req.GetName())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &chatv1.CreateRoomResponse{Room: roomPB(r)}, nil
}

func (s *Server) JoinRoom(ctx context.Context, req *chatv1.JoinRoomRequest) (*chatv1.JoinRoomResponse, error) {
	u, err := user(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.JoinRoom(ctx, u, req.GetRoomId()); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &chatv1.JoinRoomResponse{}, nil
}

func (s *Server) LeaveRoom(ctx context.Context, req *chatv1.LeaveRoomRequest) (*chatv1.LeaveRoomResponse, error) {
	u, err := user(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.LeaveRoom(ctx, u, req.GetRoomId()); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &chatv1.LeaveRoomResponse{}, nil
}

func (s *Server) ListRooms(ctx context.Context, req *chatv1.ListRoomsRequest) (*chatv1.ListRoomsResponse, error) {
	if _, err := user(ctx); err != nil {
		return nil, err
	}
	rooms, next, err := s.svc.ListRooms(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &chatv1.ListRoomsResponse{NextPageToken: next}
	for _, r := range rooms {
		resp.Rooms = append(resp.Rooms, roomPB(r))
	}
	return resp, nil
}

func (s *Server) SendMessage(ctx context.Context, req *chatv1.SendMessageRequest) (*chatv1.SendMessageResponse, error) {
	u, err := user(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.svc.SendMessage(ctx, u, req.GetRoomId(), req.GetBody())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &chatv1.SendMessageResponse{Message: fanout.ToProto(m)}, nil
}

func (s *Server) ListMessages(ctx context.Context, req *chatv1.ListMessagesRequest) (*chatv1.ListMessagesResponse, error) {
	u, err := user(ctx)
	if err != nil {
		return nil, err
	}
	msgs, next, err := s.svc.ListMessages(ctx, u, req.GetRoomId(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &chatv1.ListMessagesResponse{NextPageToken: next}
	for _, m := range msgs {
		resp.Messages = append(resp.Messages, fanout.ToProto(m))
	}
	return resp, nil
}

// StreamMessages sends the room's live messages until the client goes away. The feed delivers
// into a bounded queue; a client too slow to drain it loses its stream, never the room.
func (s *Server) StreamMessages(req *chatv1.StreamMessagesRequest, stream grpc.ServerStreamingServer[chatv1.StreamMessagesResponse]) error {
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	stopOnClose := context.AfterFunc(s.closed, func() { cancel(errShuttingDown) })
	defer stopOnClose()
	u, err := user(ctx)
	if err != nil {
		return err
	}
	queue := make(chan chat.Message, streamBuffer)
	errSlow := status.Error(codes.ResourceExhausted, "stream too slow: messages dropped")
	stop, err := s.svc.Subscribe(ctx, u, req.GetRoomId(), func(m chat.Message) {
		select {
		case queue <- m:
		default:
			cancel(errSlow)
		}
	})
	if err != nil {
		return s.toStatus(ctx, err)
	}
	defer stop()
	// Subscribed: the headers tell the client that every message sent from now on will come.
	if err := stream.SendHeader(nil); err != nil {
		return err //nolint:wrapcheck // a status already
	}
	for {
		select {
		case m := <-queue:
			if err := stream.Send(&chatv1.StreamMessagesResponse{Message: fanout.ToProto(m)}); err != nil {
				return err //nolint:wrapcheck // a status already
			}
		case <-ctx.Done():
			switch cause := context.Cause(ctx); {
			case errors.Is(cause, errSlow):
				return errSlow
			case errors.Is(cause, errShuttingDown):
				return errShuttingDown
			}
			return nil
		}
	}
}

func roomPB(r chat.Room) *chatv1.Room {
	return &chatv1.Room{Id: r.ID, Name: r.Name, CreatedBy: r.CreatedBy, CreateTime: timestamppb.New(r.CreatedAt)}
}

func (s *Server) toStatus(ctx context.Context, err error) error {
	var ve *chat.ValidationError
	switch {
	case errors.As(err, &ve):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, chat.ErrNotFound):
		return status.Error(codes.NotFound, "room not found")
	case errors.Is(err, chat.ErrNotMember):
		return status.Error(codes.PermissionDenied, "not a member of the room")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	default:
		return grpcserver.Internal(ctx, s.logger, err)
	}
}
