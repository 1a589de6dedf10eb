// Package handlers holds the example job handlers the worker ships with. Add real ones here, or
// in packages of their own, and register them in Register.
package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Register adds the example handlers to reg.
func Register(reg *jobs.Registry, logger *slog.Logger) error {
	for typ, h := range map[string]jobs.Handler{
		"echo":  Echo{Logger: logger},
		"flaky": Flaky{},
		"sleep": Sleep{Logger: logger},
	} {
		if err := reg.Register(typ, h); err != nil {
			return fmt.Errorf("register handlers: %w", err)
		}
	}
	return nil
}

// decodePayload decodes a job payload strictly. A payload that does not decode can never succeed,
// so the error is permanent.
func decodePayload(job jobs.Job, v any) error {
	dec := json.NewDecoder(bytes.NewReader(job.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jobs.Permanent(fmt.Errorf("%s: invalid payload: %w", job.Type, err))
	}
	return nil
}
