package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"example.com/gopher-template/chat/internal/metrics"
)

func TestRecorders(t *testing.T) {
	t.Parallel()
	reg, err := metrics.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	a, err := metrics.NewAuth(reg, "chat")
	if err != nil {
		t.Fatal(err)
	}
	g, err := metrics.NewGateway(reg, "chat")
	if err != nil {
		t.Fatal(err)
	}
	a.AuthEvent("refresh_reused")
	g.WSConnected(1)
	g.WSConnected(1)
	g.WSConnected(-1)
	g.WSDropped("slow_consumer")
	g.WSDelivered()
	for name, want := range map[string]int{"chat_auth_events_total": 1, "chat_ws_connections": 1, "chat_ws_dropped_total": 1, "chat_ws_frames_delivered_total": 1} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("%s: %d series, %v; want %d", name, n, err, want)
		}
	}
	if _, err := metrics.NewAuth(reg, "chat"); err == nil {
		t.Error("registering the auth metrics twice succeeded")
	}
}
