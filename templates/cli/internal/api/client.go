package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// MaxResponseBody bounds the body of a successful response, so that a broken or hostile
// server cannot make the CLI buffer without limit. The largest legitimate body is a page of
// MaxPageSize links: about 250 KiB with the server's longest (2 KiB) URLs, 1.2 MiB if every
// character of them came escaped as \u00XX; 4 MiB leaves room above both.
const MaxResponseBody = 4 << 20

// ErrResponseTooLarge is returned when a successful response's body exceeds MaxResponseBody.
var ErrResponseTooLarge = fmt.Errorf("response body exceeds the client's limit of %d MiB", MaxResponseBody>>20)

// Options configure a Client. Endpoint is required.
type Options struct {
	Endpoint   string        // base URL, e.g. https://sho.rt; /api/v1/... is appended
	Token      string        // sent as "Authorization: Bearer <token>" when not empty
	UserAgent  string        // "product/version"; the CLI sends its AppName and version
	Timeout    time.Duration // bound on one operation, retries included; 0 means none
	HTTPClient *http.Client  // nil means the default transport; used through a copy (withRedirectPolicy)
	Logger     *slog.Logger  // debug traces of each attempt; nil discards them
	Retry      *RetryPolicy  // nil means DefaultRetryPolicy
}

// Client calls the link API. It is safe for concurrent use.
type Client struct {
	base      string
	token     string
	userAgent string
	timeout   time.Duration
	http      *http.Client
	logger    *slog.Logger
	retry     RetryPolicy
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("api: invalid endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: invalid endpoint %q: want an absolute http or https URL", opts.Endpoint)
	}
	c := &Client{
		base:      strings.TrimRight(u.String(), "/"),
		token:     opts.Token,
		userAgent: opts.UserAgent,
		timeout:   opts.Timeout,
		http:      withRedirectPolicy(opts.HTTPClient),
		logger:    opts.Logger,
		retry:     DefaultRetryPolicy(),
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if opts.Retry != nil {
		c.retry = *opts.Retry
	}
	return c, nil
}

// CreateLink creates a short link (POST /api/v1/links).
func (c *Client) CreateLink(ctx context.Context, req CreateLinkRequest) (Link, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Link{}, fmt.Errorf("api: encode request: %w", err)
	}
	var l Link
	err = c.do(ctx, http.MethodPost, "/api/v1/links", nil, body, http.StatusCreated, &l)
	return l, err
}

// GetLink fetches one link by code (GET /api/v1/links/{code}).
func (c *Client) GetLink(ctx context.Context, code string) (Link, error) {
	var l Link
	err := c.do(ctx, http.MethodGet, linkPath(code), nil, nil, http.StatusOK, &l)
	return l, err
}

// DeleteLink deletes a link by code (DELETE /api/v1/links/{code}).
func (c *Client) DeleteLink(ctx context.Context, code string) error {
	return c.do(ctx, http.MethodDelete, linkPath(code), nil, nil, http.StatusNoContent, nil)
}

// ListLinks fetches one page of links (GET /api/v1/links). limit must be 1..MaxPageSize;
// an empty cursor starts at the beginning.
func (c *Client) ListLinks(ctx context.Context, limit int, cursor string) (Page, error) {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var p Page
	err := c.do(ctx, http.MethodGet, "/api/v1/links", q, nil, http.StatusOK, &p)
	return p, err
}

// ListAllLinks follows next_cursor from cursor until the last page, or until max links were
// collected when max > 0. Each request asks for at most pageSize links, and never for more
// than are still wanted, so it always stops on a page boundary: the returned cursor resumes
// exactly after the last link returned ("" when there is nothing more).
func (c *Client) ListAllLinks(ctx context.Context, pageSize, limit int, cursor string) (Page, error) {
	all := Page{Links: []Link{}}
	seen := map[string]bool{}
	for {
		n := pageSize
		if limit > 0 {
			n = min(n, limit-len(all.Links))
		}
		p, err := c.ListLinks(ctx, n, cursor)
		if err != nil {
			return Page{}, err
		}
		all.Links = append(all.Links, p.Links...)
		all.NextCursor = p.NextCursor
		if p.NextCursor == "" || (limit > 0 && len(all.Links) >= limit) {
			return all, nil
		}
		if seen[p.NextCursor] {
			return Page{}, ErrPaginationLoop
		}
		seen[p.NextCursor] = true
		cursor = p.NextCursor
	}
}

func linkPath(code string) string { return "/api/v1/links/" + url.PathEscape(code) }

