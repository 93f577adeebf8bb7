package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab/netns"
)

// Errors Start and Apply return, checked with errors.Is.
var (
	// ErrNotPrivate means the process is not in a private network namespace made by netns:
	// the lab would listen where others can reach it, so it refuses.
	ErrNotPrivate = errors.New("lab: not in a private network namespace (run inside netns.Main or netns.Command)")
	// ErrAddress means an instance's LabIP is not an IPv4 address in 127.0.0.0/8.
	ErrAddress = errors.New("lab: lab address outside 127.0.0.0/8")
	// ErrClosed means the lab was closed.
	ErrClosed = errors.New("lab: closed")
)

var loopback = netip.MustParsePrefix("127.0.0.0/8")

// connTimeout bounds one connection: longer than any nmap probe or NSE script waits.
const connTimeout = 30 * time.Second

// Lab serves one estate epoch on loopback. Its methods are safe for concurrent use.
type Lab struct {
	tls *tls.Config

	mu        sync.Mutex
	closed    bool
	listeners map[netip.AddrPort]*listener
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
	stop      func() bool // detaches Start's context
}

// binding is what one listener serves now: Apply swaps it when a version changes.
type binding struct {
	in  estate.Instance
	svc estate.Service
	now time.Time // the estate's clock: what the services report as the time
}

type listener struct {
	ln  net.Listener
	cur atomic.Pointer[binding]
}

// Start serves e inside the current process's network namespace: one TCP listener per service
// of every instance, on the instance's LabIP, answering as the real service does. It refuses
// (ErrNotPrivate) unless netns.Private is true, and (ErrAddress) if any LabIP is outside
// 127.0.0.0/8. The lab stops when ctx is done or Close is called.
func Start(ctx context.Context, e *estate.Estate) (*Lab, error) {
	if err := check(e); err != nil {
		return nil, err
	}
	cfg, err := selfSigned(e.Time)
	if err != nil {
		return nil, err
	}
	l := &Lab{tls: cfg, listeners: map[netip.AddrPort]*listener{}, conns: map[net.Conn]struct{}{}}
	if err := l.Apply(ctx, e); err != nil {
		l.Close()
		return nil, err
	}
	l.stop = context.AfterFunc(ctx, func() { l.Close() })
	return l, nil
}

// check refuses to serve outside a private namespace or off loopback.
func check(e *estate.Estate) error {
	if !netns.Private() {
		return ErrNotPrivate
	}
	for _, in := range e.Instances {
		a, err := netip.ParseAddr(in.LabIP)
		if err != nil || !a.Is4() || !loopback.Contains(a) {
			return fmt.Errorf("%w: instance %s LabIP %q", ErrAddress, in.ID, in.LabIP)
		}
	}
	return nil
}

// Apply moves the lab to estate e (another epoch of the same one, usually): it starts listeners
// for new services, stops those of services gone, and changes what the others say (an upgrade
// changes the banner) for connections made from now on.
func (l *Lab) Apply(ctx context.Context, e *estate.Estate) error {
	if err := check(e); err != nil {
		return err
	}
	want := map[netip.AddrPort]*binding{}
	for _, in := range e.Instances {
		a := netip.MustParseAddr(in.LabIP) // check parsed it
		for _, s := range in.Services {
			want[netip.AddrPortFrom(a, uint16(s.Port))] = &binding{in: in, svc: s, now: e.Time}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	for ap, ls := range l.listeners {
		b, ok := want[ap]
		if ok && b.svc.TLS == ls.cur.Load().svc.TLS {
			ls.cur.Store(b)
			delete(want, ap)
			continue
		}
		ls.ln.Close()
		delete(l.listeners, ap)
	}
	addrs := make([]netip.AddrPort, 0, len(want))
	for ap := range want {
		addrs = append(addrs, ap)
	}
	slices.SortFunc(addrs, func(a, b netip.AddrPort) int { return a.Compare(b) })
	var lc net.ListenConfig
	for i, ap := range addrs {
		if i%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ln, err := lc.Listen(ctx, "tcp4", ap.String())
		if err != nil {
			return fmt.Errorf("lab: listen for %s on %s: %w", want[ap].in.ID, ap, err)
		}
		ls := &listener{ln: ln}
		ls.cur.Store(want[ap])
		l.listeners[ap] = ls
		l.wg.Add(1)
		go l.serve(ls)
	}
	return nil
}

// Addrs lists the addresses the lab listens on, sorted.
func (l *Lab) Addrs() []netip.AddrPort {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]netip.AddrPort, 0, len(l.listeners))
	for ap := range l.listeners {
		out = append(out, ap)
	}
	slices.SortFunc(out, func(a, b netip.AddrPort) int { return a.Compare(b) })
	return out
}

// Close stops every listener and connection and waits for them to end. Closing twice is a no-op.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	if l.stop != nil {
		l.stop()
	}
	for ap, ls := range l.listeners {
		ls.ln.Close()
		delete(l.listeners, ap)
	}
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return nil
}

func (l *Lab) serve(ls *listener) {
	defer l.wg.Done()
	for {
		c, err := ls.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			defer func() {
				l.mu.Lock()
				delete(l.conns, c)
				l.mu.Unlock()
				c.Close()
			}()
			_ = c.SetDeadline(time.Now().Add(connTimeout))
			l.handle(c, ls.cur.Load())
		}()
	}
}
