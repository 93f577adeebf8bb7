package features_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// TestServiceClasses classifies open ports as nmap names them: one asset per case, one
// port each, one build.
func TestServiceClasses(t *testing.T) {
	cases := []struct {
		name                     string
		port                     int
		service, product, tunnel string
		class                    string // the svc_* feature that must be 1; "" for none
		tls, http                bool
	}{
		{"telnet", 23, "telnet", "Linux telnetd", "", "svc_telnet", false, false},
		{"telnet on another port", 2323, "telnet", "", "", "svc_telnet", false, false},
		{"ftp", 21, "ftp", "vsftpd", "", "svc_ftp", false, false},
		{"smb", 445, "microsoft-ds", "", "", "svc_smb", false, false},
		{"netbios", 139, "netbios-ssn", "Samba smbd", "", "svc_smb", false, false},
		{"rdp", 3389, "ms-wbt-server", "", "", "svc_rdp", false, false},
		{"vnc", 5900, "vnc", "RealVNC", "", "svc_vnc", false, false},
		{"redis", 6379, "redis", "Redis key-value store", "", "svc_redis", false, false},
		{"mongodb", 27017, "mongodb", "MongoDB", "", "svc_mongodb", false, false},
		{"elasticsearch by product", 9200, "http", "Elasticsearch REST API", "", "svc_elasticsearch", false, true},
		{"elasticsearch port guess", 9200, "wap-wsp", "", "", "svc_elasticsearch", false, false},
		{"memcached", 11211, "memcached", "", "", "svc_memcached", false, false},
		{"docker", 2375, "docker", "Docker", "", "svc_docker", false, false},
		{"kubelet by port", 10250, "unknown", "", "ssl", "svc_kubernetes", true, false},
		{"kubernetes by product", 6443, "https", "Kubernetes API server", "ssl", "svc_kubernetes", true, true},
		{"unknown on the redis port", 6379, "unknown", "", "", "svc_redis", false, false},
		{"no service on the docker port", 2375, "", "", "", "svc_docker", false, false},
		{"https", 443, "https", "nginx", "", "", true, true},
		{"http over ssl", 8443, "http", "Apache httpd", "ssl", "", true, true},
		{"http-proxy", 3128, "http-proxy", "Squid http proxy", "", "", false, true},
		{"imaps", 993, "imaps", "Dovecot imapd", "", "", true, false},
		{"ssh is not risky", 22, "ssh", "OpenSSH", "", "", false, false},
		{"a named service on a risky port number", 6379, "http", "nginx", "", "", false, true},
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, err := datasets.Open(t.TempDir(), mem)
	if err != nil {
		t.Fatal(err)
	}
	w := writer(t, s)
	var assets []riskmap.Asset
	var hosts []host
	for i, c := range cases {
		id := fmt.Sprintf("a-%02d", i)
		ip := fmt.Sprintf("10.1.0.%d", i+1)
		assets = append(assets, riskmap.Asset{SnapshotTime: t0, ID: id, Provider: "aws", Account: "1", PrivateIPs: []string{ip}})
		p := open(c.port, c.service, c.product, "")
		p.tunnel = c.tunnel
		hosts = append(hosts, host{id: id, ip: ip, status: "up", ports: []port{p}})
	}
	write(t, w, datasets.TableAssets, "", "assets", datasets.AssetsRecord(mem, assets))
	writeScan(t, w, mem, scan{id: "scan-svc", started: day(1), hosts: hosts})
	w.Close()
	rows, _ := build(t, s, features.BuildOptions{AsOf: asOf})
	services := []string{"svc_telnet", "svc_ftp", "svc_smb", "svc_rdp", "svc_vnc", "svc_redis", "svc_mongodb",
		"svc_elasticsearch", "svc_memcached", "svc_docker", "svc_kubernetes"}
	b := func(v bool) float32 {
		if v {
			return 1
		}
		return 0
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := fmt.Sprintf("a-%02d", i)
			for _, svc := range services {
				want := b(svc == c.class)
				if got := value(t, rows, id, svc); got != want {
					t.Errorf("%s = %g, want %g", svc, got, want)
				}
			}
			if got, want := value(t, rows, id, "risky_ports_now"), b(c.class != ""); got != want {
				t.Errorf("risky_ports_now = %g, want %g", got, want)
			}
			if got := value(t, rows, id, "tls_ports_now"); got != b(c.tls) {
				t.Errorf("tls_ports_now = %g, want %g", got, b(c.tls))
			}
			if got := value(t, rows, id, "http_ports_now"); got != b(c.http) {
				t.Errorf("http_ports_now = %g, want %g", got, b(c.http))
			}
		})
	}
}

// TestTagsAndKinds reads environments, criticality and kinds as tags and providers spell
// them.
func TestTagsAndKinds(t *testing.T) {
	cases := []struct {
		name string
		kind string
		tags []riskmap.Tag
		want map[string]float32
	}{
		{"prod", "vm", []riskmap.Tag{{Key: "env", Value: "Production"}}, map[string]float32{"env_prod": 1, "kind_vm": 1}},
		{"preprod is staging", "lb", []riskmap.Tag{{Key: "Environment", Value: "preprod"}}, map[string]float32{"env_staging": 1, "kind_lb": 1}},
		{"uat", "db", []riskmap.Tag{{Key: "ENV", Value: "UAT"}}, map[string]float32{"env_staging": 1, "kind_db": 1}},
		{"sandbox", "function", []riskmap.Tag{{Key: "env", Value: "sandbox"}}, map[string]float32{"env_dev": 1, "kind_function": 1}},
		{"env wins over environment", "container", []riskmap.Tag{{Key: "environment", Value: "prod"}, {Key: "env", Value: "dev"}}, map[string]float32{"env_dev": 1, "kind_container": 1}},
		{"unknown env", "queue", []riskmap.Tag{{Key: "env", Value: "blue"}}, map[string]float32{"kind_other": 1}},
		{"criticality critical", "vm", []riskmap.Tag{{Key: "criticality", Value: "Critical"}}, map[string]float32{"criticality": 4, "kind_vm": 1}},
		{"business criticality", "vm", []riskmap.Tag{{Key: "business_criticality", Value: "medium"}}, map[string]float32{"criticality": 2, "kind_vm": 1}},
		{"criticality low", "vm", []riskmap.Tag{{Key: "Criticality", Value: "low"}}, map[string]float32{"criticality": 1, "kind_vm": 1}},
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, err := datasets.Open(t.TempDir(), mem)
	if err != nil {
		t.Fatal(err)
	}
	var assets []riskmap.Asset
	for i, c := range cases {
		assets = append(assets, riskmap.Asset{SnapshotTime: t0, ID: fmt.Sprintf("a-%02d", i), Provider: "gcp", Account: "p", Kind: c.kind, Tags: c.tags})
	}
	w := writer(t, s)
	write(t, w, datasets.TableAssets, "", "assets", datasets.AssetsRecord(mem, assets))
	w.Close()
	rows, _ := build(t, s, features.BuildOptions{AsOf: asOf})
	checked := []string{"env_prod", "env_staging", "env_dev", "criticality", "kind_vm", "kind_lb", "kind_db", "kind_container", "kind_function", "kind_other"}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range checked {
				if got := value(t, rows, fmt.Sprintf("a-%02d", i), name); got != c.want[name] {
					t.Errorf("%s = %g, want %g", name, got, c.want[name])
				}
			}
		})
	}
}
