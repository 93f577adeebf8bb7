package features

import "strings"

// adminPorts are remote-administration ports: SSH, RDP, WinRM over HTTP and HTTPS.
var adminPorts = []int{22, 3389, 5985, 5986}

// dataPorts are data stores and control planes that should never face the internet.
var dataPorts = []int{
	1433,  // SQL Server
	1521,  // Oracle
	2375,  // Docker API
	2376,  // Docker API over TLS
	2379,  // etcd
	3306,  // MySQL / MariaDB
	5432,  // PostgreSQL
	5984,  // CouchDB
	6379,  // Redis
	7474,  // Neo4j
	8086,  // InfluxDB
	9042,  // Cassandra
	9200,  // Elasticsearch
	9300,  // Elasticsearch transport
	11211, // memcached
	27017, // MongoDB
	27018, // MongoDB shard
}

// serviceNames maps nmap service names (lower case) to risky service classes.
var serviceNames = map[string]uint8{
	"telnet": svcTelnet, "telnets": svcTelnet,
	"ftp": svcFTP, "ftps": svcFTP, "ftp-data": svcFTP, "tftp": svcFTP,
	"microsoft-ds": svcSMB, "netbios-ssn": svcSMB, "smb": svcSMB, "netbios-ns": svcSMB,
	"ms-wbt-server": svcRDP, "rdp": svcRDP,
	"vnc": svcVNC, "vnc-http": svcVNC, "vnc-1": svcVNC, "vnc-2": svcVNC,
	"redis":   svcRedis,
	"mongodb": svcMongoDB, "mongod": svcMongoDB,
	"elasticsearch": svcElasticsearch, "wap-wsp": svcNone, // nmap's port-table name for 9200: see serviceInfo
	"memcached": svcMemcached, "memcache": svcMemcached,
	"docker": svcDocker, "docker-s": svcDocker,
	"kubernetes": svcKubernetes, "kubelet": svcKubernetes, "etcd": svcKubernetes, "etcd-client": svcKubernetes,
}

// servicePorts classifies a port by number when nmap named no service (or only guessed
// from its port table, which -sV-less light scans do).
var servicePorts = map[int]uint8{
	23: svcTelnet, 21: svcFTP, 69: svcFTP, 139: svcSMB, 445: svcSMB, 3389: svcRDP,
	5900: svcVNC, 5901: svcVNC, 5902: svcVNC, 6379: svcRedis, 27017: svcMongoDB,
	27018: svcMongoDB, 9200: svcElasticsearch, 11211: svcMemcached, 2375: svcDocker,
	2376: svcDocker, 6443: svcKubernetes, 10250: svcKubernetes, 2379: svcKubernetes,
}

// serviceInfo flags: what a service name alone says of a port.
const (
	svcAmbiguous = 0x10 // the name is nmap's guess that needs the product or port to confirm
	svcUnknown   = 0x20 // no service name, or "unknown": fall back to the port number
	svcIsHTTP    = 0x40
	svcIsTLS     = 0x80
)

// serviceInfo classifies an nmap service name: the low four bits are its risky class, the
// others the flags above.
func serviceInfo(service string) uint8 {
	s := strings.ToLower(service)
	var out uint8
	if c, ok := serviceNames[s]; ok {
		out = c
		if s == "wap-wsp" {
			out = svcNone | svcAmbiguous
		}
	}
	if s == "" || s == "unknown" {
		out |= svcUnknown
	}
	if isHTTP(s) {
		out |= svcIsHTTP
	}
	if isTLS(s, "") {
		out |= svcIsTLS
	}
	return out
}

// productClass classifies an nmap product name.
func productClass(product string) uint8 {
	p := strings.ToLower(product)
	switch {
	case strings.Contains(p, "elasticsearch"):
		return svcElasticsearch
	case strings.Contains(p, "kubernetes") || strings.Contains(p, "kubelet"):
		return svcKubernetes
	case strings.Contains(p, "docker"):
		return svcDocker
	case strings.Contains(p, "redis"):
		return svcRedis
	case strings.Contains(p, "mongodb"):
		return svcMongoDB
	case strings.Contains(p, "memcached"):
		return svcMemcached
	}
	return svcNone
}

// resolveClass decides a port's risky class: the service name when it is sure, else the
// product, else the port number when nmap could not name the service (or only guessed).
func resolveClass(svc, prod uint8, port int) uint8 {
	if c := svc & infoClass; c != svcNone && svc&svcAmbiguous == 0 {
		return c
	}
	if prod != svcNone {
		return prod
	}
	if svc&(svcUnknown|svcAmbiguous) != 0 {
		return servicePorts[port]
	}
	return svcNone
}

// serviceClass returns the risky class of an open port from nmap's service and product
// names and its number.
func serviceClass(service, product string, port int) uint8 {
	return resolveClass(serviceInfo(service), productClass(product), port)
}

// isTLS reports whether an open port speaks TLS: nmap's tunnel, or a TLS service name.
func isTLS(service, tunnel string) bool {
	if tunnel == "ssl" {
		return true
	}
	switch strings.ToLower(service) {
	case "https", "ssl", "tls", "imaps", "pop3s", "smtps", "ldaps", "ftps", "https-alt":
		return true
	}
	return false
}

// isHTTP reports whether nmap named an HTTP service ("http", "https", "http-proxy",
// "http-alt"; "ssl/http" is service http with tunnel ssl).
func isHTTP(service string) bool {
	s := strings.ToLower(service)
	return strings.HasPrefix(s, "http") || strings.HasSuffix(s, "-http")
}
