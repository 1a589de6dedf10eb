package queue_test

import (
	"testing"

	"example.com/gopher-template/job-queue/internal/queue"
)

func TestNamesFor(t *testing.T) {
	t.Parallel()

	n, err := queue.NamesFor("JOBQUEUE")
	if err != nil {
		t.Fatal(err)
	}
	want := queue.Names{Prefix: "JOBQUEUE", Stream: "JOBQUEUE_JOBS", Consumer: "JOBQUEUE_WORKERS", DeadStream: "JOBQUEUE_DEAD", Bucket: "JOBQUEUE_STATUS"}
	if n != want {
		t.Errorf("NamesFor = %+v, want %+v", n, want)
	}
	if got := n.JobSubject("echo", "J1"); got != "JOBQUEUE.jobs.echo.J1" {
		t.Errorf("JobSubject = %q", got)
	}
	if got := n.DeadSubject("echo"); got != "JOBQUEUE.dead.echo" {
		t.Errorf("DeadSubject = %q", got)
	}

	for _, bad := range []string{"", "a.b", "a*", "a>", "with space", "TOO_LONG_PREFIX_0123456789_0123456789"} {
		if _, err := queue.NamesFor(bad); err == nil {
			t.Errorf("NamesFor(%q) succeeded", bad)
		}
	}
}
