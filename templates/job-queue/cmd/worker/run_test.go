package main

import (
	"testing"

	"example.com/gopher-template/job-queue/internal/app/apptest"
)

// The shared start-up is tested in internal/app; these check that run wires this binary to it.
func TestRun(t *testing.T) {
	t.Parallel()
	apptest.RunCases(t, run, []apptest.Case{
		{Name: "version", Args: []string{"worker", "version"}, WantStdout: "dev\n"},
		{Name: "concurrency above the bound", Args: []string{"worker"}, Env: map[string]string{"WORKER_CONCURRENCY": "1025"}, WantErr: "WORKER_CONCURRENCY"},
	})
}
