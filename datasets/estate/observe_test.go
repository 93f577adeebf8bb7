package estate_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets/estate"
)

func TestObservations(t *testing.T) {
	e := estate.Generate(estate.DefaultConfig()).Advance()
	at := e.Time.Add(time.Hour)
	obs := e.Observations("scan-1", at)
	ids := byID(e)
	n := 0
	for _, in := range e.Instances {
		n += len(in.Services)
	}
	if len(obs) != n {
		t.Fatalf("%d observations for %d services", len(obs), n)
	}
	for i, o := range obs {
		in, ok := ids[o.AssetID]
		if !ok || in.LabIP != o.IP || o.ScanID != "scan-1" || !o.ScanTime.Equal(at) || !o.Open() || o.Proto != "tcp" {
			t.Fatalf("observation %d: %+v", i, o)
		}
		if o.Service == "" || o.Product == "" {
			t.Fatalf("observation %d names nothing: %+v", i, o)
		}
		for _, c := range o.CPEs {
			if !strings.HasPrefix(c, "cpe:/") {
				t.Fatalf("observation %d: CPE %q", i, c)
			}
		}
		if i > 0 {
			a, b := netip.MustParseAddr(obs[i-1].IP), netip.MustParseAddr(o.IP)
			if c := a.Compare(b); c > 0 || (c == 0 && obs[i-1].Port >= o.Port) {
				t.Fatalf("observations not sorted by address and port at %d", i)
			}
		}
	}
}

// TestNmapViews pins how nmap names a few builds (datasets/lab's tests check them all against
// the real nmap).
func TestNmapViews(t *testing.T) {
	at := time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	in := &estate.Instance{LabIP: "127.10.0.5", LaunchedAt: at.Add(-time.Hour)}
	tests := []struct {
		name string
		svc  estate.Service
		want string
	}{
		{"openssh ubuntu", estate.Service{Kind: estate.KindOpenSSH, Banner: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"},
			`ssh|OpenSSH|8.9p1 Ubuntu 3ubuntu0.6|Ubuntu Linux; protocol 2.0||[cpe:/a:openbsd:openssh:8.9p1 cpe:/o:linux:linux_kernel]`},
		{"apache", estate.Service{Kind: estate.KindApache, Banner: "Apache/2.4.49 (Unix)"},
			`http|Apache httpd|2.4.49|(Unix)||[cpe:/a:apache:http_server:2.4.49]`},
		{"redis with requirepass", estate.Service{Kind: estate.KindRedis, Version: "6.0.16", Auth: true},
			`redis|Redis key-value store||||[cpe:/a:redislabs:redis]`},
		{"memcached uptime", estate.Service{Kind: estate.KindMemcached, Version: "1.6.14"},
			`memcached|Memcached|1.6.14|uptime 3600 seconds||[cpe:/a:memcached:memcached:1.6.14]`},
		{"postgres by source line", estate.Service{Kind: estate.KindPostgres, Version: "13.8", Banner: "2133"},
			`postgresql|PostgreSQL DB|13.5 - 13.8|||[cpe:/a:postgresql:postgresql:13]`},
		{"kubelet over tls", estate.Service{Kind: estate.KindKubelet, TLS: true},
			`http|Golang net/http server||Go-IPFS json-rpc or InfluxDB API|ssl|[cpe:/a:protocol_labs:go-ipfs]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := in.Nmap(tt.svc, at)
			got := fmt.Sprintf("%s|%s|%s|%s|%s|%v", v.Service, v.Product, v.Version, v.ExtraInfo, v.Tunnel, v.CPEs)
			if got != tt.want {
				t.Fatalf("Nmap =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
	deep := []struct {
		svc    estate.Service
		script string // "" for none
		output string // a substring
	}{
		{estate.Service{Kind: estate.KindVsftpd, Version: "3.0.3"}, "ftp-anon", "Anonymous FTP login allowed"},
		{estate.Service{Kind: estate.KindVsftpd, Version: "3.0.3", Auth: true}, "", ""},
		{estate.Service{Kind: estate.KindVNC, Banner: "RFB 003.008"}, "vnc-info", "None (1)"},
		{estate.Service{Kind: estate.KindVNC, Banner: "RFB 003.008", Auth: true}, "vnc-info", "VNC Authentication (2)"},
		{estate.Service{Kind: estate.KindRedis, Version: "7.0.15", Port: 6379}, "redis-info", "Version: 7.0.15"},
		{estate.Service{Kind: estate.KindRedis, Version: "7.0.15", Port: 6379, Auth: true}, "riskmap-redis-auth", "access: auth-required"},
		{estate.Service{Kind: estate.KindRedis, Version: "7.0.15", Port: 6379}, "riskmap-redis-auth", "access: unauthenticated"},
		{estate.Service{Kind: estate.KindKubelet, Port: 10250, Auth: true}, "riskmap-kubelet-pods", "access: auth-required"},
		{estate.Service{Kind: estate.KindEtcd, Version: "3.5.9", Port: 2379}, "riskmap-etcd-keys", "/registry/secrets/"},
		{estate.Service{Kind: estate.KindElasticsearch, Version: "7.10.2", Port: 9200, Auth: true}, "riskmap-elasticsearch-indices", "access: auth-required"},
		{estate.Service{Kind: estate.KindDocker, Version: "20.10.7", Banner: "1.41 5.15.0-1051-aws", Port: 2375}, "riskmap-docker-api", "api: 1.41"},
		{estate.Service{Kind: estate.KindMemcached, Version: "1.6.14", Port: 11211}, "riskmap-memcached-auth", "access: unauthenticated"},
		{estate.Service{Kind: estate.KindMongoDB, Version: "4.4.18", Port: 27017}, "mongodb-databases", "totalSize"},
		{estate.Service{Kind: estate.KindMongoDB, Version: "4.4.18", Port: 27017, Auth: true}, "mongodb-databases", "not authorized"},
	}
	for _, d := range deep {
		v := in.NmapDeep(d.svc, at)
		if d.script == "" {
			if len(v.Scripts) != 0 {
				t.Errorf("deep %s auth=%v: scripts %v, want none", d.svc.Kind, d.svc.Auth, v.Scripts)
			}
			continue
		}
		i := slices.IndexFunc(v.Scripts, func(s riskmap.Script) bool { return s.ID == d.script })
		if i < 0 || !strings.Contains(v.Scripts[i].Output, d.output) {
			t.Errorf("deep %s auth=%v: scripts %v, want %s with %q", d.svc.Kind, d.svc.Auth, v.Scripts, d.script, d.output)
		}
	}
	docker := estate.Service{Kind: estate.KindDocker, Version: "20.10.7", Banner: "1.41 5.15.0-1051-aws"}
	if d, l := in.Nmap(docker, at).Product, in.NmapLight(docker, at).Product; d != "Docker" || l != "Docker remote API" {
		t.Fatalf("docker product: default %q, light %q", d, l)
	}
}
