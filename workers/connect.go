package workers

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// ConnConfig is how a worker or the coordinator connects to NATS.
type ConnConfig struct {
	URL      string `yaml:"url" json:"url"`
	Creds    string `yaml:"creds" json:"creds"` // a .creds file (JWT + NKey seed)
	User     string `yaml:"user" json:"user"`
	Password string `yaml:"password" json:"password"`
	// NKeySeed is a file holding the user's NKey seed (SU...), instead of a password.
	NKeySeed string `yaml:"nkey_seed" json:"nkey_seed"`
	TLSCA    string `yaml:"tls_ca" json:"tls_ca"` // CA that signed the server's certificate
	// TLSCert and TLSKey are the client's certificate, when the server requires one.
	TLSCert string `yaml:"tls_cert" json:"tls_cert"`
	TLSKey  string `yaml:"tls_key" json:"tls_key"`
	// Segment, when set, makes reply inboxes use the segment's prefix, which is all that a
	// worker's permissions let it subscribe to.
	Segment string `yaml:"-" json:"-"`
	Name    string `yaml:"-" json:"-"`
	// ConnectWait is how long Connect retries the first connection (0: 10 seconds).
	ConnectWait time.Duration `yaml:"connect_wait" json:"connect_wait"`
}

// Connect dials NATS, retrying the first connection for ConnectWait and reconnecting for
// ever afterwards.
func Connect(c ConnConfig) (*nats.Conn, error) {
	if c.URL == "" {
		return nil, fmt.Errorf("nats url: empty")
	}
	opts := []nats.Option{nats.Name(c.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false)}
	switch {
	case c.Creds != "" && c.User != "":
		return nil, fmt.Errorf("nats creds and user: give one of them")
	case c.Creds != "":
		opts = append(opts, nats.UserCredentials(c.Creds))
	case c.NKeySeed != "" && (c.User != "" || c.Creds != ""):
		return nil, fmt.Errorf("nats nkey_seed: give it without user or creds")
	case c.NKeySeed != "":
		o, err := nats.NkeyOptionFromSeed(c.NKeySeed)
		if err != nil {
			return nil, fmt.Errorf("nats nkey_seed %s: %w", c.NKeySeed, err)
		}
		opts = append(opts, o)
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.TLSCert != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	if c.Segment != "" {
		opts = append(opts, nats.CustomInboxPrefix(InboxPrefix(c.Segment)))
	}
	var err error
	wait := c.ConnectWait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	for deadline := time.Now().Add(wait); ; {
		var nc *nats.Conn
		if nc, err = nats.Connect(c.URL, opts...); err == nil {
			return nc, nil
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, fmt.Errorf("nats connect %s: %w", c.URL, err)
}
