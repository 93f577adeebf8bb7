package estate

import (
	"fmt"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// NmapDeep returns what riskmap's deep tier (nmap -sV -sC with the access checks,
// scanner.Checks) reports for s on in at time at: Nmap's view as the scripts refine it
// (redis-info adds the architecture and a CPE) and, in Scripts, the output of the scripts that
// findings rules read: ftp-anon, vnc-info, redis-info, memcached-info, mongodb-info,
// mongodb-databases, and riskmap's checks (riskmap-redis-auth, riskmap-memcached-auth,
// riskmap-docker-api, riskmap-kubelet-pods, riskmap-etcd-keys, riskmap-elasticsearch-indices). Other default scripts' output (http-title,
// ssl-cert, ...) is not modelled. Two things vary from run to run in nmap itself: the order of
// the keys of a Lua table it prints (the MongoDB scripts; NmapDeep gives one order), and, on a
// MongoDB without auth, whether the product reads "MongoDB" or "MongoDB <version>" (two
// scripts set it, and the last to finish wins; NmapDeep says "MongoDB").
func (in *Instance) NmapDeep(s Service, at time.Time) NmapView {
	v := in.nmap(s, at, false)
	script := func(id, out string) { v.Scripts = append(v.Scripts, riskmap.Script{ID: id, Output: out}) }
	switch s.Kind {
	case KindVsftpd:
		if !s.Auth {
			script("ftp-anon", "Anonymous FTP login allowed (FTP code 230)\nCan't get directory listing: PASV failed: 425 Use PORT or PASV first.")
		}
	case KindVNC:
		minor := strings.TrimLeft(strings.TrimPrefix(s.Banner, "RFB 003."), "0")
		out := "\n  Protocol version: 3." + minor + "\n  Security types: \n    VNC Authentication (2)"
		if !s.Auth {
			out = "\n  Protocol version: 3." + minor + "\n  Security types: \n    None (1)\n  WARNING: Server does not require authentication"
		}
		script("vnc-info", out)
	case KindRedis:
		if s.Auth {
			script("riskmap-redis-auth", table("access", "auth-required", "check", "PING", "answer", "-ERR operation not permitted"))
		} else {
			script("riskmap-redis-auth", table("access", "unauthenticated", "check", "PING", "answer", "+PONG"))
		}
		if !s.Auth {
			v.ExtraInfo = "64 bits"
			v.CPEs = append(v.CPEs, "cpe:/a:redis:redis:"+s.Version)
			script("redis-info", fmt.Sprintf("\n  Version: %s\n  Operating System: Linux %s x86_64\n  Architecture: 64 bits\n  Process ID: %d\n  Connected clients: 1",
				s.Version, in.Kernel(), in.PID(s.Port)))
		}
	case KindMemcached:
		if s.Auth {
			script("riskmap-memcached-auth", table("access", "auth-required", "check", "stats", "answer", "CLIENT_ERROR unauthenticated"))
			break
		}
		script("riskmap-memcached-auth", table("access", "unauthenticated", "check", "stats", "version", s.Version, "items", fmt.Sprint(100+len(in.Tags))))
		script("memcached-info", fmt.Sprintf("\n  Process ID: %d\n  Uptime: %d seconds\n  Server time: %s\n  Architecture: 64 bit\n  Current connections: 2",
			in.PID(s.Port), Uptime(in, at), at.UTC().Format("2006-01-02T15:04:05")))
	case KindMongoDB:
		if s.Auth {
			script("mongodb-databases", "\n  code = 13\n  errmsg = not authorized on admin to execute command { listDatabases: 1.0 }\n  ok = 0.0\n")
			script("mongodb-info", "ERROR: Script execution failed (use -d to debug)")
			break
		}
		script("mongodb-databases", "\n  totalSize = 196608.0\n  ok = 1.0\n  databases\n"+
			"    1\n      sizeOnDisk = 65536.0\n      empty = false\n      name = app\n"+
			"    2\n      sizeOnDisk = 98304.0\n      empty = false\n      name = local\n"+
			"    0\n      sizeOnDisk = 32768.0\n      empty = false\n      name = admin\n")
		status := fmt.Sprintf("    ok = 1.0\n    uptime = %d.0\n    version = %s\n    pid = %d\n    process = mongod\n    host = %s\n",
			Uptime(in, at), s.Version, in.PID(s.Port), in.Hostname())
		script("mongodb-info", "\n  MongoDB Build info\n"+status+"  Server status\n"+status)
	case KindDocker:
		if s.Auth {
			script("riskmap-docker-api", table("access", "auth-required", "check", "GET /version", "answer",
				`403 {"message":"authorization denied by plugin opa-docker-authz: request rejected by administrative policy"}`))
			break
		}
		api, _, _ := strings.Cut(s.Banner, " ")
		script("riskmap-docker-api", table("access", "unauthenticated", "check", "GET /version", "version", s.Version, "api", api, "containers", "0"))
	case KindKubelet:
		if s.Auth {
			script("riskmap-kubelet-pods", table("access", "auth-required", "check", "GET /pods", "answer", "401 Unauthorized"))
			break
		}
		script("riskmap-kubelet-pods", table("access", "unauthenticated", "check", "GET /pods", "pods", "2"))
	case KindEtcd:
		check := "POST /v3/kv/range (keys only)"
		if s.Auth {
			script("riskmap-etcd-keys", table("access", "auth-required", "check", check, "version", s.Version, "answer",
				`400 {"error":"etcdserver: user name is empty","code":3,"message":"etcdserver: user name is empty"}`))
			break
		}
		script("riskmap-etcd-keys", table("access", "unauthenticated", "check", check, "version", s.Version, "keys", "3",
			"first", "/registry/namespaces/default, /registry/secrets/default/db-password, /registry/ranges/serviceips"))
	case KindElasticsearch:
		if s.Auth {
			script("riskmap-elasticsearch-indices", table("access", "auth-required", "check", "GET /_cat/indices",
				"answer", "401 missing authentication token for REST request [/_cat/indices?format=json]"))
			break
		}
		script("riskmap-elasticsearch-indices", table("access", "unauthenticated", "check", "GET /_cat/indices", "indices", "3",
			"names", "customers, orders, sessions-"+at.UTC().Format("2006.01.02")))
	}
	return v
}

// table writes key/value pairs as nmap prints a script's output table: one "  key: value" line
// each, after a newline.
func table(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("\n  " + kv[i] + ": " + kv[i+1])
	}
	return b.String()
}

// PID is the process id the service on port of in reports (redis INFO, memcached stats,
// mongod serverStatus): stable for an instance and port.
func (in *Instance) PID(port int) int {
	h := mix64(uint64(port))
	for _, c := range in.ID {
		h = mix64(h ^ uint64(c))
	}
	return 300 + int(h%32000)
}

// kernels are the Linux releases each OS runs on EC2.
var kernels = map[string]string{
	"Ubuntu 16.04": "4.4.0-1128-aws", "Ubuntu 20.04": "5.15.0-1051-aws", "Ubuntu 22.04": "6.2.0-1017-aws",
	"Debian 11": "5.10.0-26-cloud-amd64", "Debian 12": "6.1.0-13-cloud-amd64",
	"Amazon Linux 2": "4.14.326-245.539.amzn2.x86_64", "Amazon Linux 2023": "6.1.61-85.141.amzn2023.x86_64",
}

// Kernel is the Linux kernel release in runs, as services that report it (redis INFO) say it.
func (in *Instance) Kernel() string {
	if k, ok := kernels[in.OS]; ok {
		return k
	}
	return "5.15.0-1051-aws"
}
