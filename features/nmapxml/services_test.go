package nmapxml_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The services the fixture scans find: fake but convincing enough for nmap -sV to name them.
// They listen on 127.0.0.2-127.0.0.5 inside the test's private network namespace only.
const (
	sshAddr   = "127.0.0.2:22"
	httpAddr  = "127.0.0.3:80"
	httpsAddr = "127.0.0.3:443"
	smtpAddr  = "127.0.0.4:25"
	dnsAddr   = "127.0.0.5:53"

	sshBanner  = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n"
	smtpBanner = "220 mail.example.com ESMTP Postfix\r\n"
	httpPage   = "<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>\n"
)

// startServices starts every fake service and stops them when the test ends.
func startServices(t *testing.T) {
	t.Helper()
	var wg sync.WaitGroup
	// Cleanups run last-registered first: wait for the handlers only after every listener
	// registered below has been closed.
	t.Cleanup(wg.Wait)
	serve := func(l net.Listener, handle func(net.Conn)) {
		t.Cleanup(func() { l.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(10 * time.Second))
					handle(c)
				}()
			}
		}()
	}
	listen := func(addr string) net.Listener {
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			t.Fatalf("listen %s: %v", addr, err)
		}
		return l
	}
	serve(listen(sshAddr), serveSSH)
	serve(listen(httpAddr), serveHTTP)
	serve(tls.NewListener(listen(httpsAddr), &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}), serveHTTP)
	serve(listen(smtpAddr), serveSMTP)

	pc, err := net.ListenPacket("udp4", dnsAddr)
	if err != nil {
		t.Fatalf("listen udp %s: %v", dnsAddr, err)
	}
	t.Cleanup(func() { pc.Close() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveDNS(pc)
	}()
}

// serveSSH sends the banner and reads until the client gives up, as an sshd would while it
// waits for the client's version line and key exchange.
func serveSSH(c net.Conn) {
	if _, err := io.WriteString(c, sshBanner); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, c)
}

// serveHTTP answers every request on the connection like nginx 1.18.0 serving its default
// page, so that -sV says "nginx 1.18.0" and http-title finds a title.
func serveHTTP(c net.Conn) {
	req, err := readRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	status, body := "200 OK", httpPage
	if strings.Contains(req, "/robots.txt") || strings.HasPrefix(req, "GET /nice ports") {
		status = "404 Not Found"
		body = "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx/1.18.0</center></body></html>\n"
	}
	if strings.HasPrefix(req, "HEAD ") {
		body = ""
	}
	fmt.Fprintf(c, "HTTP/1.1 %s\r\nServer: nginx/1.18.0\r\nDate: %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, time.Now().UTC().Format(http.TimeFormat), len(body), body)
}

// readRequest reads one request head (up to the blank line) and returns its first line.
func readRequest(r *bufio.Reader) (string, error) {
	first := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if first == "" {
			first = line
		}
		if strings.TrimRight(line, "\r\n") == "" {
			return first, nil
		}
	}
}

// serveSMTP speaks enough SMTP for -sV and the smtp-commands script.
func serveSMTP(c net.Conn) {
	if _, err := io.WriteString(c, smtpBanner); err != nil {
		return
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		var reply string
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			reply = "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 CHUNKING\r\n"
		case strings.HasPrefix(cmd, "HELO"):
			reply = "250 mail.example.com\r\n"
		case strings.HasPrefix(cmd, "QUIT"):
			_, _ = io.WriteString(c, "221 2.0.0 Bye\r\n")
			return
		case strings.HasPrefix(cmd, "HELP"):
			reply = "502 5.5.2 Error: command not recognized\r\n"
		default:
			reply = "502 5.5.2 Error: command not recognized\r\n"
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

// serveDNS answers every query as a DNS server with nothing to say would: the same id and
// question, the response bit set, no answers.
func serveDNS(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n < 12 {
			continue
		}
		resp := append([]byte(nil), buf[:n]...)
		resp[2] = 0x80 | resp[2]&0x79 // QR, keep opcode and RD
		resp[3] = 0x80                // RA, rcode 0
		resp[6], resp[7] = 0, 0       // no answers
		resp[8], resp[9] = 0, 0
		resp[10], resp[11] = 0, 0
		_, _ = pc.WriteTo(resp, from)
	}
}

// selfSigned makes a throwaway certificate for the HTTPS listener.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(20240101),
		Subject:      pkix.Name{CommonName: "www.example.com", Organization: []string{"Example Ltd"}},
		DNSNames:     []string{"www.example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
