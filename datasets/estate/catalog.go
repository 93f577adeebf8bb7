package estate

import (
	"slices"
	"strings"
)

// Kinds of service: each is one protocol that datasets/lab can speak well enough for nmap -sV
// to name it. The Banner of a Service holds, per kind:
//
//	openssh        the identification line without CRLF: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"
//	nginx, apache  the HTTP Server header: "nginx/1.18.0 (Ubuntu)", "Apache/2.4.49 (Unix)"
//	mysql          the server version of the greeting packet: "8.0.33-0ubuntu0.20.04.2"
//	postgresql     the postmaster.c line of its startup-packet error, which dates the build: "2133"
//	elasticsearch  the Lucene version it reports: "8.7.0"
//	postfix        the greeting after the host name: "ESMTP Postfix (Ubuntu)"
//	docker         "<API version> <kernel version>": "1.41 5.15.0-1051-aws"
//	zookeeper      the stat line after "Zookeeper version: "
//	winrm, werkzeug, python-http, jupyter  the HTTP Server header
//	vnc            the RFB ProtocolVersion: "RFB 003.008"
//	others         "" (the version says it all)
const (
	KindOpenSSH       = "openssh"
	KindNginx         = "nginx"
	KindApache        = "apache"
	KindRedis         = "redis"
	KindMemcached     = "memcached"
	KindMySQL         = "mysql"
	KindPostgres      = "postgresql"
	KindMongoDB       = "mongodb"
	KindElasticsearch = "elasticsearch"
	KindKibana        = "kibana"
	KindVsftpd        = "vsftpd"
	KindTelnet        = "telnetd"
	KindPostfix       = "postfix"
	KindExim          = "exim"
	KindDocker        = "docker"
	KindKubelet       = "kubelet"
	KindEtcd          = "etcd"
	KindKubeAPI       = "kube-apiserver"
	KindZookeeper     = "zookeeper"
	KindRabbitMQ      = "rabbitmq-management"
	KindAMQP          = "amqp"
	KindWinRM         = "winrm"
	KindRDP           = "rdp"
	KindVNC           = "vnc"
	KindSimpleHTTP    = "python-http"
	KindWerkzeug      = "werkzeug"
	KindJupyter       = "jupyter"
)

// kindInfo is what every build of a kind shares.
type kindInfo struct {
	port    int    // the port it listens on by default
	name    string // nmap's service name
	product string // the real product
	cpe     string // cpe:/a:vendor:product, the version is appended
	tls     bool
	// authed says whether the service can be run with or without credentials at all.
	authed bool
}

var kinds = map[string]kindInfo{
	KindOpenSSH:       {22, "ssh", "OpenSSH", "cpe:/a:openbsd:openssh", false, false},
	KindNginx:         {80, "http", "nginx", "cpe:/a:igor_sysoev:nginx", false, false},
	KindApache:        {80, "http", "Apache httpd", "cpe:/a:apache:http_server", false, false},
	KindRedis:         {6379, "redis", "Redis", "cpe:/a:redislabs:redis", false, true},
	KindMemcached:     {11211, "memcached", "Memcached", "cpe:/a:memcached:memcached", false, false},
	KindMySQL:         {3306, "mysql", "MySQL", "cpe:/a:mysql:mysql", false, false},
	KindPostgres:      {5432, "postgresql", "PostgreSQL", "cpe:/a:postgresql:postgresql", false, false},
	KindMongoDB:       {27017, "mongodb", "MongoDB", "cpe:/a:mongodb:mongodb", false, true},
	KindElasticsearch: {9200, "http", "Elasticsearch", "cpe:/a:elasticsearch:elasticsearch", false, true},
	KindKibana:        {5601, "http", "Kibana", "cpe:/a:elasticsearch:kibana", false, true},
	KindVsftpd:        {21, "ftp", "vsftpd", "cpe:/a:vsftpd:vsftpd", false, true},
	KindTelnet:        {23, "telnet", "netkit-telnetd", "cpe:/a:netkit:telnetd", false, false},
	KindPostfix:       {25, "smtp", "Postfix", "cpe:/a:postfix:postfix", false, false},
	KindExim:          {25, "smtp", "Exim", "cpe:/a:exim:exim", false, false},
	KindDocker:        {2375, "docker", "Docker Engine API", "cpe:/a:docker:docker", false, false},
	KindKubelet:       {10250, "http", "kubelet", "cpe:/a:kubernetes:kubernetes", true, true},
	KindEtcd:          {2379, "http", "etcd", "cpe:/a:etcd:etcd", false, false},
	KindKubeAPI:       {6443, "http", "kube-apiserver", "cpe:/a:kubernetes:kubernetes", true, false},
	KindZookeeper:     {2181, "zookeeper", "ZooKeeper", "cpe:/a:apache:zookeeper", false, false},
	KindRabbitMQ:      {15672, "http", "RabbitMQ management", "cpe:/a:pivotal_software:rabbitmq", false, false},
	KindAMQP:          {5672, "amqp", "RabbitMQ", "cpe:/a:pivotal_software:rabbitmq", false, false},
	KindWinRM:         {5985, "http", "Windows Remote Management", "cpe:/a:microsoft:windows_remote_management", false, false},
	KindRDP:           {3389, "ms-wbt-server", "Microsoft Terminal Services", "cpe:/a:microsoft:remote_desktop_services", false, false},
	KindVNC:           {5900, "vnc", "TigerVNC", "cpe:/a:tigervnc:tigervnc", false, true},
	KindSimpleHTTP:    {8000, "http", "Python http.server", "cpe:/a:python:python", false, false},
	KindWerkzeug:      {5000, "http", "Werkzeug debugger", "cpe:/a:palletsprojects:werkzeug", false, false},
	KindJupyter:       {8888, "http", "Jupyter Notebook", "cpe:/a:jupyter:notebook", false, true},
}

