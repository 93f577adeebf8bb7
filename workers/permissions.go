package workers

import "github.com/nats-io/nats-server/v2/server"

// WorkerPermissions returns the NATS permissions of a worker of segment: it may pull and ack
// its segment's jobs, write its segment's XML bucket, publish its segment's results and dead
// letters and its own heartbeats, and receive replies on its segment's inbox prefix. Nothing
// else: it cannot read another segment's jobs, results or XML, nor any segment's results.
func WorkerPermissions(segment string) *server.Permissions {
	jobs, xml := JobsStream(segment), XMLBucket(segment)
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.CONSUMER.INFO." + jobs + "." + ConsumerName,
			"$JS.API.CONSUMER.MSG.NEXT." + jobs + "." + ConsumerName,
			"$JS.ACK." + jobs + "." + ConsumerName + ".>",
			"$JS.API.STREAM.INFO.OBJ_" + xml,
			"$JS.API.STREAM.MSG.GET.OBJ_" + xml,
			"$JS.API.DIRECT.GET.OBJ_" + xml + ".>",
			"$O." + xml + ".>",
			"$JS.API.STREAM.INFO.KV_" + WorkersBucket,
			"$KV." + WorkersBucket + "." + segment + ".*",
			ResultsSubject(segment),
			DeadSubject(segment),
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{InboxPrefix(segment) + ".>"}},
	}
}

// CoordinatorPermissions returns nil: the coordinator may use every subject.
func CoordinatorPermissions() *server.Permissions { return nil }
