package rabbit

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"example.com/gopher-template/ecommerce/internal/events"
)

// Errors of a publish that the broker did not take.
var (
	// ErrBlocked: the broker blocks publishing on the connection (a resource alarm).
	ErrBlocked = errors.New("rabbit: the broker blocks publishing")
	// ErrNotConfirmed: the broker nacked messages, or returned them as unroutable (no queue
	// is bound for their type).
	ErrNotConfirmed = errors.New("rabbit: messages not confirmed")
)

// returnsBuffer is the room for basic.returns the publisher has not read yet. The library
// gives up a return it cannot hand over within 5 s (and blocks the connection meanwhile), so
// the publisher reads them while it waits for confirms and, after it drops a channel, until the
// channel is gone.
const returnsBuffer = 256

// Publisher publishes events to the topology's exchange with publisher confirms, one batch at a
// time, on a channel of its own that it re-opens after the connection comes back.
type Publisher struct {
	conn     *Conn
	exchange string

	mu      sync.Mutex // one batch at a time: returns are matched to the batch in flight
	ch      *amqp.Channel
	returns chan amqp.Return
}

// NewPublisher returns a publisher to t's events exchange on conn.
func NewPublisher(conn *Conn, t *Topology) *Publisher {
	return &Publisher{conn: conn, exchange: t.Exchange()}
}

// Publish publishes the batch, in order, with the event type as the routing key, mandatory and
// persistent, and waits for the broker's confirms, all within ctx. It returns the IDs of the
// events the broker confirmed (acked, not returned as unroutable), in order; when that is not
// all of them, the error says why. The outbox marks published exactly the IDs returned.
//
// It fails at once while the connection is down (ErrNotConnected) or blocked (ErrBlocked). A
// socket write the network does not take cannot be interrupted by ctx; the heartbeat closes
// such a connection (within three heartbeats) and the write fails then.
func (p *Publisher) Publish(ctx context.Context, batch []events.Event) ([]uuid.UUID, error) {
	msgs := make([]outgoing, len(batch))
	for i, e := range batch {
		msgs[i] = outgoing{exchange: p.exchange, key: e.Type, msg: encode(e)}
	}
	acked, err := p.publish(ctx, msgs)
	var ids []uuid.UUID
	for i, ok := range acked {
		if ok {
			ids = append(ids, batch[i].ID)
		}
	}
	return ids, err
}

// outgoing is a message and where it goes.
type outgoing struct {
	exchange, key string
	msg           amqp.Publishing
}

// publish publishes msgs mandatory and reports, for each, whether the broker confirmed it and
// did not return it. Returns are matched by message ID.
func (p *Publisher) publish(ctx context.Context, msgs []outgoing) ([]bool, error) {
	acked := make([]bool, len(msgs))
	if len(msgs) == 0 {
		return acked, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn.Blocked() {
		return acked, ErrBlocked
	}
	ch, returns, err := p.channel(ctx)
	if err != nil {
		return acked, err
	}

	// sent[i] is the confirmation of msgs[i]; a failed publish ends the batch.
	var failed error
	sent := make([]*amqp.DeferredConfirmation, 0, len(msgs))
	for _, m := range msgs {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, m.exchange, m.key, true, false, m.msg)
		if err != nil {
			failed = fmt.Errorf("rabbit: publish %s: %w", m.msg.MessageId, err)
			break
		}
		sent = append(sent, dc)
	}

	// The broker sends a message's basic.return before its basic.ack, and the library hands
	// the return over before it resolves the confirmation: once every confirmation is in,
	// every return of the batch has been read or waits in the buffer.
	returned := map[string]bool{}
wait:
	for _, dc := range sent {
		for {
			select {
			case <-dc.Done():
				continue wait
			case r, ok := <-returns:
				if !ok { // the channel closed: its confirmations resolve as nacks
					returns = nil
					continue
				}
				returned[r.MessageId] = true
			case <-ctx.Done():
				failed = errors.Join(failed, fmt.Errorf("rabbit: wait for confirms: %w", ctx.Err()))
				break wait
			}
		}
	}
drain:
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				break drain
			}
			returned[r.MessageId] = true
		default:
			break drain
		}
	}

	var nacked, unroutable int
	for i, m := range msgs[:len(sent)] {
		dc := sent[i]
		switch {
		case returned[m.msg.MessageId]:
			unroutable++
		case dc.Acked():
			acked[i] = true
		default:
			select {
			case <-dc.Done():
				nacked++ // nacked, or the channel closed before the ack
			default: // ctx ended first
			}
		}
	}
	if nacked > 0 || unroutable > 0 {
		failed = errors.Join(failed, fmt.Errorf("%w: %d nacked or lost, %d unroutable of %d", ErrNotConfirmed, nacked, unroutable, len(msgs)))
	}
	if failed != nil && (ctx.Err() != nil || ch.IsClosed() || nacked > 0) {
		p.dropChannel() // its state is unknown: start the next batch on a new one
	}
	return acked, failed
}

// channel returns the publisher's channel in confirm mode, opening one if there is none or the
// last one closed.
func (p *Publisher) channel(ctx context.Context) (*amqp.Channel, chan amqp.Return, error) {
	if p.ch != nil && !p.ch.IsClosed() {
		return p.ch, p.returns, nil
	}
	p.dropChannel()
	ch, err := p.conn.Channel(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := call(ctx, func() error { return ch.Confirm(false) }); err != nil {
		closeChannel(ch)
		return nil, nil, fmt.Errorf("rabbit: confirm mode: %w", err)
	}
	p.ch, p.returns = ch, ch.NotifyReturn(make(chan amqp.Return, returnsBuffer))
	return p.ch, p.returns, nil
}

// dropChannel closes the channel in the background, reading its late returns until it is gone.
func (p *Publisher) dropChannel() {
	if p.ch == nil {
		return
	}
	returns := p.returns
	go func() {
		for range returns { // closed with the channel
		}
	}()
	closeChannel(p.ch)
	p.ch, p.returns = nil, nil
}

// Close closes the publisher's channel.
func (p *Publisher) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropChannel()
}
