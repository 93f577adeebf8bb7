package lab_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
)

// converse plays the client over an in-memory pipe (no network): it sends each message in
// turn, reading what comes back after each, and returns the whole transcript of replies.
func converse(t testing.TB, s estate.Service, send ...string) string {
	t.Helper()
	client, server := net.Pipe()
	in := estate.Instance{ID: "i-0123456789abcdef0", LabIP: "127.9.2.1", OS: "Ubuntu 22.04", LaunchedAt: epoch0.Add(-time.Hour)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = server.SetDeadline(time.Now().Add(5 * time.Second))
		lab.Respond(server, in, s, epoch0)
		server.Close()
	}()
	var out bytes.Buffer
	read := func() {
		buf := make([]byte, 4096)
		for {
			_ = client.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
			n, err := client.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}
	read() // a greeting, if the service speaks first
	for _, m := range send {
		_ = client.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := io.WriteString(client, m); err != nil {
			break
		}
		read()
	}
	client.Close()
	<-done
	return out.String()
}

func TestProtocols(t *testing.T) {
	svc := func(kind, version, banner string, auth bool) estate.Service {
		return estate.Service{Kind: kind, Version: version, Banner: banner, Auth: auth, Proto: "tcp", Port: estate.DefaultPort(kind)}
	}
	tests := []struct {
		name    string
		svc     estate.Service
		send    []string
		want    []string // substrings of the replies
		notWant string
	}{
		{"anonymous ftp", svc(estate.KindVsftpd, "3.0.3", "", false), []string{"USER anonymous\r\n", "PASS IEUser@\r\n", "SYST\r\n"},
			[]string{"220 (vsFTPd 3.0.3)\r\n", "331 ", "230 Login successful.", "215 UNIX Type: L8"}, ""},
		{"ftp with a password", svc(estate.KindVsftpd, "3.0.3", "", true), []string{"USER anonymous\r\n", "PASS IEUser@\r\n"},
			[]string{"530 Login incorrect."}, "230"},
		{"apache 2.4.49 path traversal", svc(estate.KindApache, "2.4.49", "Apache/2.4.49 (Unix)", false),
			[]string{"GET /cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd HTTP/1.0\r\n\r\n"},
			[]string{"HTTP/1.1 200 OK", "Server: Apache/2.4.49 (Unix)", "root:x:0:0"}, ""},
		{"apache 2.4.41 refuses the traversal", svc(estate.KindApache, "2.4.41", "Apache/2.4.41 (Ubuntu)", false),
			[]string{"GET /cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd HTTP/1.0\r\n\r\n"}, []string{"HTTP/1.1 404 Not Found"}, "root:"},
		{"kubelet anonymous", svc(estate.KindKubelet, "1.27.8", "", false), []string{"GET /pods HTTP/1.0\r\n\r\n"},
			[]string{"HTTP/1.0 200 OK", `"kind":"PodList"`}, ""},
		{"kubelet authenticated", svc(estate.KindKubelet, "1.27.8", "", true), []string{"GET /pods HTTP/1.0\r\n\r\n"},
			[]string{"HTTP/1.0 401 Unauthorized"}, "PodList"},
		{"redis info", svc(estate.KindRedis, "6.0.16", "", false), []string{"*1\r\n$4\r\ninfo\r\n"},
			[]string{"redis_version:6.0.16\r\n"}, ""},
		{"redis with requirepass", svc(estate.KindRedis, "6.0.16", "", true), []string{"*1\r\n$4\r\ninfo\r\n"},
			[]string{"-ERR operation not permitted\r\n"}, "redis_version"},
		{"elasticsearch with security", svc(estate.KindElasticsearch, "7.17.9", "8.11.1", true), []string{"GET / HTTP/1.0\r\n\r\n"},
			[]string{"HTTP/1.0 401 Unauthorized", "security_exception"}, "You Know, for Search"},
		{"elasticsearch open", svc(estate.KindElasticsearch, "7.17.9", "8.11.1", false), []string{"GET / HTTP/1.0\r\n\r\n"},
			[]string{`"number" : "7.17.9"`, `"lucene_version" : "8.11.1"`, "You Know, for Search"}, ""},
		{"vnc without a password", svc(estate.KindVNC, "1.12.0", "RFB 003.008", false), []string{"RFB 003.008\n"},
			[]string{"RFB 003.008\n\x01\x01"}, ""},
		{"vnc with a password", svc(estate.KindVNC, "1.12.0", "RFB 003.008", true), []string{"RFB 003.008\n"},
			[]string{"RFB 003.008\n\x01\x02"}, ""},
		{"jupyter without a token", svc(estate.KindJupyter, "6.5.4", "TornadoServer/6.3.3", false), []string{"GET / HTTP/1.1\r\n\r\n"},
			[]string{"302 Found", "Location: /tree?"}, "/login"},
		{"jupyter with a token", svc(estate.KindJupyter, "6.5.4", "TornadoServer/6.3.3", true), []string{"GET / HTTP/1.1\r\n\r\n"},
			[]string{"Location: /login?next="}, ""},
		{"postgres bad length", svc(estate.KindPostgres, "13.8", "2133", false), []string{"\r\n\r\n"},
			[]string{"invalid length of startup packet", "L2133"}, ""},
		{"zookeeper stat", svc(estate.KindZookeeper, "3.4.14", "3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on 03/06/2019 16:18 GMT", false),
			[]string{"stat"}, []string{"Zookeeper version: 3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on 03/06/2019"}, ""},
		{"memcached stats", svc(estate.KindMemcached, "1.6.14", "", false), []string{"stats\r\n"},
			[]string{"STAT uptime 3600\r\n", "STAT version 1.6.14\r\n", "END\r\n"}, ""},
		{"smtp ehlo", svc(estate.KindPostfix, "3.6.4", "ESMTP Postfix (Ubuntu)", false), []string{"EHLO nmap\r\n", "QUIT\r\n"},
			[]string{"220 ip-127-9-2-1.ec2.internal ESMTP Postfix (Ubuntu)", "250-PIPELINING", "221 2.0.0 Bye"}, ""},
		{"docker version", svc(estate.KindDocker, "24.0.5", "1.43 6.2.0-1017-aws", false), []string{"GET /version HTTP/1.1\r\n\r\n"},
			[]string{"Server: Docker/24.0.5 (linux)", `"ApiVersion":"1.43"`, `"KernelVersion":"6.2.0-1017-aws"`}, ""},
		{"docker behind an authorization plugin", svc(estate.KindDocker, "24.0.5", "1.43 6.2.0-1017-aws", true),
			[]string{"GET /version HTTP/1.1\r\n\r\n", "OPTIONS / HTTP/1.1\r\n\r\n"},
			[]string{"HTTP/1.1 403 Forbidden", "authorization denied by plugin", "Api-Version: 1.43"}, `"ApiVersion"`},
		{"memcached with an authentication file", svc(estate.KindMemcached, "1.6.14", "", true), []string{"stats\r\n"},
			[]string{"CLIENT_ERROR unauthenticated\r\n"}, "STAT"},
		{"etcd v3 range", svc(estate.KindEtcd, "3.5.9", "", false),
			[]string{"POST /v3/kv/range HTTP/1.1\r\nContent-Length: 40\r\n\r\n{\"key\":\"AA==\",\"range_end\":\"AA==\",\"x\":1}", "GET /version HTTP/1.1\r\n\r\n"},
			[]string{"HTTP/1.1 200 OK", `"count":"3"`, `"key":"L3JlZ2lzdHJ5`, `"etcdserver":"3.5.9"`}, "value"},
		{"etcd with auth", svc(estate.KindEtcd, "3.5.9", "", true),
			[]string{"POST /v3/kv/range HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"},
			[]string{"HTTP/1.1 400 Bad Request", "user name is empty"}, "kvs"},
		{"elasticsearch indices", svc(estate.KindElasticsearch, "7.17.9", "8.11.1", false), []string{"GET /_cat/indices?format=json HTTP/1.1\r\n\r\n"},
			[]string{"HTTP/1.1 200 OK", `"index":"customers"`}, ""},
		{"elasticsearch indices with security", svc(estate.KindElasticsearch, "7.17.9", "8.11.1", true), []string{"GET /_cat/indices HTTP/1.1\r\n\r\n"},
			[]string{"HTTP/1.1 401 Unauthorized", "missing authentication"}, "customers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := converse(t, tt.svc, tt.send...)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("replies lack %q:\n%q", w, got)
				}
			}
			if tt.notWant != "" && strings.Contains(got, tt.notWant) {
				t.Errorf("replies hold %q:\n%q", tt.notWant, got)
			}
		})
	}
}

func TestEveryKindIsServed(t *testing.T) {
	for _, k := range estate.Kinds() {
		if !lab.Serves(k) {
			t.Errorf("kind %s has no responder", k)
		}
	}
	if lab.Serves("kafka") {
		t.Error("the lab claims to serve kafka, which nmap cannot name")
	}
}
