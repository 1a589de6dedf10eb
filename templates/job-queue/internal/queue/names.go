// Package queue adapts NATS JetStream to the ports of package jobs: a work-queue stream for jobs,
// a durable pull consumer for workers, a key-value bucket for job records and a stream for dead
// letters. It uses only features of NATS Server 2.9.
package queue

import (
	"fmt"
	"regexp"
)

// prefixPattern keeps the prefix valid in stream, consumer and bucket names and subjects.
var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Names are the JetStream resources of one deployment, all derived from a common prefix so that
// several deployments (or test runs) can share a server.
type Names struct {
	Prefix string
	// Stream is the work-queue stream holding queued jobs, on subjects Prefix.jobs.<type>.<id>.
	Stream string
	// Consumer is the durable pull consumer shared by all workers.
	Consumer string
	// DeadStream keeps dead letters, on subjects Prefix.dead.<type>.
	DeadStream string
	// Bucket is the key-value bucket of job records, keyed by job ID.
	Bucket string
}

// NamesFor derives the resource names from prefix.
func NamesFor(prefix string) (Names, error) {
	if !prefixPattern.MatchString(prefix) {
		return Names{}, fmt.Errorf("stream prefix %q must match %s", prefix, prefixPattern)
	}
	return Names{
		Prefix:     prefix,
		Stream:     prefix + "_JOBS",
		Consumer:   prefix + "_WORKERS",
		DeadStream: prefix + "_DEAD",
		Bucket:     prefix + "_STATUS",
	}, nil
}

// JobSubject is the subject a job is published on. The ID in it lets Publisher.Queued find a
// waiting job, and the type lets an operator see what waits.
func (n Names) JobSubject(jobType, id string) string { return n.Prefix + ".jobs." + jobType + "." + id }

// queuedSubject matches the subject of job id, whatever its type.
func (n Names) queuedSubject(id string) string { return n.Prefix + ".jobs.*." + id }

// DeadSubject is the subject a dead letter of the given type is published on.
func (n Names) DeadSubject(jobType string) string { return n.Prefix + ".dead." + jobType }

func (n Names) jobSubjects() string  { return n.Prefix + ".jobs.>" }
func (n Names) deadSubjects() string { return n.Prefix + ".dead.>" }
