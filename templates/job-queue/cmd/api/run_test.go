package main

import (
	"testing"

	"example.com/gopher-template/job-queue/internal/app/apptest"
)

// The shared start-up is tested in internal/app; these check that run wires this binary to it.
func TestRun(t *testing.T) {
	t.Parallel()
	apptest.RunCases(t, run, []apptest.Case{
		{Name: "version", Args: []string{"api", "version"}, WantStdout: "dev\n"},
		{Name: "invalid max attempts", Args: []string{"api"}, Env: map[string]string{"MAX_ATTEMPTS": "0"}, WantErr: "MAX_ATTEMPTS"},
	})
}
