package apptest

import (
	"bytes"
	"strings"
	"testing"
)

// Case is one run of a binary's run function that ends by itself: what it is given, and the
// error text or stdout it must produce.
type Case struct {
	Name       string
	Args       []string
	Env        map[string]string
	WantErr    string
	WantStdout string
}

// RunCases runs each case as a parallel subtest against run.
func RunCases(t *testing.T, run RunFunc, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tc.Args, func(k string) string { return tc.Env[k] }, &stdout, &stderr)
			if tc.WantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.WantErr) {
					t.Fatalf("run(%v) = %v, want an error containing %q", tc.Args, err, tc.WantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run(%v): %v", tc.Args, err)
			}
			if stdout.String() != tc.WantStdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tc.WantStdout)
			}
		})
	}
}
