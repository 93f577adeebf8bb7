package estate

import (
	"fmt"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// NmapDeep returns what riskmap's deep tier (nmap -sV -sC --script redis-info,memcached-info)
// reports for s on in at time at: Nmap's view as the scripts refine it (redis-info adds the
// architecture and a CPE) and, in
// Scripts, the output of the scripts that findings rules read: ftp-anon, vnc-info, redis-info,
// memcached-info, mongodb-info, mongodb-databases. Other default scripts' output (http-title,
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
		if !s.Auth {
			v.ExtraInfo = "64 bits"
			v.CPEs = append(v.CPEs, "cpe:/a:redis:redis:"+s.Version)
			script("redis-info", fmt.Sprintf("\n  Version: %s\n  Operating System: Linux %s x86_64\n  Architecture: 64 bits\n  Process ID: %d\n  Connected clients: 1",
				s.Version, in.Kernel(), in.PID(s.Port)))
		}
	case KindMemcached:
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
	}
	return v
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
