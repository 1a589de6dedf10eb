package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errorBody is every REST error: a message for people and the gRPC code for programs.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// HTTPStatus maps a gRPC code to the HTTP status the gateway answers with (grpc-gateway's
// mapping, which follows google.rpc.Code's documentation).
func HTTPStatus(c codes.Code) int { return runtime.HTTPStatusFromCode(c) }

// publicMessage is what a client may read of an error: the service's own words for the codes
// the services choose deliberately, a generic text for failures, whose detail stays in the logs.
func publicMessage(s *status.Status) string {
	switch s.Code() {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		return "internal error"
	case codes.Unavailable:
		return "service unavailable, try again"
	case codes.DeadlineExceeded:
		return "the service did not answer in time"
	default:
		return s.Message()
	}
}

// errorHandler writes a gRPC error as JSON with the mapped HTTP status.
func errorHandler(logger *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		s := status.Convert(err)
		code := HTTPStatus(s.Code())
		if code >= http.StatusInternalServerError {
			logger.WarnContext(ctx, "upstream call failed", slog.String("path", r.URL.Path), slog.String("grpc_code", s.Code().String()), slog.String("error", s.Message()))
		}
		if s.Code() == codes.Unauthenticated {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chat"`)
		}
		writeJSON(w, code, errorBody{Error: publicMessage(s), Code: s.Code().String()})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the status is sent; a failed write means the client left
}
