package workers

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerConfig is the embedded NATS server the coordinator starts by default.
type ServerConfig struct {
	// StoreDir holds JetStream's file storage; it survives a restart of the coordinator.
	StoreDir string `yaml:"store_dir" json:"store_dir"`
	// Host and Port are where it listens; Port 0 picks a free port. Host defaults to
	// 127.0.0.1: workers in other segments reach it through a tunnel or a listed address.
	Host string `yaml:"host" json:"host"`
	Port int    `yaml:"port" json:"port"`
	// Coordinator is the coordinator's own user (all subjects).
	Coordinator User `yaml:"coordinator" json:"coordinator"`
	// Workers are the workers' users, each restricted to its segment (WorkerPermissions).
	Workers []User `yaml:"workers" json:"workers"`
	// TLSCert and TLSKey, when set, make the server require TLS; TLSCA, when set, also
	// requires client certificates signed by it.
	TLSCert string `yaml:"tls_cert" json:"tls_cert"`
	TLSKey  string `yaml:"tls_key" json:"tls_key"`
	TLSCA   string `yaml:"tls_ca" json:"tls_ca"`
	// MaxStore bounds JetStream's file storage in bytes (0: the server's default).
	MaxStore int64 `yaml:"max_store" json:"max_store"`
}

// User is one NATS user: a name and password, or an NKey (the public key, "U..."; the
// worker keeps the seed). Segment is the segment a worker user serves ("" for the
// coordinator).
type User struct {
	Name     string `yaml:"name" json:"name"`
	Password string `yaml:"password" json:"password"`
	NKey     string `yaml:"nkey,omitempty" json:"nkey,omitempty"`
	Segment  string `yaml:"segment,omitempty" json:"segment,omitempty"`
}

// DefaultServerConfig listens on 127.0.0.1 on a free port, storing under dir.
func DefaultServerConfig(dir string) ServerConfig {
	return ServerConfig{StoreDir: dir, Host: "127.0.0.1"}
}

// Validate checks c; it never fills in values.
func (c ServerConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("nats server %s: %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.StoreDir == "":
		return bad("store_dir", "empty: JetStream needs a directory")
	case net.ParseIP(c.Host) == nil:
		return bad("host", "%q: want an IP address", c.Host)
	case c.Port < 0 || c.Port > 65535:
		return bad("port", "%d: want 0-65535", c.Port)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return bad("tls_cert", "tls_cert and tls_key go together")
	case c.TLSCA != "" && c.TLSCert == "":
		return bad("tls_ca", "client certificates need the server's tls_cert and tls_key")
	case c.Coordinator.Name == "" && len(c.Workers) > 0:
		return bad("coordinator.name", "empty: with worker users the coordinator needs its own user")
	}
	seen := map[string]bool{c.Coordinator.Name: true}
	for i, u := range c.Workers {
		switch {
		case u.NKey != "" && (u.Name != "" || u.Password != ""):
			return bad(fmt.Sprintf("workers[%d]", i), "an nkey user has no name or password")
		case u.NKey != "" && !strings.HasPrefix(u.NKey, "U"):
			return bad(fmt.Sprintf("workers[%d].nkey", i), "%.8q...: want a user public key (U...)", u.NKey)
		case u.NKey != "":
			u.Name = u.NKey
		case u.Name == "" || u.Password == "":
			return bad(fmt.Sprintf("workers[%d]", i), "want a name and a password, or an nkey")
		}
		switch {
		case seen[u.Name]:
			return bad(fmt.Sprintf("workers[%d].name", i), "%q used twice", u.Name)
		}
		if err := CheckSegment(u.Segment); err != nil {
			return bad(fmt.Sprintf("workers[%d].segment", i), "%v", err)
		}
		seen[u.Name] = true
	}
	return nil
}

// Server is a running embedded NATS server with JetStream.
type Server struct {
	ns *server.Server
}

// StartServer starts the embedded server and waits until it accepts connections.
func StartServer(c ServerConfig) (*Server, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("nats server store_dir: %w", err)
	}
	port := c.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "riskmap", Host: c.Host, Port: port, JetStream: true, StoreDir: c.StoreDir,
		JetStreamMaxStore: c.MaxStore, NoSigs: true, NoLog: true, MaxPayload: 8 << 20,
	}
	if c.Coordinator.Name != "" {
		opts.Users = append(opts.Users, &server.User{Username: c.Coordinator.Name, Password: c.Coordinator.Password})
	}
	for _, u := range c.Workers {
		if u.NKey != "" {
			opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: u.NKey, Permissions: WorkerPermissions(u.Segment)})
			continue
		}
		opts.Users = append(opts.Users, &server.User{Username: u.Name, Password: u.Password, Permissions: WorkerPermissions(u.Segment)})
	}
	if c.TLSCert != "" {
		cfg, err := serverTLS(c)
		if err != nil {
			return nil, err
		}
		opts.TLSConfig, opts.TLSTimeout = cfg, 5
		opts.TLSVerify = c.TLSCA != ""
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("nats server: not ready after 10s")
	}
	return &Server{ns: ns}, nil
}

func serverTLS(c ServerConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("nats server tls_cert %s: %w", c.TLSCert, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSCA != "" {
		pem, err := os.ReadFile(c.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("nats server tls_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("nats server tls_ca %s: no PEM certificate in it", c.TLSCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// URL is the address clients connect to (nats:// or tls://).
func (s *Server) URL() string { return s.ns.ClientURL() }

// Close shuts the server down and waits for it; stored streams stay on disk.
func (s *Server) Close() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
