package lab

import (
	"net"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
)

// streamHandlers maps the kinds that are not HTTP to their protocol.
var streamHandlers = map[string]func(net.Conn, *binding){
	estate.KindOpenSSH: ssh, estate.KindMySQL: mysql, estate.KindVsftpd: vsftpd, estate.KindTelnet: telnet,
	estate.KindPostfix: smtp, estate.KindExim: smtp, estate.KindVNC: vnc, estate.KindRDP: rdp,
	estate.KindRedis: redis, estate.KindMemcached: memcached, estate.KindZookeeper: zookeeper,
	estate.KindAMQP: amqp, estate.KindPostgres: postgres, estate.KindMongoDB: mongodb,
}

// Serves reports whether the lab can serve a service of kind.
func Serves(kind string) bool {
	_, h := httpHandlers[kind]
	_, s := streamHandlers[kind]
	return h || s
}

// handle serves one connection as b's service.
func (l *Lab) handle(c net.Conn, b *binding) {
	if b.svc.TLS {
		tc, ok := l.startTLS(c)
		if !ok {
			return
		}
		defer tc.Close()
		c = tc
	}
	respond(c, b)
}

func respond(c net.Conn, b *binding) {
	if h, ok := httpHandlers[b.svc.Kind]; ok {
		serveHTTP(c, b, h)
		return
	}
	if h, ok := streamHandlers[b.svc.Kind]; ok {
		h(c, b)
	}
}

// Respond serves one connection as service s of instance in, at the estate time now: what the
// lab's listeners speak, without a listener, and in the clear even where s.TLS is set. It
// returns when the client is done, goes quiet past c's deadline, or breaks the protocol; it
// does not close c. It sends nothing but on c, so it needs no network namespace.
func Respond(c net.Conn, in estate.Instance, s estate.Service, now time.Time) {
	respond(c, &binding{in: in, svc: s, now: now})
}
