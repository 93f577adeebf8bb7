// Package lab serves a datasets/estate epoch live on loopback, so that the real nmap can scan
// a cloud estate whose ground truth is known.
//
// # Data flow
//
// Start takes an *estate.Estate and opens one TCP listener per service of every instance, on
// the instance's LabIP (127.0.0.0/8) and the service's port. Each connection is answered by
// the responder for the service's Kind, from its Version, Banner and Auth: SSH identification
// lines, HTTP Server headers and bodies (nginx, Apache, Elasticsearch, Kibana, the Docker API,
// kubelet, etcd, the Kubernetes API server over TLS, RabbitMQ management, WinRM, python
// http.server, Werkzeug, Jupyter), redis RESP, memcached stats, the MySQL greeting, PostgreSQL
// startup errors, MongoDB OP_QUERY replies, vsftpd, telnet IAC negotiation, SMTP greetings,
// RFB, RDP's X.224 confirm, ZooKeeper four-letter words and AMQP's Connection.Start. Apply
// moves the lab to another epoch: listeners start and stop, banners change. Close ends it.
//
// Each responder answers so that a line of /usr/share/nmap/nmap-service-probes (nmap 7.93)
// names it, and so that the name is exactly what estate's Instance.Nmap (default intensity)
// and Instance.NmapLight (--version-light) predict: the package's tests scan every build of
// every kind (estate.Showcase) with the real nmap, at both intensities, and compare. Anything
// that is not the protocol's request (nmap's blank-line probe to a web server, say) is dropped
// at once, so nmap moves to its next probe instead of waiting.
//
// Where nmap 7.93 has no line for what a modern server says, the responder says what an older
// release said: an Elasticsearch with security cites a "missing authentication token", the
// Kubernetes API server asks for basic auth, redis with requirepass answers "operation not
// permitted", MongoDB speaks OP_QUERY. Kafka is not served at all (nmap cannot name it); see
// estate's package documentation.
//
// # Safety
//
// Start and Apply refuse (ErrNotPrivate) unless netns.Private reports a private network
// namespace made by datasets/lab/netns, and refuse (ErrAddress) any LabIP outside 127.0.0.0/8.
// Inside such a namespace only lo exists, so nothing the lab serves is reachable from the
// machine, and nothing scanned there leaves it. Respond serves a single connection on any
// net.Conn (an in-memory pipe in tests and fuzzing) without listening at all.
//
// # Clock
//
// The services report the estate's time (e.Time) as now: memcached's and redis's uptime and
// HTTP Date headers, so that a scan of the lab matches e.Observations(id, e.Time).
package lab
