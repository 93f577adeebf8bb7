// Package nse ships riskmap's own NSE checks for cloud services, embedded in the binary, and
// installs them where nmap can run them by path.
//
// # Data flow
//
// The scripts live in scripts/*.nse and are compiled into the binary (go:embed). Install
// writes them into a directory named for their content hash (so a changed script never
// reuses a stale copy, and two riskmap versions never overwrite each other's files) and
// returns their paths; the scanner passes those paths to nmap's --script for any profile that
// names a riskmap check. nmap's bundled scripts are used where they already do the job
// (redis-info, memcached-info, mongodb-databases, ftp-anon); riskmap's checks add what they
// lack: the proof that a service asks for credentials (redis, memcached), and the checks nmap
// does not have (the Docker Engine API, kubelet, etcd, Elasticsearch/OpenSearch).
//
// # Output
//
// Every check prints a structured table (nmap's <elem key=...> in XML; "key: value" lines in
// the script's output attribute) whose first line is the verdict:
//
//	access: unauthenticated   the check read data without credentials
//	access: auth-required     the service refused for want of credentials
//
// followed by what was asked (check), and what came back (answer, version, counts, the first
// names). Nothing is printed when the port is not the service. The findings rules
// (features/findings) read the verdict: unauthenticated access raises its own finding, a
// proven credential requirement downgrades the "reachable" one. Checks are read-only
// (categories safe and discovery): they list, never read values or change anything.
package nse
