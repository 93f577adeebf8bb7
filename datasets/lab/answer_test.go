package lab_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
)

// exchange is a client's first words with a service and what it expects back.
type exchange struct {
	send string // "" to wait for a greeting
	want func(got []byte, s estate.Service) bool
}

func prefix(p string) func([]byte, estate.Service) bool {
	return func(got []byte, _ estate.Service) bool { return bytes.HasPrefix(got, []byte(p)) }
}

var httpGet = exchange{"GET / HTTP/1.0\r\n\r\n", prefix("HTTP/1.")}

// mongoIsMaster is an OP_QUERY of {isMaster: 1} on admin.$cmd.
func mongoIsMaster() string {
	doc := []byte{0, 0, 0, 0, 0x10}
	doc = append(doc, "isMaster\x00"...)
	doc = binary.LittleEndian.AppendUint32(doc, 1)
	doc = append(doc, 0)
	binary.LittleEndian.PutUint32(doc, uint32(len(doc)))
	body := binary.LittleEndian.AppendUint32(nil, 0)
	body = append(body, "admin.$cmd\x00"...)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = binary.LittleEndian.AppendUint32(body, 1)
	body = append(body, doc...)
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(16+len(body)))
	hdr = binary.LittleEndian.AppendUint32(hdr, 7)
	hdr = binary.LittleEndian.AppendUint32(hdr, 0)
	hdr = binary.LittleEndian.AppendUint32(hdr, 2004)
	return string(append(hdr, body...))
}

var exchanges = map[string]exchange{
	estate.KindOpenSSH: {"", func(got []byte, s estate.Service) bool { return string(got) == s.Banner+"\r\n" }},
	estate.KindVsftpd:  {"", prefix("220 (vsFTPd ")},
	estate.KindPostfix: {"", prefix("220 ip-")},
	estate.KindExim:    {"", prefix("220 ip-")},
	estate.KindTelnet:  {"", prefix("\xff\xfd\x18\xff\xfd\x20")},
	estate.KindVNC:     {"", prefix("RFB 003.008\n")},
	estate.KindMySQL: {"", func(got []byte, s estate.Service) bool {
		return len(got) > 5 && got[4] == 10 && bytes.HasPrefix(got[5:], []byte(s.Banner+"\x00"))
	}},
	estate.KindRedis: {"PING\r\n", func(got []byte, s estate.Service) bool {
		return string(got) == map[bool]string{false: "+PONG\r\n", true: "-ERR operation not permitted\r\n"}[s.Auth]
	}},
	estate.KindMemcached: {"version\r\n", func(got []byte, s estate.Service) bool { return string(got) == "VERSION "+s.Version+"\r\n" }},
	estate.KindZookeeper: {"ruok", prefix("imok")},
	estate.KindAMQP:      {"AMQP\x00\x00\x09\x01", prefix("\x01\x00\x00")},
	estate.KindPostgres:  {"\x00\x00\x00\x08\x04\xd2\x16\x2f", prefix("N")},
	estate.KindMongoDB: {mongoIsMaster(), func(got []byte, _ estate.Service) bool {
		return len(got) > 16 && binary.LittleEndian.Uint32(got[12:]) == 1
	}},
	estate.KindRDP: {"\x03\x00\x00\x0b\x06\xe0\x00\x00\x00\x00\x00", prefix("\x03\x00\x00\x13\x0e\xd0")},
}

func exchangeFor(kind string) exchange {
	if x, ok := exchanges[kind]; ok {
		return x
	}
	return httpGet
}

// talk dials ap (over TLS when s.TLS), plays x, and returns the first reply.
func talk(ap netip.AddrPort, s estate.Service, x exchange) ([]byte, error) {
	c, err := net.DialTimeout("tcp4", ap.String(), 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if s.TLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) // the lab's own self-signed certificate
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		c = tc
	}
	if x.send != "" {
		if _, err := io.WriteString(c, x.send); err != nil {
			return nil, err
		}
	}
	r := bufio.NewReader(c)
	if _, err := r.Peek(1); err != nil {
		return nil, err
	}
	time.Sleep(20 * time.Millisecond) // let the rest of the first reply arrive
	buf := make([]byte, r.Buffered())
	_, err = io.ReadFull(r, buf)
	return buf, err
}

// TestListenersAnswer serves a generated estate and talks to every listener as a client of its
// kind would.
func TestListenersAnswer(t *testing.T) {
	netns.Require(t)
	e := estate.Generate(estate.DefaultConfig())
	l, err := lab.Start(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type job struct {
		ap netip.AddrPort
		s  estate.Service
	}
	var jobs []job
	for _, in := range e.Instances {
		for _, s := range in.Services {
			jobs = append(jobs, job{netip.AddrPortFrom(netip.MustParseAddr(in.LabIP), uint16(s.Port)), s})
		}
	}
	if got := len(l.Addrs()); got != len(jobs) {
		t.Fatalf("%d listeners for %d services", got, len(jobs))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := map[string]int{}
	sem := make(chan struct{}, 32)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			x := exchangeFor(j.s.Kind)
			got, err := talk(j.ap, j.s, x)
			if err != nil || !x.want(got, j.s) {
				mu.Lock()
				defer mu.Unlock()
				if errs[j.s.Kind]++; errs[j.s.Kind] <= 2 {
					t.Errorf("%s (%s %s): %q, %v", j.ap, j.s.Kind, j.s.Version, got, err)
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("kinds that answered wrong: %v", errs)
	}
	t.Logf("%d listeners answered", len(jobs))
}
