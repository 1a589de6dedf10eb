package jobs

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Handler runs jobs of one type. Returning an error fails the attempt; wrap it with Permanent to
// skip the remaining attempts. Handlers must honour ctx: it carries the job timeout and the
// worker's shutdown.
type Handler interface {
	Handle(ctx context.Context, job Job) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, job Job) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, job Job) error { return f(ctx, job) }

// Registry maps job types to handlers. It is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	handlers map[string]Handler
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{handlers: make(map[string]Handler)}
}

// Register adds h for jobType. It fails on an invalid or already registered type.
func (r *Registry) Register(jobType string, h Handler) error {
	if err := ValidateType(jobType); err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("register %q: nil handler", jobType)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.handlers[jobType]; ok {
		return fmt.Errorf("register %q: type already registered", jobType)
	}
	r.handlers[jobType] = h
	return nil
}

// Lookup returns the handler for jobType.
func (r *Registry) Lookup(jobType string) (Handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.handlers[jobType]
	return h, ok
}

// Types returns the registered types, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	types := make([]string, 0, len(r.handlers))
	for t := range r.handlers {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}
