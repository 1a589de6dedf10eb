package handlers

import (
	"context"
	"fmt"

	"example.com/gopher-template/job-queue/internal/jobs"
)

// Flaky fails its first fail_times attempts, then succeeds. Payload: {"fail_times": n}.
// It decides from the delivery attempt number, so it needs no state of its own and behaves the
// same on any worker.
type Flaky struct{}

type flakyPayload struct {
	FailTimes int `json:"fail_times"`
}

// Handle implements jobs.Handler.
func (Flaky) Handle(_ context.Context, job jobs.Job) error {
	var p flakyPayload
	if err := decodePayload(job, &p); err != nil {
		return err
	}
	if job.Attempt <= p.FailTimes {
		return fmt.Errorf("flaky: planned failure on attempt %d of %d", job.Attempt, p.FailTimes)
	}
	return nil
}
