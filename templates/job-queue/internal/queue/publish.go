package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Headers set on dead letters.
const (
	HeaderJobID     = "Job-Id"
	HeaderJobType   = "Job-Type"
	HeaderAttempts  = "Job-Attempts"
	HeaderLastError = "Job-Last-Error"
)

// maxErrorHeader bounds the error text copied into a header.
const maxErrorHeader = 1024

// stallWait bounds how long an asynchronous publish waits for room among the publishes in flight.
const stallWait = 5 * time.Second

// Publisher publishes jobs to the jobs stream and finds them there. It implements
// jobs.Publisher.
type Publisher struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	names  Names
}

// NewPublisher returns a Publisher on the jobs stream, which EnsureStreams must have created.
func NewPublisher(ctx context.Context, js jetstream.JetStream, n Names) (*Publisher, error) {
	stream, err := js.Stream(ctx, n.Stream)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", n.Stream, err)
	}
	return &Publisher{js: js, stream: stream, names: n}, nil
}

// Publish implements jobs.Publisher. The job ID is the message ID, so the stream drops a repeat
// within its duplicate window.
func (p *Publisher) Publish(ctx context.Context, env jobs.Envelope) (bool, error) {
	msg, err := p.message(env)
	if err != nil {
		return false, err
	}
	ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(env.ID), jetstream.WithExpectStream(p.names.Stream))
	if err != nil {
		return false, fmt.Errorf("publish job %s: %w", env.ID, err)
	}
	return ack.Duplicate, nil
}

// PublishAll implements jobs.Publisher with asynchronous publishes: one round trip for the lot
// rather than one per job.
func (p *Publisher) PublishAll(ctx context.Context, envs []jobs.Envelope) []error {
	errs := make([]error, len(envs))
	futures := make([]jetstream.PubAckFuture, len(envs))
	for i, env := range envs {
		msg, err := p.message(env)
		if err != nil {
			errs[i] = err
			continue
		}
		futures[i], err = p.js.PublishMsgAsync(msg,
			jetstream.WithMsgID(env.ID), jetstream.WithExpectStream(p.names.Stream), jetstream.WithStallWait(stallWait))
		if err != nil {
			errs[i] = fmt.Errorf("publish job %s: %w", env.ID, err)
		}
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs[i] = fmt.Errorf("publish job %s: %w", envs[i].ID, err)
		case <-ctx.Done():
			errs[i] = fmt.Errorf("publish job %s: %w", envs[i].ID, ctx.Err())
		}
	}
	return errs
}

// Queued implements jobs.Publisher: the job's message, whatever its type, by its subject.
func (p *Publisher) Queued(ctx context.Context, id string) (jobs.Envelope, error) {
	if !idPattern.MatchString(id) {
		return jobs.Envelope{}, jobs.ErrNotFound
	}
	msg, err := p.stream.GetLastMsgForSubject(ctx, p.names.queuedSubject(id))
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return jobs.Envelope{}, jobs.ErrNotFound
		}
		return jobs.Envelope{}, fmt.Errorf("look up job %s in the queue: %w", id, err)
	}
	env, err := jobs.DecodeEnvelope(msg.Data)
	if err != nil {
		return jobs.Envelope{}, fmt.Errorf("look up job %s in the queue: %w", id, err)
	}
	return env, nil
}

func (p *Publisher) message(env jobs.Envelope) (*nats.Msg, error) {
	data, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", env.ID, err)
	}
	return &nats.Msg{Subject: p.names.JobSubject(env.Type, env.ID), Data: data}, nil
}

// idPattern keeps a job ID usable as one subject token: what NewID and IDForKey make.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// DeadLetterer publishes dead letters. It implements jobs.DeadLetterer.
type DeadLetterer struct {
	js    jetstream.JetStream
	names Names
}

// NewDeadLetterer returns a DeadLetterer.
func NewDeadLetterer(js jetstream.JetStream, n Names) *DeadLetterer {
	return &DeadLetterer{js: js, names: n}
}

// DeadLetter implements jobs.DeadLetterer: the original message body, with the job ID, type,
// attempts and last error in headers.
func (d *DeadLetterer) DeadLetter(ctx context.Context, dl jobs.DeadLetter) error {
	jobType := dl.Type
	if jobType == "" {
		jobType = "unknown"
	}
	lastErr := dl.LastError
	if len(lastErr) > maxErrorHeader {
		lastErr = lastErr[:maxErrorHeader]
	}
	msg := &nats.Msg{
		Subject: d.names.DeadSubject(jobType),
		Data:    dl.Data,
		Header: nats.Header{
			HeaderJobType:   []string{jobType},
			HeaderAttempts:  []string{strconv.Itoa(dl.Attempts)},
			HeaderLastError: []string{lastErr},
		},
	}
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(d.names.DeadStream)}
	if dl.ID != "" {
		msg.Header.Set(HeaderJobID, dl.ID)
		opts = append(opts, jetstream.WithMsgID(dl.ID)) // a job is buried once
	}
	if _, err := d.js.PublishMsg(ctx, msg, opts...); err != nil {
		return fmt.Errorf("dead-letter job %q: %w", dl.ID, err)
	}
	return nil
}
