package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxDeliveries bounds clients × messages: every delivery's latency is kept until the report.
const maxDeliveries = 20_000_000

type options struct {
	gateways   []string // base URLs of gateways, for the set-up through REST
	sockets    []string // WebSocket URLs as they are: no set-up
	clients    int
	rate       float64
	senderRate float64
	duration   time.Duration
	drain      time.Duration
	jsonOut    bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The gateway refuses messages beyond WS_MESSAGE_RATE per connection; a sender stays at 80%
	// of it, so that its timer's jitter never trips the limit.
	gatewayRate, err := strconv.ParseFloat(cmp.Or(getenv("WS_MESSAGE_RATE"), "5"), 64)
	if err != nil || gatewayRate <= 0 {
		return options{}, fmt.Errorf("flags: WS_MESSAGE_RATE=%q is not a positive number", getenv("WS_MESSAGE_RATE"))
	}
	var o options
	var gateways, sockets string
	fs.StringVar(&gateways, "gateways", "http://"+cmp.Or(getenv("GATEWAY_ADDR"), "127.0.0.1:8080"),
		"comma-separated base URLs of the gateways; clients are spread over them round robin (default from GATEWAY_ADDR)")
	fs.StringVar(&sockets, "ws", "", "comma-separated WebSocket URLs to open as they are, instead of registering and creating a room through -gateways")
	fs.IntVar(&o.clients, "clients", 100, "WebSocket clients in the room, every one a receiver")
	fs.Float64Var(&o.rate, "rate", 100, "messages per second, all senders together")
	fs.Float64Var(&o.senderRate, "sender-rate", 0.8*gatewayRate, "messages per second one client sends at most (default 80% of WS_MESSAGE_RATE)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	fs.DurationVar(&o.drain, "drain", 5*time.Second, "how long to wait, after the last send, for messages still on their way")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as one JSON line")
	if err := fs.Parse(args[1:]); err != nil {
		return options{}, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("flags: unexpected arguments %q", fs.Args())
	}
	o.sockets = splitList(sockets)
	if len(o.sockets) == 0 {
		o.gateways = splitList(gateways)
		if len(o.gateways) == 0 {
			return options{}, errors.New("flags: -gateways or -ws must name at least one URL")
		}
		for _, g := range o.gateways {
			if _, err := roomSocket(g, "x"); err != nil {
				return options{}, fmt.Errorf("flags: %w", err)
			}
		}
	} else if err := checkSockets(o.sockets); err != nil {
		return options{}, fmt.Errorf("flags: %w", err)
	}
	if o.clients < 1 || o.clients > 10_000 || o.rate <= 0 || o.rate > 100_000 || o.senderRate <= 0 ||
		o.duration < 100*time.Millisecond || o.duration > time.Hour || o.drain < 0 {
		return options{}, errors.New("flags: need 1 <= clients <= 10000, 0 < rate <= 100000, a positive sender rate, 100ms <= duration <= 1h and drain >= 0")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	p, err := newPlan(o.clients, o.rate, o.senderRate, o.duration)
	if err != nil {
		return err
	}
	if int64(p.clients)*int64(p.messages) > maxDeliveries {
		return fmt.Errorf("clients × messages (rate × duration) must be at most %d", maxDeliveries)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	sockets, header := o.sockets, http.Header{}
	if len(sockets) == 0 {
		token, roomID, err := setUp(ctx, o.gateways[0])
		if err != nil {
			return err
		}
		header.Set("Authorization", "Bearer "+token)
		for _, g := range o.gateways {
			s, err := roomSocket(g, roomID)
			if err != nil {
				return err
			}
			sockets = append(sockets, s)
		}
		logger.InfoContext(ctx, "room created", slog.String("room_id", roomID), slog.Int("gateways", len(o.gateways)))
	}
	res, err := loadTest(ctx, logger, p, sockets, header, o.drain)
	if err != nil {
		return err
	}
	if err := res.write(stdout, o.jsonOut); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if res.Disconnected > 0 {
		return fmt.Errorf("%s disconnected before the end, the first: %w", count(res.Disconnected, "client"), res.firstDisconnect)
	}
	return nil
}

// setUp registers a user, logs in and creates a room through the gateway's REST API.
func setUp(ctx context.Context, gateway string) (token, roomID string, err error) {
	client := &http.Client{Timeout: 30 * time.Second}
	base := strings.TrimSuffix(gateway, "/")
	credentials := map[string]string{
		"username": "loadtest-" + strings.ToLower(rand.Text()[:12]),
		"password": rand.Text(),
	}
	if err := post(ctx, client, base+"/v1/auth/register", "", credentials, nil); err != nil {
		return "", "", fmt.Errorf("register: %w", err)
	}
	var login struct {
		Tokens struct {
			AccessToken string `json:"accessToken"`
		} `json:"tokens"`
	}
	if err := post(ctx, client, base+"/v1/auth/login", "", credentials, &login); err != nil {
		return "", "", fmt.Errorf("log in: %w", err)
	}
	var created struct {
		Room struct {
			ID string `json:"id"`
		} `json:"room"`
	}
	token = login.Tokens.AccessToken
	if err := post(ctx, client, base+"/v1/rooms", token, map[string]string{"name": "load test"}, &created); err != nil {
		return "", "", fmt.Errorf("create a room: %w", err)
	}
	if token == "" || created.Room.ID == "" {
		return "", "", errors.New("set-up: no access token or room ID in the gateway's answers")
	}
	return token, created.Room.ID, nil
}

// post sends body as JSON and decodes a 200 answer into out (unless nil).
func post(ctx context.Context, client *http.Client, url, token string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("POST %s: decode the answer: %w", url, err)
	}
	return nil
}
