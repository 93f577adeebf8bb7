package workers

import (
	"fmt"
	"regexp"
)

// Names of the JetStream assets. Segment names become subject tokens, stream and bucket
// names, so they are restricted to letters, digits, '-' and '_'.
const (
	// ConsumerName is the durable pull consumer every worker of a segment shares.
	ConsumerName = "workers"
	// ResultsStream holds Results, subjects riskmap.results.<segment>.
	ResultsStream = "RESULTS"
	// DeadStream holds DeadLetters, subjects riskmap.dead.<segment>.
	DeadStream = "DEAD"
	// WorkersBucket is the KV bucket of live workers' heartbeats, keys <segment>.<worker>.
	WorkersBucket = "WORKERS"
	// JobsBucket is the KV bucket of jobs the coordinator has ingested, keys <job id>.
	JobsBucket = "JOBS"
)

var segmentRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CheckSegment returns an error unless name can name a segment.
func CheckSegment(name string) error {
	if !segmentRE.MatchString(name) {
		return fmt.Errorf("segment %q: want 1-64 letters, digits, '-' or '_'", name)
	}
	return nil
}

// JobsStream is the work-queue stream of a segment's jobs.
func JobsStream(segment string) string { return "JOBS_" + segment }

// JobsSubject is the subject a segment's jobs are published on.
func JobsSubject(segment string) string { return "riskmap.jobs." + segment }

// ResultsSubject is the subject a segment's results are published on.
func ResultsSubject(segment string) string { return "riskmap.results." + segment }

// DeadSubject is the subject a segment's dead letters are published on.
func DeadSubject(segment string) string { return "riskmap.dead." + segment }

// XMLBucket is the object store bucket of a segment's raw nmap XML.
func XMLBucket(segment string) string { return "XML_" + segment }

// InboxPrefix is the reply-inbox prefix of a segment's workers.
func InboxPrefix(segment string) string { return "_INBOX_" + segment }

// WorkerKey is a worker's key in WorkersBucket.
func WorkerKey(segment, worker string) string { return segment + "." + worker }
