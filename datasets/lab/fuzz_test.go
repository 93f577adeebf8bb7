package lab_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
)

// nmapProbes are the first words nmap's service scan sends (from nmap-service-probes): the
// inputs every responder meets first.
var nmapProbes = []string{
	"",
	"\r\n\r\n",
	"GET / HTTP/1.0\r\n\r\n",
	"OPTIONS / HTTP/1.0\r\n\r\n",
	"GET /version HTTP/1.1\r\n\r\n",
	"stats\r\n",
	"*1\r\n$4\r\ninfo\r\n",
	"\x00\x00\x00\xa4\xff\x53\x4d\x42\x72\x00\x00\x00\x00\x08\x01\x40",
	"\x41\x00\x00\x00\x3a\x30\x00\x00\xff\xff\xff\xff\xd4\x07\x00\x00\x00\x00\x00\x00test.$cmd\x00\x00\x00\x00\x00\xff\xff\xff\xff\x1b\x00\x00\x00\x01serverStatus\x00\x00\x00\x00\x00\x00\x00\xf0\x3f\x00",
	"\x03\x00\x00*%\xe0\x00\x00\x00\x00\x00Cookie: mstshash=nmap\r\n\x01\x00\x08\x00\x03\x00\x00\x00",
	"\x16\x03\x00\x00S\x01\x00\x00O\x03\x00?G",
	"AMQP\x00\x00\x09\x01",
	"RFB 003.008\n\x01\x00",
	"USER anonymous\r\nPASS x\r\nPWD\r\nQUIT\r\n",
	"*2\r\n$-5\r\n",
	"\x00\x00\x00\x08\x04\xd2\x16\x2f\x00\x00\x00\x10\x00\x03\x00\x00user\x00",
}

// FuzzRespond feeds arbitrary bytes to every kind's responder over an in-memory pipe: none may
// panic, and each must give up within its deadline.
func FuzzRespond(f *testing.F) {
	for _, p := range nmapProbes {
		f.Add([]byte(p))
	}
	show := estate.Showcase(time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC))
	type spec struct {
		in estate.Instance
		s  estate.Service
	}
	var specs []spec
	seen := map[string]bool{}
	for _, in := range show.Instances {
		for _, s := range in.Services {
			key := s.Kind + map[bool]string{true: "+auth"}[s.Auth]
			if !seen[key] {
				seen[key] = true
				specs = append(specs, spec{in, s})
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, sp := range specs {
			client, server := net.Pipe()
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = server.SetDeadline(time.Now().Add(300 * time.Millisecond))
				lab.Respond(server, sp.in, sp.s, show.Time)
				server.Close()
			}()
			go func() { _, _ = io.Copy(io.Discard, client) }()
			_ = client.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
			_, _ = client.Write(data)
			client.Close() // the client hangs up: the responder must notice and return
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				t.Fatalf("%s: Respond still running 3s after its deadline", sp.s.Kind)
			}
		}
	})
}
