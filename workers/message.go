package workers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/riskmap/riskmap/scanner"
)

// Version is the version of the message formats (Job, Result, DeadLetter, Heartbeat). A
// reader refuses any other version, naming it, rather than guess at fields. Version 2 added
// Job.Profiles.
const Version = 2

// ErrBadMessage is wrapped by every decoding error.
var ErrBadMessage = errors.New("workers: bad message")

// Job is one unit of work for a segment's workers: plan items to scan in one nmap run.
type Job struct {
	Version int    `json:"version"`
	ID      string `json:"id"` // unique; also the JetStream Nats-Msg-Id, so a republish is dropped
	Cycle   string `json:"cycle"`
	Segment string `json:"segment"`
	// Items are the plan items, as the planner made them.
	Items []scanner.PlanItem `json:"items"`
	// Scope is the coordinator's scope. The worker checks every address against it and
	// against its own local scope.
	Scope scanner.ScopeConfig `json:"scope"`
	// MaxRate is this job's share of the segment's packets-per-second cap (0: no cap).
	MaxRate int `json:"max_rate,omitempty"`
	// Profiles are the coordinator's tier profiles (riskmap.yaml profiles:, its services_path
	// left out): the worker runs each item's tier as the coordinator configured it (version
	// detection, scripts, OS detection; the ports are in the items), against its own
	// nmap-services table. A worker refuses a job whose profiles do not validate (a refused
	// script category, say) as it refuses one outside its scope.
	Profiles scanner.ProfileConfig `json:"profiles"`
	// MaxDeliver is the consumer's delivery limit, so the worker knows its last attempt.
	MaxDeliver int       `json:"max_deliver"`
	Created    time.Time `json:"created"`
}

// Outcome says how a job ended.
type Outcome string

// Outcomes of a job.
const (
	OutcomeDone    Outcome = "done"    // scanned; the XML is in the object store
	OutcomeRefused Outcome = "refused" // the worker refused it (scope, segment, bad job)
	OutcomeFailed  Outcome = "failed"  // nmap failed; the job is retried until MaxDeliver
)

// Object is one stored nmap XML document of a job.
type Object struct {
	Name   string   `json:"name"` // the object's name in the segment's XMLBucket
	SHA256 string   `json:"sha256"`
	Size   int      `json:"size"`
	Tier   string   `json:"tier"`
	Hosts  int      `json:"hosts"`
	Error  string   `json:"error,omitempty"` // the batch's nmap error, if any (partial XML)
	Addrs  []string `json:"addrs"`
}

// Result is what a worker publishes when it finishes with a job delivery.
type Result struct {
	Version  int      `json:"version"`
	JobID    string   `json:"job_id"`
	Cycle    string   `json:"cycle"`
	Segment  string   `json:"segment"`
	Worker   string   `json:"worker"`
	Outcome  Outcome  `json:"outcome"`
	Reason   string   `json:"reason,omitempty"` // why refused or failed
	Objects  []Object `json:"objects,omitempty"`
	Delivery uint64   `json:"delivery"` // 1 for the first delivery
	// JobSeq is the job's sequence in its segment's jobs stream, so that the coordinator can
	// drop a job it has ingested even when the worker's ack was lost.
	JobSeq   uint64    `json:"job_seq,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

// DeadLetter records a job that will not be retried, and why.
type DeadLetter struct {
	Version    int       `json:"version"`
	JobID      string    `json:"job_id"`
	Cycle      string    `json:"cycle"`
	Segment    string    `json:"segment"`
	Worker     string    `json:"worker,omitempty"` // "" when the coordinator wrote it
	Reason     string    `json:"reason"`
	Deliveries uint64    `json:"deliveries"`
	At         time.Time `json:"at"`
	Job        *Job      `json:"job,omitempty"`
}

// Heartbeat is a live worker's entry in WorkersBucket.
type Heartbeat struct {
	Version  int       `json:"version"`
	Worker   string    `json:"worker"`
	Segment  string    `json:"segment"`
	Build    string    `json:"build"` // the worker's software version
	Started  time.Time `json:"started"`
	Seen     time.Time `json:"seen"`
	Done     int64     `json:"done"`
	Refused  int64     `json:"refused"`
	Failed   int64     `json:"failed"`
	InFlight int64     `json:"in_flight"`
}

// Encode writes v as JSON.
func Encode(v any) ([]byte, error) { return json.Marshal(v) }

// DecodeJob reads a Job and checks it.
func DecodeJob(data []byte) (*Job, error) {
	var j Job
	if err := decode(data, "job", &j, func() int { return j.Version }); err != nil {
		return nil, err
	}
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return &j, nil
}

// Validate checks the fields a worker relies on.
func (j *Job) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: job %q field %s: %s", ErrBadMessage, j.ID, field, fmt.Sprintf(format, args...))
	}
	switch {
	case j.ID == "":
		return bad("id", "empty")
	case CheckSegment(j.Segment) != nil:
		return bad("segment", "%v", CheckSegment(j.Segment))
	case len(j.Items) == 0:
		return bad("items", "empty: a job scans at least one item")
	case len(j.Scope.Allow) == 0:
		return bad("scope.allow", "empty: a job without a scope scans nothing")
	case j.MaxRate < 0:
		return bad("max_rate", "%d: want >= 0", j.MaxRate)
	case j.MaxDeliver < 1:
		return bad("max_deliver", "%d: want >= 1", j.MaxDeliver)
	}
	if err := j.Profiles.Validate(); err != nil {
		return bad("profiles", "%v", err)
	}
	for i, it := range j.Items {
		if len(it.IPs) == 0 {
			return bad(fmt.Sprintf("items[%d].ips", i), "empty (asset %q)", it.AssetID)
		}
	}
	return nil
}

// DecodeResult reads a Result.
func DecodeResult(data []byte) (*Result, error) {
	var r Result
	if err := decode(data, "result", &r, func() int { return r.Version }); err != nil {
		return nil, err
	}
	switch r.Outcome {
	case OutcomeDone, OutcomeRefused, OutcomeFailed:
	default:
		return nil, fmt.Errorf("%w: result of job %q field outcome: %q, want done, refused or failed", ErrBadMessage, r.JobID, r.Outcome)
	}
	return &r, nil
}

// DecodeDeadLetter reads a DeadLetter.
func DecodeDeadLetter(data []byte) (*DeadLetter, error) {
	var d DeadLetter
	if err := decode(data, "dead letter", &d, func() int { return d.Version }); err != nil {
		return nil, err
	}
	return &d, nil
}

// DecodeHeartbeat reads a Heartbeat.
func DecodeHeartbeat(data []byte) (*Heartbeat, error) {
	var h Heartbeat
	if err := decode(data, "heartbeat", &h, func() int { return h.Version }); err != nil {
		return nil, err
	}
	return &h, nil
}

// decode reads one JSON object strictly: unknown fields, trailing data and other versions
// are errors that name what was wrong.
func decode(data []byte, what string, v any, version func() int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s at byte %d: %w", ErrBadMessage, what, dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: %s: unexpected data after the object at byte %d", ErrBadMessage, what, dec.InputOffset())
	}
	if got := version(); got != Version {
		return fmt.Errorf("%w: %s field version: %d, want %d", ErrBadMessage, what, got, Version)
	}
	return nil
}
