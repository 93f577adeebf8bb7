package lab

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/riskmap/riskmap/datasets/estate"
)

// etag is a stable, server-looking entity tag for body.
func etag(body string) string {
	h := sha1.Sum([]byte(body))
	return hex.EncodeToString(h[:6])
}

const nginxIndex = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
</body>
</html>
`

func nginx(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.1"}
	switch {
	case q.method != "GET" && q.method != "HEAD":
		r.status = "405 Not Allowed"
		r.body = "<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n<hr><center>" +
			b.svc.Banner + "</center>\r\n</body>\r\n</html>\r\n"
	case pathOf(q.target) == "/" || pathOf(q.target) == "/index.html":
		r.status, r.body = "200 OK", nginxIndex
	default:
		r.status = "404 Not Found"
		r.body = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>" +
			b.svc.Banner + "</center>\r\n</body>\r\n</html>\r\n"
	}
	r.header("Server", b.svc.Banner).header("Date", httpDate(b.now)).header("Content-Type", "text/html").
		header("Content-Length", length(r.body))
	if r.status == "200 OK" {
		r.header("Last-Modified", httpDate(b.in.LaunchedAt)).header("Connection", "close").
			header("ETag", `"`+etag(r.body)+`"`).header("Accept-Ranges", "bytes")
	} else {
		r.header("Connection", "close")
	}
	return r
}

// apache serves the default page, and, on 2.4.49 and 2.4.50, the path traversal of
// CVE-2021-41773 and CVE-2021-42013 (with a harmless fake /etc/passwd), so that a
// vulnerability check finds what the version promises.
func apache(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.1"}
	r.header("Date", httpDate(b.now)).header("Server", b.svc.Banner)
	p := pathOf(q.target)
	switch {
	case q.method == "OPTIONS":
		r.status = "200 OK"
		r.header("Allow", "GET,POST,OPTIONS,HEAD").header("Content-Length", "0").header("Connection", "close")
		return r
	case traversal(b.svc.Version, q.target):
		r.status, r.body = "200 OK", fakePasswd
		r.header("Last-Modified", httpDate(b.in.LaunchedAt)).header("Accept-Ranges", "bytes").
			header("Content-Length", length(r.body)).header("Connection", "close").header("Content-Type", "text/plain")
		return r
	case p == "/" || p == "/index.html":
		r.status, r.body = "200 OK", "<html><body><h1>It works!</h1></body></html>\n"
		r.header("Last-Modified", httpDate(b.in.LaunchedAt)).header("ETag", `"2d-`+etag(r.body)+`"`).
			header("Accept-Ranges", "bytes").header("Content-Length", length(r.body)).header("Connection", "close").
			header("Content-Type", "text/html")
		return r
	}
	r.status = "404 Not Found"
	r.body = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n" +
		"<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n"
	r.header("Content-Length", length(r.body)).header("Connection", "close").header("Content-Type", "text/html; charset=iso-8859-1")
	return r
}

const fakePasswd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
	"www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nlab:x:1000:1000:riskmap lab:/home/lab:/bin/bash\n"

func traversal(version, target string) bool {
	t := strings.ToLower(target)
	switch version {
	case "2.4.49":
		return strings.Contains(t, "/.%2e/") && strings.HasSuffix(t, "/etc/passwd")
	case "2.4.50":
		return strings.Contains(t, "/%%32%65%%32%65/") && strings.HasSuffix(t, "/etc/passwd")
	}
	return false
}

func elasticsearch(q *request, b *binding) *response {
	r := &response{proto: echo(q)}
	if b.svc.Auth {
		r.status = "401 Unauthorized"
		r.body = `{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication token for REST request [` + q.target +
			`]","header":{"WWW-Authenticate":"Basic realm=\"security\" charset=\"UTF-8\""}}],"type":"security_exception","reason":"missing authentication token for REST request [` +
			q.target + `]","header":{"WWW-Authenticate":"Basic realm=\"security\" charset=\"UTF-8\""}},"status":401}`
		r.header("WWW-Authenticate", `Basic realm="security" charset="UTF-8"`).
			header("content-type", "application/json; charset=UTF-8").header("content-length", length(r.body))
		return r
	}
	if pathOf(q.target) == "/_cat/indices" {
		r.status = "200 OK"
		r.body = esIndices(q.target, b)
	} else if pathOf(q.target) != "/" {
		r.status = "400 Bad Request"
		r.body = `{"error":"no handler found for uri [` + q.target + `] and method [` + q.method + `]"}`
	} else {
		r.status = "200 OK"
		r.body = fmt.Sprintf(`{
  "name" : %q,
  "cluster_name" : "elasticsearch",
  "cluster_uuid" : %q,
  "version" : {
    "number" : %q,
    "build_flavor" : "default",
    "build_type" : "deb",
    "build_hash" : %q,
    "build_snapshot" : false,
    "lucene_version" : %q,
    "minimum_wire_compatibility_version" : "6.8.0",
    "minimum_index_compatibility_version" : "6.0.0-beta1"
  },
  "tagline" : "You Know, for Search"
}
`, b.in.Hostname(), etag(b.in.ID)+etag(b.in.Group), b.svc.Version, etag(b.svc.Version)+etag(b.svc.Banner)+"0123", b.svc.Banner)
	}
	r.header("content-type", "application/json; charset=UTF-8").header("content-length", length(r.body))
	return r
}

