// Package workers runs nmap in stateless scan workers placed inside each network segment
// (VPC, VNet, subnet), coordinated through NATS JetStream.
//
// Data flows like this:
//
//	coordinator (Dispatcher)                       worker (Worker), one or more per segment
//	  plan items -> Job per segment ----------->  stream JOBS_<seg>, subject riskmap.jobs.<seg>
//	                                              (work queue: each job goes to one worker)
//	                                              checks the job's scope AND its local scope,
//	                                              runs nmap (scanner.Runner), InProgress heartbeats
//	  ingest XML <- object store XML_<seg> <----  puts the raw XML, then
//	  result     <- stream RESULTS, riskmap.results.<seg> <- publishes a Result, then acks
//	  dead letter<- stream DEAD, riskmap.dead.<seg> <- refusals, last failed delivery;
//	                                              the coordinator adds jobs that hit MaxDeliver
//	  live list  <- KV WORKERS, key <seg>.<worker> <- heartbeats (expire after TTL)
//
// A job is acknowledged only after its XML is stored and its Result published, so a worker
// that dies mid-scan loses nothing: the job is redelivered after AckWait to another worker of
// the segment. The coordinator records each job it has ingested in the KV bucket JOBS, so a
// job completed twice (a redelivery racing a slow worker) is ingested once, and a restarted
// coordinator neither republishes nor waits for jobs already done.
//
// The consumer of a segment allows at most Pool jobs in flight (MaxAckPending), and each job
// carries its share of the segment's rate cap (cap / Pool), so the cap holds across all of the
// segment's workers whatever their number.
//
// A job that reaches MaxDeliver without an ack is dead-lettered by the coordinator, from
// JetStream's max-deliveries advisory or, when that went by unheard, by a sweep of the work
// queues at each Dispatch.
//
// Security: WorkerPermissions gives each worker's NATS user (password or NKey) only its own
// segment's subjects; a worker cannot read another segment's jobs, results or XML. Inbox
// replies use a per-segment prefix (InboxPrefix) so that responses are not readable by other
// segments either. The embedded server can require TLS (and client certificates).
package workers
