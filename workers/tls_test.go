package workers_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riskmap/riskmap/workers"
)

// TestServerTLS starts the embedded server with TLS: a client that trusts its CA connects,
// one that does not is refused.
func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "riskmap-nats"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)

	cfg := workers.DefaultServerConfig(filepath.Join(dir, "js"))
	cfg.TLSCert, cfg.TLSKey = cert, keyFile
	srv, err := workers.StartServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := workers.Connect(workers.ConnConfig{URL: srv.URL(), TLSCA: cert})
	if err != nil {
		t.Fatalf("client trusting the CA: %v", err)
	}
	if !nc.TLSRequired() {
		t.Error("connection is not TLS")
	}
	nc.Close()
	// Without the CA the handshake fails.
	if nc, err := workers.Connect(workers.ConnConfig{URL: srv.URL(), ConnectWait: 300 * time.Millisecond}); err == nil {
		nc.Close()
		t.Error("a client without the CA connected")
	}
}
