package estate_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets/estate"
)

func TestTruthSeverities(t *testing.T) {
	const world, vpc, office = "0.0.0.0/0", "127.10.0.0/16", "192.0.2.0/24"
	tests := []struct {
		name     string
		svc      estate.Service
		public   bool
		source   string // "" for no rule at all
		want     riskmap.Severity
		internet bool
	}{
		{"redis open to the internet", estate.Service{Kind: estate.KindRedis, Port: 6379, Version: "6.0.16"}, true, world, riskmap.SeverityCritical, true},
		{"redis with requirepass", estate.Service{Kind: estate.KindRedis, Port: 6379, Version: "6.0.16", Auth: true}, true, world, riskmap.SeverityMedium, true},
		{"redis open to the VPC only", estate.Service{Kind: estate.KindRedis, Port: 6379}, true, vpc, riskmap.SeverityMedium, false},
		{"redis without a public address", estate.Service{Kind: estate.KindRedis, Port: 6379}, false, world, riskmap.SeverityMedium, false},
		{"redis no rule", estate.Service{Kind: estate.KindRedis, Port: 6379}, true, "", riskmap.SeverityInfo, false},
		{"apache 2.4.49", estate.Service{Kind: estate.KindApache, Port: 80, Version: "2.4.49"}, true, world, riskmap.SeverityCritical, true},
		{"apache 2.4.50", estate.Service{Kind: estate.KindApache, Port: 80, Version: "2.4.50"}, true, world, riskmap.SeverityCritical, true},
		{"apache 2.4.58", estate.Service{Kind: estate.KindApache, Port: 80, Version: "2.4.58"}, true, world, riskmap.SeverityInfo, true},
		{"vsftpd 2.3.4", estate.Service{Kind: estate.KindVsftpd, Port: 21, Version: "2.3.4", Auth: true}, true, world, riskmap.SeverityCritical, true},
		{"anonymous ftp", estate.Service{Kind: estate.KindVsftpd, Port: 21, Version: "3.0.3"}, true, world, riskmap.SeverityHigh, true},
		{"ftp with a password", estate.Service{Kind: estate.KindVsftpd, Port: 21, Version: "3.0.3", Auth: true}, true, world, riskmap.SeverityMedium, true},
		{"docker api", estate.Service{Kind: estate.KindDocker, Port: 2375}, true, world, riskmap.SeverityCritical, true},
		{"docker api from the office", estate.Service{Kind: estate.KindDocker, Port: 2375}, true, office, riskmap.SeverityMedium, false},
		{"etcd", estate.Service{Kind: estate.KindEtcd, Port: 2379}, true, world, riskmap.SeverityCritical, true},
		{"kubelet anonymous", estate.Service{Kind: estate.KindKubelet, Port: 10250}, true, world, riskmap.SeverityCritical, true},
		{"kubelet authenticated", estate.Service{Kind: estate.KindKubelet, Port: 10250, Auth: true}, true, world, riskmap.SeverityHigh, true},
		{"telnet", estate.Service{Kind: estate.KindTelnet, Port: 23, Auth: true}, true, world, riskmap.SeverityCritical, true},
		{"vnc without a password", estate.Service{Kind: estate.KindVNC, Port: 5900}, true, world, riskmap.SeverityCritical, true},
		{"vnc with a password", estate.Service{Kind: estate.KindVNC, Port: 5900, Auth: true}, true, world, riskmap.SeverityMedium, true},
		{"memcached", estate.Service{Kind: estate.KindMemcached, Port: 11211}, true, world, riskmap.SeverityHigh, true},
		{"mongodb open", estate.Service{Kind: estate.KindMongoDB, Port: 27017}, true, world, riskmap.SeverityCritical, true},
		{"elasticsearch open", estate.Service{Kind: estate.KindElasticsearch, Port: 9200}, true, world, riskmap.SeverityCritical, true},
		{"werkzeug debugger", estate.Service{Kind: estate.KindWerkzeug, Port: 5000, Origin: estate.OriginDebug}, true, world, riskmap.SeverityCritical, true},
		{"old openssh", estate.Service{Kind: estate.KindOpenSSH, Port: 22, Version: "7.2p2"}, true, world, riskmap.SeverityMedium, true},
		{"openssh", estate.Service{Kind: estate.KindOpenSSH, Port: 22, Version: "8.9p1"}, true, world, riskmap.SeverityLow, true},
		{"nginx", estate.Service{Kind: estate.KindNginx, Port: 80, Version: "1.18.0"}, true, world, riskmap.SeverityInfo, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.svc.Proto = "tcp"
			in := estate.Instance{ID: "i-0000000000000001", LabIP: "127.10.0.5", SecurityGroups: []string{"sg-00000000000000001"},
				Services: []estate.Service{tt.svc}}
			if tt.public {
				in.PublicIP = "203.0.113.5"
			}
			sg := estate.SecurityGroup{ID: "sg-00000000000000001"}
			if tt.source != "" {
				sg.Ingress = []estate.Rule{{Proto: "tcp", From: tt.svc.Port, To: tt.svc.Port, Source: tt.source}}
			}
			e := &estate.Estate{Instances: []estate.Instance{in}, SecurityGroups: []estate.SecurityGroup{sg}}
			got := e.Truth()
			if len(got) != 1 {
				t.Fatalf("Truth = %v, want one exposure", got)
			}
			x := got[0]
			if x.Severity != tt.want || x.Internet != tt.internet || x.AssetID != in.ID || x.IP != in.LabIP || x.Port != tt.svc.Port ||
				x.Service != tt.svc.Kind || x.Reason == "" {
				t.Fatalf("Truth = %+v, want severity %v internet %v", x, tt.want, tt.internet)
			}
			if got, want := len(e.Serious()), map[bool]int{true: 1, false: 0}[tt.want.Serious()]; got != want {
				t.Fatalf("Serious has %d exposures, want %d", got, want)
			}
		})
	}
}

func TestTruthOfGeneratedEstates(t *testing.T) {
	e := estate.Generate(estate.DefaultConfig())
	truth := e.Truth()
	if fmt.Sprint(truth) != fmt.Sprint(estate.Generate(estate.DefaultConfig()).Truth()) || fmt.Sprint(truth) != fmt.Sprint(e.Truth()) {
		t.Fatal("truth is not stable for a seed")
	}
	services := 0
	for _, in := range e.Instances {
		services += len(in.Services)
	}
	if len(truth) != services {
		t.Fatalf("%d exposures for %d listening services", len(truth), services)
	}
	public := map[string]bool{}
	for _, in := range e.Instances {
		public[in.ID] = in.PublicIP != ""
	}
	serious, kinds := 0, map[string]bool{}
	for x := e; x.Epoch < 5; x = x.Advance() {
		for _, ex := range x.Truth() {
			if ex.Severity.Serious() {
				serious++
				kinds[ex.Service] = true
				if !ex.Internet {
					t.Fatalf("serious but not internet-facing: %+v", ex)
				}
			}
			if ex.Internet && !strings.Contains(ex.Reason, "0.0.0.0/0") && !strings.Contains(ex.Reason, "::/0") {
				t.Fatalf("internet-facing without a world-open rule: %+v", ex)
			}
		}
	}
	if serious == 0 || len(kinds) < 2 {
		t.Fatalf("five epochs of the default estate hold %d serious exposures of kinds %v", serious, kinds)
	}
	if slices.ContainsFunc(truth, func(x estate.Exposure) bool { return x.Internet && !public[x.AssetID] }) {
		t.Fatal("an instance without a public address is internet-facing")
	}
}