// do sends one API operation with retries and decodes a response with status want into out.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, want int, out any) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	target := c.base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	attempts := max(c.retry.MaxAttempts, 1)
	for attempt := 1; ; attempt++ {
		o := c.attempt(ctx, method, target, path, body, want, out, attempt)
		if o.noResponse {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return c.contextError(ctxErr, o.err)
			}
			if attempt >= attempts || !shouldRetry(method, 0, o.err, false) ||
				!c.wait(ctx, c.retry.backoff(attempt), "connection error") {
				return &NetworkError{Err: o.err}
			}
			continue
		}
		if o.status == 0 || o.status == want || attempt >= attempts || !shouldRetry(method, o.status, nil, o.hasRetryAfter) {
			return o.err
		}
		delay := c.retry.backoff(attempt)
		if o.hasRetryAfter {
			delay = min(o.retryAfter, c.retry.MaxRetryAfter)
		}
		if !c.wait(ctx, delay, http.StatusText(o.status)) {
			return o.err
		}
	}
}

// outcome is the result of one attempt.
type outcome struct {
	noResponse    bool  // err is a transport error: the request got no response
	status        int   // the response's status, 0 without one
	err           error // transport, request-building or decode error, or *StatusError
	retryAfter    time.Duration
	hasRetryAfter bool
}

// attempt sends one request and consumes its response: a response with status want is
// decoded into out, any other becomes a *StatusError.
func (c *Client) attempt(ctx context.Context, method, target, path string, body []byte, want int, out any, n int) outcome {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, r)
	if err != nil {
		return outcome{err: fmt.Errorf("api: build request: %w", err)}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	// Only method, redacted URL, status and timing are traced: never headers or bodies.
	attrs := []any{
		slog.String("method", method),
		slog.String("url", req.URL.Redacted()),
		slog.Int("attempt", n),
		slog.Duration("duration", time.Since(start)),
	}
	if err != nil {
		c.logger.DebugContext(ctx, "http request failed", append(attrs, slog.String("error", err.Error()))...)
		if errors.Is(err, ErrInsecureRedirect) {
			return outcome{err: err} // a response arrived: neither retried nor a NetworkError
		}
		return outcome{noResponse: true, err: err}
	}
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
	}()
	c.logger.DebugContext(ctx, "http request", append(attrs, slog.Int("status", resp.StatusCode))...)

	o := outcome{status: resp.StatusCode}
	if resp.StatusCode == want {
		if out != nil {
			o.err = decode(resp, out, method, path)
		}
		return o
	}
	o.retryAfter, o.hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	o.err = readError(resp.Body, method, path, resp.StatusCode)
	return o
}

// decode reads a successful response of at most MaxResponseBody bytes into out.
func decode(resp *http.Response, out any, method, path string) error {
	if resp.ContentLength > MaxResponseBody {
		return fmt.Errorf("api: %s %s: %w (Content-Length %d)", method, path, ErrResponseTooLarge, resp.ContentLength)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return fmt.Errorf("api: read %s %s response: %w", method, path, err)
	}
	if len(raw) > MaxResponseBody {
		return fmt.Errorf("api: %s %s: %w", method, path, ErrResponseTooLarge)
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(out); err != nil {
		return fmt.Errorf("api: decode %s %s response: %w", method, path, err)
	}
	return nil
}

// wait sleeps before a retry. It reports false, without sleeping, when the delay would
// outlast the context's deadline, and false when the context ends during the wait.
func (c *Client) wait(ctx context.Context, d time.Duration, reason string) bool {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		c.logger.DebugContext(ctx, "not retrying: wait exceeds deadline", slog.Duration("wait", d), slog.String("reason", reason))
		return false
	}
	c.logger.DebugContext(ctx, "retrying", slog.Duration("wait", d), slog.String("reason", reason))
	return sleep(ctx, d) == nil
}

func (c *Client) contextError(ctxErr, err error) error {
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		return &NetworkError{Err: fmt.Errorf("timed out after %s: %w", c.timeout, err)}
	}
	return fmt.Errorf("api: %w", ctxErr)
}

// readError turns an unexpected response into a StatusError.
func readError(body io.Reader, method, path string, status int) *StatusError {
	raw, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
	e := &StatusError{Method: method, Path: path, StatusCode: status}
	var payload struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &payload) == nil && payload.Error != "" {
		e.Message = payload.Error
	} else {
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 200 {
			e.Message = strings.ToValidUTF8(e.Message[:200], "") + "…"
		}
	}
	return e
}
