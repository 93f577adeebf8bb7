package lab

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// selfSigned makes the lab's one TLS certificate, valid around the estate's time now.
func selfSigned(now time.Time) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("lab: tls key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "riskmap-lab", Organization: []string{"riskmap lab"}},
		NotBefore:    now.Add(-365 * 24 * time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("lab: tls certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, nil
}

// bufConn is a net.Conn whose reads go through a bufio.Reader (which may hold peeked bytes).
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// startTLS does the server side of a TLS handshake on c. Like Go's net/http, it answers a plain
// HTTP request on a TLS port with a 400 instead.
func (l *Lab) startTLS(c net.Conn) (net.Conn, bool) {
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	if err != nil || (first[0] != 0x16 && (first[0] < 'A' || first[0] > 'Z')) {
		return nil, false // neither a handshake nor HTTP: drop it now rather than wait for a record
	}
	head, err := br.Peek(5)
	if err != nil {
		return nil, false
	}
	switch string(head) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		_, _ = c.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"))
		return nil, false
	}
	tc := tls.Server(&bufConn{Conn: c, r: br}, l.tls)
	if err := tc.Handshake(); err != nil {
		return nil, false
	}
	return tc, true
}
