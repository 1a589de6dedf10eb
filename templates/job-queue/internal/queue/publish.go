package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

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

// Publisher publishes jobs to the jobs stream. It implements jobs.Publisher.
type Publisher struct {
	js    jetstream.JetStream
	names Names
}

// NewPublisher returns a Publisher.
func NewPublisher(js jetstream.JetStream, n Names) *Publisher {
	return &Publisher{js: js, names: n}
}

// Publish implements jobs.Publisher. The job ID is the message ID, so the stream drops a repeat
// within its duplicate window.
func (p *Publisher) Publish(ctx context.Context, env jobs.Envelope) (bool, error) {
	data, err := json.Marshal(env)
	if err != nil {
		return false, fmt.Errorf("encode job %s: %w", env.ID, err)
	}
	ack, err := p.js.Publish(ctx, p.names.JobSubject(env.Type), data,
		jetstream.WithMsgID(env.ID),
		jetstream.WithExpectStream(p.names.Stream),
	)
	if err != nil {
		return false, fmt.Errorf("publish job %s: %w", env.ID, err)
	}
	return ack.Duplicate, nil
}

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
