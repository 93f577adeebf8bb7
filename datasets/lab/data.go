package lab

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap/datasets/estate"
)

// Data stores and queues: they wait for the client to speak.

// redis speaks RESP: INFO and PING answer without a password unless requirepass is set (Auth),
// when they fail as redis before 2.8 did ("operation not permitted", the only refusal nmap
// 7.93's probes name; it reports no version then, as for any protected redis).
func redis(c net.Conn, b *binding) {
	r := bufio.NewReader(c)
	for {
		args, err := readRESP(r)
		if err != nil {
			return
		}
		if len(args) == 0 {
			continue
		}
		var reply string
		switch cmd := strings.ToUpper(args[0]); {
		case b.svc.Auth && cmd == "AUTH":
			reply = "-ERR invalid password\r\n"
		case b.svc.Auth && cmd != "QUIT":
			reply = "-ERR operation not permitted\r\n"
		case cmd == "PING":
			reply = "+PONG\r\n"
		case cmd == "INFO":
			info := fmt.Sprintf("# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_mode:standalone\r\n"+
				"os:Linux %s x86_64\r\narch_bits:64\r\nprocess_id:%d\r\ntcp_port:%d\r\nuptime_in_seconds:%d\r\n\r\n"+
				"# Clients\r\nconnected_clients:1\r\n\r\n# Keyspace\r\ndb0:keys=%d,expires=0,avg_ttl=0\r\n",
				b.svc.Version, b.in.Kernel(), b.in.PID(b.svc.Port), b.svc.Port, estate.Uptime(&b.in, b.now), 10+len(b.in.Tags))
			reply = "$" + strconv.Itoa(len(info)) + "\r\n" + info + "\r\n"
		case cmd == "QUIT":
			_, _ = io.WriteString(c, "+OK\r\n")
			return
		case cmd == "GET" && len(args) != 2:
			reply = "-ERR wrong number of arguments for 'get' command\r\n"
		case cmd == "POST" || strings.HasSuffix(cmd, "HOST:"):
			return // redis drops what looks like HTTP: a cross-protocol attack
		default:
			reply = "-ERR unknown command `" + args[0] + "`, with args beginning with: \r\n"
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

// readRESP reads one command: a RESP array of bulk strings, or an inline line.
func readRESP(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 || n > 64 {
		return nil, fmt.Errorf("bad array length %q", line)
	}
	args := make([]string, 0, n)
	for range n {
		h, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		h = strings.TrimRight(h, "\r\n")
		size, err := strconv.Atoi(strings.TrimPrefix(h, "$"))
		if !strings.HasPrefix(h, "$") || err != nil || size < 0 || size > 1<<16 {
			return nil, fmt.Errorf("bad bulk length %q", h)
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	return args, nil
}

// memcached speaks the text protocol: stats, version, and errors for the rest; with Auth, it
// refuses everything as memcached with an authentication file does.
func memcached(c net.Conn, b *binding) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		var reply string
		switch f := strings.Fields(line); {
		case b.svc.Auth && len(f) == 1 && f[0] == "quit":
			return
		case b.svc.Auth:
			// memcached 1.5.15+ with -Y (an authentication file) answers every command of a
			// connection that has not authenticated so.
			reply = "CLIENT_ERROR unauthenticated\r\n"
		case len(f) == 1 && f[0] == "stats":
			reply = fmt.Sprintf("STAT pid %d\r\nSTAT uptime %d\r\nSTAT time %d\r\nSTAT version %s\r\nSTAT libevent 2.1.11-stable\r\n"+
				"STAT pointer_size 64\r\nSTAT curr_connections 2\r\nSTAT total_items %d\r\nEND\r\n",
				b.in.PID(b.svc.Port), estate.Uptime(&b.in, b.now), b.now.Unix(), b.svc.Version, 100+len(b.in.Tags))
		case len(f) == 1 && f[0] == "version":
			reply = "VERSION " + b.svc.Version + "\r\n"
		case len(f) == 1 && f[0] == "quit":
			return
		default:
			reply = "ERROR\r\n"
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

// zookeeper answers the four-letter words of 3.4 and drops anything else, as ZooKeeper does.
func zookeeper(c net.Conn, b *binding) {
	cmd := make([]byte, 4)
	if _, err := io.ReadFull(c, cmd); err != nil {
		return
	}
	stats := "Latency min/avg/max: 0/0/3\nReceived: 42\nSent: 41\nConnections: 1\nOutstanding: 0\nZxid: 0x100000003\nMode: standalone\nNode count: 5\n"
	switch string(cmd) {
	case "ruok":
		_, _ = io.WriteString(c, "imok")
	case "stat":
		_, _ = io.WriteString(c, "Zookeeper version: "+b.svc.Banner+"\nClients:\n /"+remoteHost(c)+":0[0](queued=0,recved=1,sent=0)\n\n"+stats)
	case "srvr":
		_, _ = io.WriteString(c, "Zookeeper version: "+b.svc.Banner+"\n"+stats)
	case "envi":
		_, _ = io.WriteString(c, "Environment:\nzookeeper.version="+b.svc.Banner+"\nhost.name="+b.in.Hostname()+"\n")
	}
}

// amqp answers a protocol header with RabbitMQ's Connection.Start, and anything else with the
// protocol header it speaks, as RabbitMQ does.
func amqp(c net.Conn, b *binding) {
	const header = "AMQP\x00\x00\x09\x01"
	head := make([]byte, 0, 8)
	buf := make([]byte, 8)
	for len(head) < 8 {
		n, err := c.Read(buf[:8-len(head)])
		head = append(head, buf[:n]...)
		if !strings.HasPrefix(header, string(head)) || err != nil {
			// Not a protocol header: RabbitMQ says which one it speaks and hangs up.
			_, _ = c.Write([]byte(header))
			return
		}
	}
	var props []byte
	props = amqpField(props, "product", "RabbitMQ")
	props = amqpField(props, "version", b.svc.Version)
	props = amqpField(props, "platform", "Erlang/OTP 23.3.4")
	props = amqpField(props, "cluster_name", "rabbit@"+b.in.Hostname())
	p := []byte{0, 10, 0, 10, 0, 9}
	p = binary.BigEndian.AppendUint32(p, uint32(len(props)))
	p = append(p, props...)
	p = amqpLong(p, "AMQPLAIN PLAIN")
	p = amqpLong(p, "en_US")
	frame := []byte{1, 0, 0}
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(p)))
	frame = append(append(frame, p...), 0xce)
	_, _ = c.Write(frame)
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<16))
}

func amqpField(b []byte, k, v string) []byte {
	b = append(b, byte(len(k)))
	b = append(b, k...)
	b = append(b, 'S')
	return amqpLong(b, v)
}

func amqpLong(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// postgres answers startup packets as the postmaster does: an SSL request with 'N', a protocol
// 3.0 startup with an MD5 password request (and a refusal), a protocol it does not speak with
// the error that carries its postmaster.c line (which nmap dates the build by), and a bad
// length with the matching error.
func postgres(c net.Conn, b *binding) {
	for {
		hdr := make([]byte, 8)
		if _, err := io.ReadFull(c, hdr[:4]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr)
		if n < 8 || n > 10000 {
			pgError(c, b, "08P01", "invalid length of startup packet")
			return
		}
		if _, err := io.ReadFull(c, hdr[4:]); err != nil {
			return
		}
		code := binary.BigEndian.Uint32(hdr[4:])
		if _, err := io.ReadFull(c, make([]byte, n-8)); err != nil {
			return
		}
		switch {
		case code == 80877103: // SSLRequest
			if _, err := c.Write([]byte{'N'}); err != nil {
				return
			}
			continue
		case code>>16 == 3:
			salt := []byte{'R', 0, 0, 0, 12, 0, 0, 0, 5, 0x5a, 0x1c, 0x7e, 0x33}
			if _, err := c.Write(salt); err != nil {
				return
			}
			if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
				return
			}
			pgError(c, b, "28P01", `password authentication failed for user "postgres"`)
		default:
			pgError(c, b, "0A000", fmt.Sprintf("unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", code>>16, code&0xffff))
		}
		return
	}
}

func pgError(w io.Writer, b *binding, code, msg string) {
	var body []byte
	field := func(t byte, v string) { body = append(append(append(body, t), v...), 0) }
	field('S', "FATAL")
	field('V', "FATAL")
	field('C', code)
	field('M', msg)
	field('F', "postmaster.c")
	field('L', b.svc.Banner)
	field('R', "ProcessStartupPacket")
	body = append(body, 0)
	out := binary.BigEndian.AppendUint32([]byte{'E'}, uint32(len(body)+4))
	_, _ = w.Write(append(out, body...))
}