// Kinds lists every service kind, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// DefaultPort is the port a kind listens on unless moved, or 0 for an unknown kind.
func DefaultPort(kind string) int { return kinds[kind].port }

// build is one packaged version of a kind on one distribution ("" for any).
type build struct {
	kind, distro    string
	version, banner string
}

// builds lists, per kind and distribution, the versions that images carry, oldest first:
// drift upgrades along the list and downgrades back.
var builds = []build{
	{KindOpenSSH, "ubuntu-16.04", "7.2p2", "SSH-2.0-OpenSSH_7.2p2 Ubuntu-4ubuntu2.8"},
	{KindOpenSSH, "ubuntu-16.04", "7.2p2", "SSH-2.0-OpenSSH_7.2p2 Ubuntu-4ubuntu2.10"},
	{KindOpenSSH, "ubuntu-20.04", "8.2p1", "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.1"},
	{KindOpenSSH, "ubuntu-20.04", "8.2p1", "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5"},
	{KindOpenSSH, "ubuntu-20.04", "8.2p1", "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11"},
	{KindOpenSSH, "ubuntu-22.04", "8.9p1", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1"},
	{KindOpenSSH, "ubuntu-22.04", "8.9p1", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"},
	{KindOpenSSH, "ubuntu-22.04", "8.9p1", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"},
	{KindOpenSSH, "debian-11", "8.4p1", "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1"},
	{KindOpenSSH, "debian-11", "8.4p1", "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3"},
	{KindOpenSSH, "debian-12", "9.2p1", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1"},
	{KindOpenSSH, "debian-12", "9.2p1", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2"},
	{KindOpenSSH, "amzn2", "7.4", "SSH-2.0-OpenSSH_7.4"},
	{KindOpenSSH, "al2023", "8.7", "SSH-2.0-OpenSSH_8.7"},

	{KindNginx, "ubuntu-20.04", "1.18.0", "nginx/1.18.0 (Ubuntu)"},
	{KindNginx, "ubuntu-22.04", "1.18.0", "nginx/1.18.0 (Ubuntu)"},
	{KindNginx, "debian-11", "1.18.0", "nginx/1.18.0"},
	{KindNginx, "debian-12", "1.22.1", "nginx/1.22.1"},
	{KindNginx, "amzn2", "1.20.1", "nginx/1.20.1"},
	{KindNginx, "amzn2", "1.22.1", "nginx/1.22.1"},
	{KindNginx, "al2023", "1.24.0", "nginx/1.24.0"},

	{KindApache, "ubuntu-20.04", "2.4.41", "Apache/2.4.41 (Ubuntu)"},
	{KindApache, "ubuntu-22.04", "2.4.52", "Apache/2.4.52 (Ubuntu)"},
	{KindApache, "debian-11", "2.4.56", "Apache/2.4.56 (Debian)"},
	{KindApache, "debian-12", "2.4.57", "Apache/2.4.57 (Debian)"},
	{KindApache, "amzn2", "2.4.57", "Apache/2.4.57 ()"},
	{KindApache, "al2023", "2.4.58", "Apache/2.4.58 (Amazon Linux)"},
	// Built from source, whatever the distribution: the images where 2.4.49 and 2.4.50 live.
	{KindApache, "source", "2.4.48", "Apache/2.4.48 (Unix)"},
	{KindApache, "source", "2.4.49", "Apache/2.4.49 (Unix)"},
	{KindApache, "source", "2.4.50", "Apache/2.4.50 (Unix)"},
	{KindApache, "source", "2.4.58", "Apache/2.4.58 (Unix)"},

	{KindRedis, "amzn2", "3.2.12", ""},
	{KindRedis, "ubuntu-20.04", "5.0.7", ""},
	{KindRedis, "debian-11", "6.0.16", ""},
	{KindRedis, "ubuntu-22.04", "6.0.16", ""},
	{KindRedis, "al2023", "6.2.14", ""},
	{KindRedis, "debian-12", "7.0.15", ""},

	{KindMemcached, "amzn2", "1.4.15", ""},
	{KindMemcached, "ubuntu-20.04", "1.5.22", ""},
	{KindMemcached, "debian-11", "1.6.9", ""},
	{KindMemcached, "ubuntu-22.04", "1.6.14", ""},

	{KindMySQL, "ubuntu-16.04", "5.7.33", "5.7.33-0ubuntu0.16.04.1"},
	{KindMySQL, "amzn2", "5.7.42", "5.7.42"},
	{KindMySQL, "amzn2", "8.0.35", "8.0.35"},
	{KindMySQL, "ubuntu-20.04", "8.0.33", "8.0.33-0ubuntu0.20.04.2"},
	{KindMySQL, "ubuntu-20.04", "8.0.36", "8.0.36-0ubuntu0.20.04.1"},
	{KindMySQL, "ubuntu-22.04", "8.0.36", "8.0.36-0ubuntu0.22.04.1"},

	{KindPostgres, "amzn2", "9.6.24", "2063"},
	{KindPostgres, "amzn2", "10.17", "2086"},
	{KindPostgres, "ubuntu-20.04", "12.5", "2092"},
	{KindPostgres, "ubuntu-20.04", "12.12", "2119"},
	{KindPostgres, "debian-11", "13.8", "2133"},
	{KindPostgres, "ubuntu-22.04", "14.0", "2114"},
	{KindPostgres, "ubuntu-22.04", "14.5", "2138"},

	{KindMongoDB, "", "3.6.23", ""},
	{KindMongoDB, "", "4.0.28", ""},
	{KindMongoDB, "", "4.4.18", ""},
	{KindMongoDB, "", "5.0.15", ""},

	{KindElasticsearch, "", "6.8.23", "7.7.3"},
	{KindElasticsearch, "", "7.10.2", "8.7.0"},
	{KindElasticsearch, "", "7.17.9", "8.11.1"},
	{KindKibana, "", "6.8.23", ""},
	{KindKibana, "", "7.10.2", ""},
	{KindKibana, "", "7.17.9", ""},

	{KindVsftpd, "source", "2.3.4", ""},
	{KindVsftpd, "amzn2", "3.0.2", ""},
	{KindVsftpd, "ubuntu-16.04", "3.0.3", ""},
	{KindVsftpd, "ubuntu-20.04", "3.0.3", ""},
	{KindVsftpd, "ubuntu-22.04", "3.0.5", ""},

	{KindTelnet, "", "0.17", ""},

	{KindPostfix, "ubuntu-20.04", "3.4.13", "ESMTP Postfix (Ubuntu)"},
	{KindPostfix, "ubuntu-22.04", "3.6.4", "ESMTP Postfix (Ubuntu)"},
	{KindPostfix, "debian-11", "3.5.18", "ESMTP Postfix (Debian/GNU)"},
	{KindPostfix, "amzn2", "2.10.1", "ESMTP Postfix"},
	{KindExim, "debian-11", "4.94.2", ""},
	{KindExim, "debian-12", "4.96", ""},

	{KindDocker, "ubuntu-20.04", "19.03.13", "1.40 5.4.0-1045-aws"},
	{KindDocker, "ubuntu-20.04", "20.10.7", "1.41 5.15.0-1051-aws"},
	{KindDocker, "ubuntu-22.04", "24.0.5", "1.43 6.2.0-1017-aws"},
	{KindDocker, "amzn2", "20.10.25", "1.41 4.14.326-245.539.amzn2.x86_64"},

	{KindKubelet, "", "1.21.14", ""},
	{KindKubelet, "", "1.24.17", ""},
	{KindKubelet, "", "1.27.8", ""},
	{KindKubeAPI, "", "1.21.14", ""},
	{KindKubeAPI, "", "1.24.17", ""},
	{KindKubeAPI, "", "1.27.8", ""},
	{KindEtcd, "", "3.4.13", ""},
	{KindEtcd, "", "3.5.9", ""},

	{KindZookeeper, "", "3.4.13", "3.4.13-2d71af4dbe22557fda74f9a9b4309b15a7487f03, built on 06/29/2018 00:39 GMT"},
	{KindZookeeper, "", "3.4.14", "3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on 03/06/2019 16:18 GMT"},

	{KindRabbitMQ, "", "3.8.9", ""},
	{KindRabbitMQ, "", "3.9.13", ""},
	{KindAMQP, "", "3.8.9", ""},
	{KindAMQP, "", "3.9.13", ""},

	{KindWinRM, "windows-2019", "2.0", "Microsoft-HTTPAPI/2.0"},
	{KindWinRM, "windows-2022", "2.0", "Microsoft-HTTPAPI/2.0"},
	{KindRDP, "windows-2019", "10.0.17763", ""},
	{KindRDP, "windows-2022", "10.0.20348", ""},

	{KindVNC, "", "1.10.1", "RFB 003.008"},
	{KindVNC, "", "1.12.0", "RFB 003.008"},

	{KindSimpleHTTP, "ubuntu-20.04", "3.8.10", "SimpleHTTP/0.6 Python/3.8.10"},
	{KindSimpleHTTP, "ubuntu-22.04", "3.10.12", "SimpleHTTP/0.6 Python/3.10.12"},
	{KindSimpleHTTP, "", "3.9.2", "SimpleHTTP/0.6 Python/3.9.2"},
	{KindWerkzeug, "ubuntu-20.04", "2.0.1", "Werkzeug/2.0.1 Python/3.8.10"},
	{KindWerkzeug, "", "2.2.2", "Werkzeug/2.2.2 Python/3.10.12"},
	{KindJupyter, "", "6.4.12", "TornadoServer/6.1"},
	{KindJupyter, "", "6.5.4", "TornadoServer/6.3.3"},
}

// buildsFor returns the builds of kind on distro, oldest first, falling back to the builds for
// any distribution, then to every packaged build of kind.
func buildsFor(kind, distro string) []build {
	var out, any, all []build
	for _, b := range builds {
		if b.kind != kind {
			continue
		}
		switch b.distro {
		case distro:
			out = append(out, b)
		case "":
			any = append(any, b)
		}
		if b.distro != "source" {
			all = append(all, b)
		}
	}
	switch {
	case len(out) > 0:
		return out
	case len(any) > 0:
		return any
	}
	return all
}

// sourceBuilds returns the builds of kind compiled from source.
func sourceBuilds(kind string) []build {
	var out []build
	for _, b := range builds {
		if b.kind == kind && b.distro == "source" {
			out = append(out, b)
		}
	}
	return out
}

// newService makes the Service for build b listening on port.
func newService(b build, port int, auth bool, origin string) Service {
	k := kinds[b.kind]
	product := k.product
	if b.kind == KindMySQL && strings.Contains(b.banner, "MariaDB") {
		product = "MariaDB"
	}
	if !k.authed {
		auth = defaultAuth(b.kind)
	}
	return Service{
		Port: port, Proto: "tcp",
		Name: k.name, Product: product, Version: b.version,
		CPE:  k.cpe + ":" + b.version,
		Auth: auth, Kind: b.kind, Banner: b.banner, TLS: k.tls, Origin: origin,
	}
}

// defaultAuth is the Auth of kinds that do not vary: databases, shells and admin protocols ask
// for credentials; caches, container APIs and debug servers do not.
func defaultAuth(kind string) bool {
	switch kind {
	case KindOpenSSH, KindMySQL, KindPostgres, KindKubeAPI, KindRabbitMQ, KindAMQP, KindWinRM, KindRDP, KindTelnet:
		return true
	}
	return false
}
