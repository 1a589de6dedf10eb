package logging_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"example.com/gopher-template/plumbing/logging"
)

func TestRequestIDInLogs(t *testing.T) {
	tests := []struct {
		name      string
		requestID string
		group     string
	}{
		{name: "with request id", requestID: "req-123"},
		{name: "without request id"},
		{name: "with attrs and group", requestID: "req-456", group: "g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := logging.New(&buf, slog.LevelInfo).With(slog.String("component", "test"))
			if tt.group != "" {
				logger = logger.WithGroup(tt.group)
			}
			ctx := t.Context()
			if tt.requestID != "" {
				ctx = logging.WithRequestID(ctx, tt.requestID)
			}
			logger.InfoContext(ctx, "hello")
			logger.DebugContext(ctx, "filtered out")

			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
			}
			got := line[logging.RequestIDKey]
			if tt.group != "" {
				got = line[tt.group].(map[string]any)[logging.RequestIDKey]
			}
			if tt.requestID == "" && got != nil {
				t.Errorf("unexpected request_id %v", got)
			}
			if tt.requestID != "" && got != tt.requestID {
				t.Errorf("request_id = %v, want %q in %s", got, tt.requestID, buf.String())
			}
			if line["component"] != "test" {
				t.Errorf("lost attrs: %s", buf.String())
			}
		})
	}
}
