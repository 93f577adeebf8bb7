package estate

import (
	"fmt"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// NmapView is what nmap 7.93 -sV reports for a service: its service name, product, version,
// extra info, tunnel and CPEs, exactly as the match lines of nmap-service-probes build them from
// the bytes that datasets/lab sends. datasets/lab's tests check every kind against the real
// nmap.
type NmapView struct {
	Service, Product, Version, ExtraInfo, Tunnel string
	CPEs                                         []string
	Scripts                                      []riskmap.Script // NmapDeep only
}

// goHTTPView is how nmap names a Go net/http server that answers GET / with 404: kubelet and
// etcd both do, and nmap 7.93 has no closer match for either.
var goHTTPView = NmapView{
	Service: "http", Product: "Golang net/http server", ExtraInfo: "Go-IPFS json-rpc or InfluxDB API",
	CPEs: []string{"cpe:/a:golang:go", "cpe:/a:influxdata:influxdb", "cpe:/a:protocol_labs:go-ipfs"},
}

// postgresViews maps the postmaster.c line of a startup-packet error to the version range nmap
// infers from it.
var postgresViews = map[string][2]string{
	"2063": {"9.6.24", "9.6.24"},
	"2086": {"10.15 - 10.18", "10"},
	"2092": {"12.5", "12.5"},
	"2119": {"12.9 - 12.12", "12"},
	"2133": {"13.5 - 13.8", "13"},
	"2114": {"14.0", "14.0"},
	"2138": {"14.1 - 14.5", "14"},
}

// Nmap returns what nmap -sV (at its default intensity) reports for s on in, at time at
// (memcached reports its uptime).
func (in *Instance) Nmap(s Service, at time.Time) NmapView { return in.nmap(s, at, false) }

// NmapLight returns what nmap -sV --version-light reports for s on in, at time at. It differs
// from Nmap where a version script refines the match line: nmap skips those at light intensity.
func (in *Instance) NmapLight(s Service, at time.Time) NmapView { return in.nmap(s, at, true) }

func (in *Instance) nmap(s Service, at time.Time, light bool) NmapView {
	v := nmapView(in, s, at, light)
	if s.TLS {
		v.Tunnel = "ssl"
	}
	v.CPEs = nmapCPEs(v.CPEs)
	return v
}

// nmapCPEs keeps what nmap keeps of a match line's CPEs: one per part (application, hardware,
// operating system), the last given, in that order.
func nmapCPEs(cpes []string) []string {
	var last [3]string
	for _, c := range cpes {
		switch {
		case strings.HasPrefix(c, "cpe:/a:"):
			last[0] = c
		case strings.HasPrefix(c, "cpe:/h:"):
			last[1] = c
		case strings.HasPrefix(c, "cpe:/o:"):
			last[2] = c
		}
	}
	var out []string
	for _, c := range last {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func nmapView(in *Instance, s Service, at time.Time, light bool) NmapView {
	switch s.Kind {
	case KindOpenSSH:
		return opensshView(s.Banner)
	case KindNginx:
		ver, rest, _ := strings.Cut(strings.TrimPrefix(s.Banner, "nginx/"), " ")
		v := NmapView{Service: "http", Product: "nginx", Version: ver, CPEs: []string{"cpe:/a:igor_sysoev:nginx:" + ver}}
		if rest == "(Ubuntu)" {
			v.ExtraInfo = "Ubuntu"
			v.CPEs = append(v.CPEs, "cpe:/o:canonical:ubuntu_linux", "cpe:/o:linux:linux_kernel")
		}
		return v
	case KindApache:
		ver, rest, _ := strings.Cut(strings.TrimPrefix(s.Banner, "Apache/"), " ")
		return NmapView{Service: "http", Product: "Apache httpd", Version: ver, ExtraInfo: rest,
			CPEs: []string{"cpe:/a:apache:http_server:" + ver}}
	case KindRedis:
		if s.Auth {
			return NmapView{Service: "redis", Product: "Redis key-value store", CPEs: []string{"cpe:/a:redislabs:redis"}}
		}
		return NmapView{Service: "redis", Product: "Redis key-value store", Version: s.Version,
			CPEs: []string{"cpe:/a:redislabs:redis:" + s.Version}}
	case KindMemcached:
		return NmapView{Service: "memcached", Product: "Memcached", Version: s.Version,
			ExtraInfo: fmt.Sprintf("uptime %d seconds", Uptime(in, at)),
			CPEs:      []string{"cpe:/a:memcached:memcached:" + s.Version}}
	case KindMySQL:
		if strings.Contains(s.Banner, "MariaDB") {
			return NmapView{Service: "mysql", Product: "MySQL", Version: s.Banner, CPEs: []string{"cpe:/a:mariadb:mariadb:" + s.Banner}}
		}
		return NmapView{Service: "mysql", Product: "MySQL", Version: s.Banner, CPEs: []string{"cpe:/a:mysql:mysql:" + s.Banner}}
	case KindPostgres:
		pv := postgresViews[s.Banner]
		return NmapView{Service: "postgresql", Product: "PostgreSQL DB", Version: pv[0],
			CPEs: []string{"cpe:/a:postgresql:postgresql:" + pv[1]}}
	case KindMongoDB:
		if s.Auth {
			return NmapView{Service: "mongodb", Product: "MongoDB", ExtraInfo: "not authorized; database: test",
				CPEs: []string{"cpe:/a:mongodb:mongodb"}}
		}
		return NmapView{Service: "mongodb", Product: "MongoDB", Version: s.Version, CPEs: []string{"cpe:/a:mongodb:mongodb:" + s.Version}}
	case KindElasticsearch:
		if s.Auth {
			return NmapView{Service: "http", Product: "Elasticsearch REST API", ExtraInfo: "Shield plugin; realm: security",
				CPEs: []string{"cpe:/a:elasticsearch:elasticsearch"}}
		}
		return NmapView{Service: "http", Product: "Elasticsearch REST API", Version: s.Version,
			ExtraInfo: fmt.Sprintf("name: %s; cluster: elasticsearch; Lucene %s", in.Hostname(), s.Banner),
			CPEs:      []string{"cpe:/a:apache:lucene:" + s.Banner, "cpe:/a:elasticsearch:elasticsearch:" + s.Version}}
	case KindKibana:
		return NmapView{Service: "http", Product: "Elasticsearch Kibana", Version: s.Version,
			CPEs: []string{"cpe:/a:elasticsearch:kibana:" + s.Version}}
	case KindVsftpd:
		return NmapView{Service: "ftp", Product: "vsftpd", Version: s.Version, CPEs: []string{"cpe:/a:vsftpd:vsftpd:" + s.Version}}
	case KindTelnet:
		return NmapView{Service: "telnet", Product: "Linux telnetd", CPEs: []string{"cpe:/o:linux:linux_kernel"}}
	case KindPostfix:
		return NmapView{Service: "smtp", Product: "Postfix smtpd", CPEs: []string{"cpe:/a:postfix:postfix"}}
	case KindExim:
		return NmapView{Service: "smtp", Product: "Exim smtpd", Version: s.Version, CPEs: []string{"cpe:/a:exim:exim:" + s.Version}}
	case KindDocker:
		// The match line says "Docker remote API"; nmap's docker-version script, which -sV
		// runs at default intensity, then renames the product from /version.
		api, kernel, _ := strings.Cut(s.Banner, " ")
		v := NmapView{Service: "docker", Product: "Docker", Version: s.Version,
			ExtraInfo: "API " + api + "; KernelVersion " + kernel, CPEs: []string{"cpe:/a:docker:docker:" + s.Version}}
		if light {
			v.Product = "Docker remote API"
		}
		return v
	case KindKubelet, KindEtcd:
		return cloneView(goHTTPView)
	case KindKubeAPI:
		return NmapView{Service: "http", Product: "Kubernetes master node httpd", CPEs: []string{"cpe:/a:kubernetes:kubernetes"}}
	case KindZookeeper:
		ver, rest, _ := strings.Cut(s.Banner, ", built on ")
		day, _, _ := strings.Cut(rest, " ")
		return NmapView{Service: "zookeeper", Product: "Zookeeper", Version: ver, ExtraInfo: "Built on " + day,
			CPEs: []string{"cpe:/a:zookeeper:zookeeper:" + ver}}
	case KindRabbitMQ:
		return NmapView{Service: "http", Product: "Cowboy httpd", CPEs: []string{"cpe:/a:ninenines:cowboy"}}
	case KindAMQP:
		// The match line says "Advanced Message Queue Protocol"; nmap's amqp-info script, which
		// -sV runs at default intensity, reads the product and version from Connection.Start.
		if light {
			return NmapView{Service: "amqp", Product: "Advanced Message Queue Protocol"}
		}
		return NmapView{Service: "amqp", Product: "RabbitMQ", Version: s.Version, ExtraInfo: "0-9"}
	case KindWinRM:
		return NmapView{Service: "http", Product: "Microsoft HTTPAPI httpd", Version: strings.TrimPrefix(s.Banner, "Microsoft-HTTPAPI/"),
			ExtraInfo: "SSDP/UPnP", CPEs: []string{"cpe:/o:microsoft:windows"}}
	case KindRDP:
		return NmapView{Service: "ms-wbt-server", Product: "Microsoft Terminal Services", CPEs: []string{"cpe:/o:microsoft:windows"}}
	case KindVNC:
		minor := strings.TrimLeft(strings.TrimPrefix(s.Banner, "RFB 003."), "0")
		return NmapView{Service: "vnc", Product: "VNC", ExtraInfo: "protocol 3." + minor}
	case KindSimpleHTTP:
		simple, py := serverPair(s.Banner, "SimpleHTTP/")
		return NmapView{Service: "http", Product: "SimpleHTTPServer", Version: simple, ExtraInfo: "Python " + py,
			CPEs: []string{"cpe:/a:python:python:" + py, "cpe:/a:python:simplehttpserver:" + simple}}
	case KindWerkzeug:
		wz, py := serverPair(s.Banner, "Werkzeug/")
		return NmapView{Service: "http", Product: "Werkzeug httpd", Version: wz, ExtraInfo: "Python " + py,
			CPEs: []string{"cpe:/a:python:python:" + py}}
	case KindJupyter:
		ver := strings.TrimPrefix(s.Banner, "TornadoServer/")
		return NmapView{Service: "http", Product: "Tornado httpd", Version: ver, CPEs: []string{"cpe:/a:tornadoweb:tornado:" + ver}}
	}
	return NmapView{Service: s.Name}
}

// opensshView follows nmap's OpenSSH match lines: a Ubuntu or Debian package revision becomes
// part of the version, and adds the distribution's CPE.
func opensshView(banner string) NmapView {
	proto, rest, _ := strings.Cut(strings.TrimPrefix(banner, "SSH-"), "-OpenSSH_")
	ver, pkg, _ := strings.Cut(rest, " ")
	v := NmapView{Service: "ssh", Product: "OpenSSH", Version: ver, ExtraInfo: "protocol " + proto,
		CPEs: []string{"cpe:/a:openbsd:openssh:" + ver}}
	switch distro, rev, _ := strings.Cut(pkg, "-"); distro {
	case "Ubuntu":
		v.Version = ver + " Ubuntu " + rev
		v.ExtraInfo = "Ubuntu Linux; protocol " + proto
		v.CPEs = append(v.CPEs, "cpe:/o:canonical:ubuntu_linux", "cpe:/o:linux:linux_kernel")
	case "Debian":
		v.Version = ver + " Debian " + rev
		v.CPEs = append(v.CPEs, "cpe:/o:debian:debian_linux", "cpe:/o:linux:linux_kernel")
	}
	return v
}

// serverPair splits "Name/1.2 Python/3.4" after prefix into "1.2" and "3.4".
func serverPair(header, prefix string) (string, string) {
	a, b, _ := strings.Cut(strings.TrimPrefix(header, prefix), " ")
	return a, strings.TrimPrefix(b, "Python/")
}

func cloneView(v NmapView) NmapView {
	v.CPEs = append([]string(nil), v.CPEs...)
	return v
}

// Uptime is how long in has run at time at, in whole seconds (0 before its launch): what
// memcached reports in its stats.
func Uptime(in *Instance, at time.Time) int64 {
	d := at.Sub(in.LaunchedAt)
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}
