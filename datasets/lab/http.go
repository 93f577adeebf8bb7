package lab

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// request is the head of one HTTP/1.x request.
type request struct {
	method, target, proto string
	body                  string // read when Content-Length says so, at most maxBody bytes
}

// maxBody bounds a request body the lab reads (etcd's JSON range requests are tiny).
const maxBody = 1 << 16

// readRequest reads a request head. It fails on anything that is not an HTTP/1.x request
// line, such as the blank lines of nmap's GenericLines probe: the HTTP responders then close
// the connection without a word, which sends nmap on to its next probe at once.
func readRequest(r *bufio.Reader) (*request, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/1.") || !isToken(f[0]) {
		return nil, fmt.Errorf("not an http request line: %q", line)
	}
	size := 0
	for n := 0; ; n++ {
		h, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if h == "\r\n" || h == "\n" {
			break
		}
		if n > 100 {
			return nil, fmt.Errorf("too many header lines")
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			if size, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || size < 0 || size > maxBody {
				return nil, fmt.Errorf("content-length %q: want 0-%d", strings.TrimSpace(v), maxBody)
			}
		}
	}
	q := &request{method: f[0], target: f[1], proto: f[2]}
	if size > 0 {
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		q.body = string(buf)
	}
	return q, nil
}

func isToken(s string) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return s != ""
}

// response is one HTTP response, written with its headers in the given order, as the server
// it imitates writes them (nmap's match lines depend on the order).
type response struct {
	proto   string // HTTP/1.1 or HTTP/1.0
	status  string // "200 OK"
	headers [][2]string
	body    string
}

func (r *response) header(k, v string) *response {
	r.headers = append(r.headers, [2]string{k, v})
	return r
}

func (r *response) write(w io.Writer, head bool) {
	var b strings.Builder
	b.WriteString(r.proto + " " + r.status + "\r\n")
	for _, h := range r.headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	if !head {
		b.WriteString(r.body)
	}
	_, _ = io.WriteString(w, b.String())
}

func httpDate(t time.Time) string { return t.UTC().Format(time.RFC1123[:len(time.RFC1123)-3] + "GMT") }

func length(body string) string { return strconv.Itoa(len(body)) }

// echo is the response version Go's and Netty's servers use: the request's own.
func echo(q *request) string {
	if q.proto == "HTTP/1.0" {
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

// serveHTTP answers requests on c one at a time with h until the client closes or sends
// something else.
func serveHTTP(c net.Conn, b *binding, h func(*request, *binding) *response) {
	r := bufio.NewReader(c)
	for {
		q, err := readRequest(r)
		if err != nil {
			return
		}
		resp := h(q, b)
		resp.write(c, q.method == "HEAD")
		if q.proto == "HTTP/1.0" || hasHeader(resp, "Connection", "close") {
			return
		}
	}
}

func hasHeader(r *response, k, v string) bool {
	for _, h := range r.headers {
		if strings.EqualFold(h[0], k) && strings.EqualFold(h[1], v) {
			return true
		}
	}
	return false
}

// goText is how Go's net/http writes a plain-text reply (http.Error, http.NotFound).
func goText(q *request, b *binding, status, body string, extra ...[2]string) *response {
	r := &response{proto: echo(q), status: status, body: body}
	r.header("Content-Type", "text/plain; charset=utf-8")
	r.headers = append(r.headers, extra...)
	r.header("X-Content-Type-Options", "nosniff").header("Date", httpDate(b.now)).header("Content-Length", length(body))
	return r
}

// goJSON is how a Go server writes a JSON reply.
func goJSON(q *request, b *binding, status, body string, extra ...[2]string) *response {
	r := &response{proto: echo(q), status: status, body: body}
	r.header("Content-Type", "application/json")
	r.headers = append(r.headers, extra...)
	r.header("Date", httpDate(b.now)).header("Content-Length", length(body))
	return r
}

func pathOf(target string) string {
	p, _, _ := strings.Cut(target, "?")
	return p
}
