package workers

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config is the workers: section of riskmap.yaml. With it, a cycle publishes its plan to
// the segments' workers instead of running nmap itself.
type Config struct {
	// NATS is an external NATS (JetStream) server; when its URL is empty the coordinator
	// starts the embedded Server instead.
	NATS   ConnConfig   `yaml:"nats" json:"nats"`
	Server ServerConfig `yaml:"server" json:"server"`
	// Segments, Delivery, JobHosts and Wait: see DispatchConfig.
	DispatchConfig `yaml:",inline" json:",inline"`
}

// DefaultConfig is the embedded server on 127.0.0.1:4222 storing under the workspace's
// nats/ directory, DefaultDispatchConfig, and no segments.
func DefaultConfig() Config {
	s := DefaultServerConfig("nats")
	s.Port = 4222
	return Config{Server: s, DispatchConfig: DefaultDispatchConfig()}
}

// Embedded reports whether c uses the embedded server.
func (c Config) Embedded() bool { return c.NATS.URL == "" }

// Coordinator is the coordinator's connection to NATS (and the embedded server, if any) and
// its Dispatcher.
type Coordinator struct {
	*Dispatcher
	srv *Server
	nc  *nats.Conn
}

// Open starts the embedded server (its store_dir relative to workspace) unless c names an
// external one, connects, and sets the streams up.
func Open(ctx context.Context, c Config, workspace string) (*Coordinator, error) {
	co := &Coordinator{}
	conn := c.NATS
	if c.Embedded() {
		sc := c.Server
		if sc.StoreDir == "" {
			sc.StoreDir = "nats"
		}
		if !filepath.IsAbs(sc.StoreDir) {
			sc.StoreDir = filepath.Join(workspace, sc.StoreDir)
		}
		srv, err := StartServer(sc)
		if err != nil {
			return nil, fmt.Errorf("workers: %w", err)
		}
		co.srv = srv
		conn = ConnConfig{URL: srv.URL(), User: sc.Coordinator.Name, Password: sc.Coordinator.Password,
			TLSCA: sc.TLSCA}
	}
	conn.Name = "riskmap-coordinator"
	nc, err := Connect(conn)
	if err != nil {
		co.Close()
		return nil, fmt.Errorf("workers: %w", err)
	}
	co.nc = nc
	if co.Dispatcher, err = NewDispatcher(ctx, nc, c.DispatchConfig); err != nil {
		co.Close()
		return nil, fmt.Errorf("workers: %w", err)
	}
	return co, nil
}

// URL is where workers connect.
func (co *Coordinator) URL() string { return co.nc.ConnectedUrl() }

// JetStream is the coordinator's JetStream context (for Live).
func (co *Coordinator) JetStream() (jetstream.JetStream, error) { return jetstream.New(co.nc) }

// Close closes the dispatcher, the connection and the embedded server.
func (co *Coordinator) Close() error {
	var err error
	if co.Dispatcher != nil {
		err = co.Dispatcher.Close()
	}
	if co.nc != nil {
		co.nc.Close()
	}
	if co.srv != nil {
		co.srv.Close()
	}
	return errors.Join(err)
}
