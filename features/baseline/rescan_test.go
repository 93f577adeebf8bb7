package baseline_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/features/baseline"
)

// TestMain runs this package's tests in a private network namespace with only lo up, so
// that the rescan test's nmap can reach nothing but the listeners it starts.
func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// bannerServer is a TCP listener that greets each client with a banner, as SSH, FTP and SMTP
// servers do, so that nmap -sV names it from its first probe without waiting.
type bannerServer struct {
	ln     net.Listener
	banner atomic.Value // string
	wg     sync.WaitGroup
}

func listen(t *testing.T, addr, banner string) *bannerServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	s := &bannerServer{ln: ln}
	s.banner.Store(banner)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(3 * time.Second))
				c.Write([]byte(s.banner.Load().(string)))
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *bannerServer) close() {
	s.ln.Close()
	s.wg.Wait()
}

// scan runs the real nmap on the test's own ports of 127.0.0.2 and returns the XML path.
func scan(t *testing.T, dir, name, ports string, extra ...string) string {
	t.Helper()
	path, err := exec.LookPath("nmap")
	if err != nil {
		t.Fatalf("nmap not found (make setup installs it): %v", err)
	}
	out := filepath.Join(dir, name)
	args := append([]string{"-n", "-Pn", "-sT", "-sV", "--version-light", "-p", ports}, extra...)
	args = append(args, "-oX", out, "127.0.0.2")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("nmap %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestRescanParity scans listeners it started, changes them, scans again, and checks that
// riskmap and ndiff agree on what changed. nmap probes only the ports this test listens on at
// some point (2121, 2222, 2525 on 127.0.0.2), inside the private namespace.
func TestRescanParity(t *testing.T) {
	netns.Require(t)
	const ports = "2121,2222,2525"
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		// Every probed port is listed, so changes are state changes.
		{"all ports listed", nil, []string{"127.0.0.2 2121/tcp port_state_changed", "127.0.0.2 2222/tcp version_changed",
			"127.0.0.2 2525/tcp port_state_changed"}},
		// --open leaves closed ports unlisted: a port that closes is gone from the list, one that
		// opens is new.
		{"open ports only", []string{"--open"}, []string{"127.0.0.2 2121/tcp closed_port", "127.0.0.2 2222/tcp version_changed",
			"127.0.0.2 2525/tcp new_port"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ssh := listen(t, "127.0.0.2:2222", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n")
			ftp := listen(t, "127.0.0.2:2121", "220 (vsFTPd 3.0.5)\r\n")
			a := scan(t, dir, "a.xml", ports, tc.extra...)

			ssh.banner.Store("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n")                // upgraded
			ftp.close()                                                                     // removed
			listen(t, "127.0.0.2:2525", "220 mail.example.test ESMTP Postfix (Ubuntu)\r\n") // added
			b := scan(t, dir, "b.xml", ports, tc.extra...)

			sa, sb := readSnapshot(t, a), readSnapshot(t, b)
			for _, o := range sa.Observations {
				if o.Port == 2222 && (o.Product != "OpenSSH" || !strings.HasPrefix(o.Version, "8.9p1")) {
					t.Fatalf("nmap did not name the SSH listener: %+v", o)
				}
			}
			got := riskmapSet(baseline.Diff(sa, sb))
			if g := sorted(got); strings.Join(g, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("riskmap changes\n got  %q\n want %q", g, tc.want)
			}
			checkParity(t, got, runNdiff(t, a, b), nil, nil)
			if t.Failed() {
				for _, f := range []string{a, b} {
					if data, err := os.ReadFile(f); err == nil {
						t.Logf("%s:\n%s", f, data)
					} else if !errors.Is(err, os.ErrNotExist) {
						t.Log(err)
					}
				}
			}
		})
	}
}
