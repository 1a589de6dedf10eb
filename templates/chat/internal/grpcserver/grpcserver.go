// Package grpcserver is the one way the project's gRPC services are served: the interceptor
// chain (metrics, logging through slog, authentication, a default deadline, panic recovery),
// the standard health service, reflection only when asked for (development), keepalive and a
// maximum connection age so that clients balancing over a headless Service see new replicas,
// and a graceful stop with a deadline.
package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"example.com/gopher-template/chat/internal/jwtauth"
)

// Options configure a server.
type Options struct {
	Logger *slog.Logger
	// Verifier checks the access token of every call but those Public allows. Nil serves every
	// method without authentication (the auth service, whose methods are the way to get a token).
	Verifier *jwtauth.Verifier
	// Public reports whether a method (its full name, "/pkg.Service/Method") needs no token.
	// Health checks and reflection never need one.
	Public func(fullMethod string) bool
	// Registerer gets the gRPC server metrics.
	Registerer prometheus.Registerer
	// Reflection registers the reflection service (grpcurl, grpcui): development only, since it
	// hands the whole API to anyone who can connect.
	Reflection bool
	// DefaultTimeout is the deadline of a unary call whose client set none.
	DefaultTimeout time.Duration
}

// Server is a gRPC server with its health service.
type Server struct {
	*grpc.Server
	Health  *health.Server
	metrics *grpcprom.ServerMetrics
	logger  *slog.Logger
}

// New returns a server; register the services on it, then call Start.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil || opts.Registerer == nil {
		return nil, errors.New("grpcserver: a logger and a registerer are required")
	}
	if opts.DefaultTimeout <= 0 {
		return nil, errors.New("grpcserver: DefaultTimeout must be positive")
	}
	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets([]float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}),
	))
	if err := opts.Registerer.Register(metrics); err != nil {
		return nil, fmt.Errorf("grpcserver: register metrics: %w", err)
	}
	logger := InterceptorLogger(opts.Logger)
	logOpts := []logging.Option{logging.WithLogOnEvents(logging.FinishCall)}
	recoveryOpt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		opts.Logger.ErrorContext(ctx, "panic in gRPC handler", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		return status.Error(codes.Internal, "internal error")
	})

	unary := []grpc.UnaryServerInterceptor{
		metrics.UnaryServerInterceptor(),
		logging.UnaryServerInterceptor(logger, logOpts...),
	}
	stream := []grpc.StreamServerInterceptor{
		metrics.StreamServerInterceptor(),
		logging.StreamServerInterceptor(logger, logOpts...),
	}
	if opts.Verifier != nil {
		needsToken := selector.MatchFunc(func(_ context.Context, c interceptors.CallMeta) bool {
			return !alwaysPublic(c.FullMethod()) && (opts.Public == nil || !opts.Public(c.FullMethod()))
		})
		authFn := AuthFunc(opts.Verifier)
		unary = append(unary, selector.UnaryServerInterceptor(grpcauth.UnaryServerInterceptor(authFn), needsToken))
		stream = append(stream, selector.StreamServerInterceptor(grpcauth.StreamServerInterceptor(authFn), needsToken))
	}
	unary = append(unary, DefaultDeadline(opts.DefaultTimeout), recovery.UnaryServerInterceptor(recoveryOpt))
	stream = append(stream, recovery.StreamServerInterceptor(recoveryOpt))

	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			// Connections are recycled every few minutes, so that clients resolving a headless
			// Service spread over replicas that started after them.
			MaxConnectionAge:      5 * time.Minute,
			MaxConnectionAgeGrace: 30 * time.Second,
			Time:                  time.Minute,
			Timeout:               20 * time.Second,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	if opts.Reflection {
		reflection.Register(srv)
	}
	return &Server{Server: srv, Health: hs, metrics: metrics, logger: opts.Logger}, nil
}

func alwaysPublic(fullMethod string) bool {
	switch fullMethod {
	case healthpb.Health_Check_FullMethodName, healthpb.Health_Watch_FullMethodName, healthpb.Health_List_FullMethodName:
		return true
	}
	return len(fullMethod) > len("/grpc.reflection.") && fullMethod[:len("/grpc.reflection.")] == "/grpc.reflection."
}

// Running is a server serving in the background.
type Running struct {
	srv  *Server
	addr string
	errc chan error
}

// Start binds addr (a busy port fails here) and serves in the background. Register every service
// before: it also initialises their metrics at zero.
func (s *Server) Start(ctx context.Context, addr string) (*Running, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("grpc server: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln), nil
}

// Serve serves on ln in the background (tests pass a bufconn listener).
func (s *Server) Serve(ctx context.Context, ln net.Listener) *Running {
	s.metrics.InitializeMetrics(s.Server)
	r := &Running{srv: s, addr: ln.Addr().String(), errc: make(chan error, 1)}
	s.logger.InfoContext(ctx, "grpc server listening", slog.String("addr", r.addr))
	go func() {
		if err := s.Server.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			r.errc <- fmt.Errorf("grpc server: %w", err)
		}
		close(r.errc)
	}()
	return r
}

// Addr is the address served, with the real port when addr asked for port 0.
func (r *Running) Addr() string { return r.addr }

// Err delivers the error that stopped the server by itself.
func (r *Running) Err() <-chan error { return r.errc }

// Stop marks every service NOT_SERVING (load balancers stop sending), then stops gracefully:
// in-flight calls finish, up to timeout, after which the rest are cancelled.
func (r *Running) Stop(ctx context.Context, timeout time.Duration) {
	r.srv.Health.Shutdown()
	done := make(chan struct{})
	go func() {
		r.srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		r.srv.logger.WarnContext(ctx, "grpc graceful stop timed out; cancelling the remaining calls", slog.Duration("timeout", timeout))
		r.srv.Stop() // the embedded grpc.Server's: cancels what is left
		<-done
	}
	r.srv.logger.InfoContext(ctx, "grpc server stopped")
}

// InterceptorLogger adapts slog to go-grpc-middleware's logging interface.
func InterceptorLogger(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}

// DefaultDeadline gives a unary call whose client set no deadline the default one, so that no
// call runs unbounded.
func DefaultDeadline(d time.Duration) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return handler(ctx, req)
	}
}