// esIndices is /_cat/indices of a cluster without security: JSON with format=json, else the
// text table.
func esIndices(target string, b *binding) string {
	names := []string{"customers", "orders", "sessions-" + b.now.Format("2006.01.02")}
	if strings.Contains(target, "format=json") {
		var parts []string
		for i, n := range names {
			parts = append(parts, fmt.Sprintf(`{"health":"yellow","status":"open","index":%q,"uuid":%q,"pri":"1","rep":"1","docs.count":"%d","docs.deleted":"0","store.size":"%dkb","pri.store.size":"%dkb"}`,
				n, etag(b.in.ID+n), 1000*(i+1)+len(b.in.Tags), 200*(i+1), 200*(i+1)))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	var out strings.Builder
	for i, n := range names {
		fmt.Fprintf(&out, "yellow open %s %s 1 1 %d 0 %dkb %dkb\n", n, etag(b.in.ID+n), 1000*(i+1)+len(b.in.Tags), 200*(i+1), 200*(i+1))
	}
	return out.String()
}

func kibana(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.1", status: "200 OK"}
	r.body = `<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>Kibana</title></head><body><div class="kbnWelcomeView"></div></body></html>`
	r.header("kbn-name", "kibana").header("kbn-version", b.svc.Version).
		header("cache-control", "private, no-cache, no-store, must-revalidate").
		header("content-type", "text/html; charset=utf-8").header("content-length", length(r.body)).
		header("date", httpDate(b.now)).header("Connection", "close")
	return r
}

func docker(q *request, b *binding) *response {
	api, kernel, _ := strings.Cut(b.svc.Banner, " ")
	server := [2]string{"Server", "Docker/" + b.svc.Version + " (linux)"}
	switch p := pathOf(q.target); {
	case q.method == "OPTIONS":
		r := &response{proto: echo(q), status: "200 OK"}
		r.header("Api-Version", api).header("Docker-Experimental", "false").header("Ostype", "linux").
			header(server[0], server[1]).header("Date", httpDate(b.now)).header("Content-Length", "0")
		return r
	case b.svc.Auth && p != "/_ping":
		// An authorization plugin (the Auth variant) refuses every API call but the ping.
		return goJSON(q, b, "403 Forbidden", `{"message":"authorization denied by plugin opa-docker-authz: request rejected by administrative policy"}`+"\n", server)
	case p == "/version" || strings.HasSuffix(p, "/version"):
		body := fmt.Sprintf(`{"Platform":{"Name":"Docker Engine - Community"},"Version":%q,"ApiVersion":%q,"MinAPIVersion":"1.12","GitCommit":%q,"GoVersion":"go1.16.4","Os":"linux","Arch":"amd64","KernelVersion":%q,"BuildTime":"2021-06-02T11:54:50.000000000+00:00"}`+"\n",
			b.svc.Version, api, etag(b.svc.Version)[:7], kernel)
		return goJSON(q, b, "200 OK", body, server)
	case p == "/_ping":
		return goText(q, b, "200 OK", "OK")
	case strings.HasSuffix(p, "/containers/json"), strings.HasSuffix(p, "/images/json"):
		return goJSON(q, b, "200 OK", "[]\n", server)
	}
	return goJSON(q, b, "404 Not Found", `{"message":"page not found"}`+"\n")
}

// kubelet answers / with Go's 404 as the real one does; its pod list needs credentials unless
// anonymous auth is on.
func kubelet(q *request, b *binding) *response {
	switch pathOf(q.target) {
	case "/pods", "/runningpods/":
		if b.svc.Auth {
			return goText(q, b, "401 Unauthorized", "Unauthorized\n")
		}
		return goJSON(q, b, "200 OK", `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[`+
			`{"metadata":{"name":"api-7d9f8c6b5-x2k4q","namespace":"default"}},`+
			`{"metadata":{"name":"coredns-5d78c9869d-7fz2n","namespace":"kube-system"}}]}`+"\n")
	case "/healthz":
		return goText(q, b, "200 OK", "ok")
	}
	return goText(q, b, "404 Not Found", "404 page not found\n")
}

func etcd(q *request, b *binding) *response {
	switch pathOf(q.target) {
	case "/version":
		minor := b.svc.Version[:strings.LastIndex(b.svc.Version, ".")]
		return goJSON(q, b, "200 OK", fmt.Sprintf(`{"etcdserver":%q,"etcdcluster":"%s.0"}`, b.svc.Version, minor))
	case "/health":
		return goJSON(q, b, "200 OK", `{"health":"true","reason":""}`)
	case "/v2/keys", "/v2/keys/":
		if b.svc.Auth {
			return goJSON(q, b, "401 Unauthorized", `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}`+"\n")
		}
		return goJSON(q, b, "200 OK", `{"action":"get","node":{"dir":true,"nodes":[{"key":"/registry","dir":true}]}}`+"\n")
	case "/v3/kv/range":
		return etcdRange(q, b)
	}
	return goText(q, b, "404 Not Found", "404 page not found\n")
}

// etcdRange is the v3 JSON gateway's range call. With auth enabled and no token, etcd refuses
// with gRPC's InvalidArgument, which the gateway writes as 400; without, it lists the keys
// (keys_only is honoured, values are never sent).
func etcdRange(q *request, b *binding) *response {
	if q.method != "POST" {
		return goJSON(q, b, "405 Method Not Allowed", `{"code":12,"message":"Method Not Allowed"}`)
	}
	if b.svc.Auth {
		return goJSON(q, b, "400 Bad Request", `{"error":"etcdserver: user name is empty","code":3,"message":"etcdserver: user name is empty"}`)
	}
	keys := []string{"/registry/namespaces/default", "/registry/secrets/default/db-password", "/registry/ranges/serviceips"}
	var kvs []string
	for i, k := range keys {
		kvs = append(kvs, fmt.Sprintf(`{"key":%q,"create_revision":"%d","mod_revision":"%d","version":"1"}`,
			base64.StdEncoding.EncodeToString([]byte(k)), 2+i, 2+i))
	}
	return goJSON(q, b, "200 OK", fmt.Sprintf(`{"header":{"cluster_id":"%d","member_id":"%d","revision":"%d","raft_term":"2"},"kvs":[%s],"count":"%d"}`,
		14841639068965178418-uint64(len(b.in.ID)), 10276657743932975437-uint64(len(b.in.Tags)), 2+len(keys), strings.Join(kvs, ","), len(keys)))
}

// kubeAPI is an API server with basic auth: every request without credentials is refused.
func kubeAPI(q *request, b *binding) *response {
	return goText(q, b, "401 Unauthorized", "Unauthorized\n", [2]string{"Www-Authenticate", `Basic realm="kubernetes-master"`})
}

func rabbitMQ(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.1", status: "200 OK"}
	r.body = "<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n" +
		"    <title>RabbitMQ Management</title>\n  </head>\n  <body>\n    <div id=\"outer\"></div>\n  </body>\n</html>\n"
	r.header("content-length", length(r.body)).
		header("content-security-policy", "script-src 'self' 'unsafe-eval' 'unsafe-inline'; object-src 'self'").
		header("content-type", "text/html").header("date", httpDate(b.now)).header("etag", `"`+etag(b.svc.Version)+`"`).
		header("last-modified", httpDate(b.in.LaunchedAt)).header("server", "Cowboy").header("vary", "origin")
	return r
}

func winRM(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.1"}
	if q.method == "POST" && strings.EqualFold(pathOf(q.target), "/wsman") {
		r.status = "401 Unauthorized"
		r.header("Server", b.svc.Banner).header("WWW-Authenticate", "Negotiate").header("Date", httpDate(b.now)).
			header("Connection", "close").header("Content-Length", "0")
		return r
	}
	r.status = "404 Not Found"
	r.body = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n" +
		"<HTML><HEAD><TITLE>Not Found</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n" +
		"<BODY><h2>Not Found</h2>\r\n<hr><p>HTTP Error 404. The requested resource is not found.</p>\r\n</BODY></HTML>\r\n"
	r.header("Content-Type", "text/html; charset=us-ascii").header("Server", b.svc.Banner).header("Date", httpDate(b.now)).
		header("Connection", "close").header("Content-Length", length(r.body))
	return r
}

func simpleHTTP(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.0"}
	if q.method != "GET" && q.method != "HEAD" {
		r.status = "501 Unsupported method ('" + q.method + "')"
		r.body = "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n" +
			"    <body>\n        <h1>Error response</h1>\n        <p>Error code: 501</p>\n    </body>\n</html>\n"
		r.header("Server", b.svc.Banner).header("Date", httpDate(b.now)).header("Connection", "close").
			header("Content-Type", "text/html;charset=utf-8").header("Content-Length", length(r.body))
		return r
	}
	r.status = "200 OK"
	r.body = "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Directory listing for /</title>\n</head>\n<body>\n" +
		"<h1>Directory listing for /</h1>\n<hr>\n<ul>\n<li><a href=\".env\">.env</a></li>\n<li><a href=\"backup.sql\">backup.sql</a></li>\n" +
		"<li><a href=\"id_rsa\">id_rsa</a></li>\n</ul>\n<hr>\n</body>\n</html>\n"
	r.header("Server", b.svc.Banner).header("Date", httpDate(b.now)).header("Content-type", "text/html; charset=utf-8").
		header("Content-Length", length(r.body))
	return r
}

func werkzeug(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.0", status: "200 OK"}
	r.body = "<!doctype html>\n<title>debug app</title>\n<h1>It runs</h1>\n<p>Debugger is active! Console at <a href=\"/console\">/console</a>.</p>\n"
	if pathOf(q.target) == "/console" {
		r.body = "<!doctype html>\n<title>Console // Werkzeug Debugger</title>\n<div class=\"debugger\"><h1>Interactive Console</h1>" +
			"<div class=\"console\"></div></div>\n"
	}
	r.header("Content-Type", "text/html; charset=utf-8").header("Content-Length", length(r.body)).
		header("Server", b.svc.Banner).header("Date", httpDate(b.now))
	return r
}

// jupyter is a notebook server's front door: to the tree, or to the login page when it wants a
// token.
func jupyter(q *request, b *binding) *response {
	r := &response{proto: "HTTP/1.1", status: "302 Found"}
	loc := "/tree?"
	if b.svc.Auth {
		loc = "/login?next=%2Ftree%3F"
	}
	if p := pathOf(q.target); p == "/tree" || p == "/login" {
		r.status = "200 OK"
		r.body = "<!DOCTYPE HTML>\n<html>\n<head>\n<title>Home Page - Select or create a notebook</title>\n</head>\n<body></body>\n</html>\n"
		if p == "/login" {
			r.body = strings.Replace(r.body, "Home Page - Select or create a notebook", "Jupyter Notebook", 1)
		}
		r.header("Server", b.svc.Banner).header("Content-Type", "text/html; charset=UTF-8").header("Date", httpDate(b.now)).
			header("X-Content-Type-Options", "nosniff").header("Content-Length", length(r.body))
		return r
	}
	r.header("Server", b.svc.Banner).header("Content-Type", "text/html; charset=UTF-8").header("Date", httpDate(b.now)).
		header("Location", loc).header("Content-Length", "0")
	return r
}

// httpHandlers maps the kinds that speak HTTP to their handlers.
var httpHandlers = map[string]func(*request, *binding) *response{
	estate.KindNginx: nginx, estate.KindApache: apache, estate.KindElasticsearch: elasticsearch,
	estate.KindKibana: kibana, estate.KindDocker: docker, estate.KindKubelet: kubelet, estate.KindEtcd: etcd,
	estate.KindKubeAPI: kubeAPI, estate.KindRabbitMQ: rabbitMQ, estate.KindWinRM: winRM,
	estate.KindSimpleHTTP: simpleHTTP, estate.KindWerkzeug: werkzeug, estate.KindJupyter: jupyter,
}
