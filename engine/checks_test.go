package engine_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
)

// TestAccessChecksOnLab scans two lab hosts at the standard tier through the loop (real nmap
// with riskmap's checks, real Parquet): one serves redis, kubelet, etcd, Elasticsearch,
// MongoDB and the Docker API without credentials, the other the same services asking for
// them. The first host's findings are confirmed by the checks; the second's "reachable"
// findings are downgraded because a check proved credentials are required.
func TestAccessChecksOnLab(t *testing.T) {
	netns.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	at := time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	show := estate.Showcase(at)
	kinds := []string{estate.KindRedis, estate.KindKubelet, estate.KindEtcd, estate.KindElasticsearch, estate.KindMongoDB, estate.KindDocker}
	pick := map[string]estate.Service{}
	for _, in := range show.Instances {
		for _, s := range in.Services {
			if _, ok := pick[s.Kind]; !ok && s.Port == estate.DefaultPort(s.Kind) && s.Origin == estate.OriginImage {
				pick[s.Kind] = s
			}
		}
	}
	e := &estate.Estate{Time: show.Time, Config: show.Config}
	var ports []int
	for i, auth := range []bool{false, true} {
		in := estate.Instance{ID: fmt.Sprintf("i-0checks0000000%d", i), Account: "000000000000", Region: "us-east-1",
			LabIP: fmt.Sprintf("127.9.7.%d", i+1), OS: "Ubuntu 22.04", Platform: "linux", InstanceType: "t3.micro", AZ: "us-east-1a",
			LaunchedAt: at.Add(-24 * time.Hour)}
		for _, k := range kinds {
			s := pick[k]
			s.Auth = auth
			in.Services = append(in.Services, s)
			if i == 0 {
				ports = append(ports, s.Port)
			}
		}
		e.Instances = append(e.Instances, in)
	}
	lb, err := lab.Start(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()

	s, _ := datasets.Open(t.TempDir(), nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.9.7.0/24"}
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	loop := &engine.Loop{W: w, Config: cfg, Log: quiet}
	pl, err := scanner.NewPortList(ports)
	if err != nil {
		t.Fatal(err)
	}
	plan := &scanner.Plan{CreatedAt: at}
	for _, in := range e.Instances {
		plan.Items = append(plan.Items, scanner.PlanItem{AssetID: in.ID, IPs: []netip.Addr{netip.MustParseAddr(in.LabIP)},
			Tier: riskmap.TierStandard, Ports: pl, Probes: len(pl)})
		plan.Probes += len(pl)
	}
	plan.Budget = plan.Probes
	rep, err := loop.Scan(ctx, plan)
	if err != nil || len(rep.Errors) > 0 {
		t.Fatalf("scan: %v %v", err, rep)
	}
	fs, err := datasets.ReadAll(ctx, s, datasets.TableFindings, nil, datasets.DecodeFindings)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]riskmap.Finding{}
	for _, f := range fs {
		got[f.IP+" "+f.RuleID] = f
	}
	open, closed := e.Instances[0].LabIP, e.Instances[1].LabIP
	for _, rule := range []string{"redis-unauthenticated", "kubelet-anonymous", "etcd-unauthenticated", "elasticsearch-unauthenticated",
		"mongodb-unauthenticated", "docker-api-unauthenticated"} {
		if _, ok := got[open+" "+rule]; !ok {
			t.Errorf("%s: no %s finding on the host without credentials", open, rule)
		}
		if _, ok := got[closed+" "+rule]; ok {
			t.Errorf("%s: %s on the host that asks for credentials", closed, rule)
		}
	}
	for rule, sev := range map[string]riskmap.Severity{"redis-exposed": riskmap.SeverityInfo, "kubelet-exposed": riskmap.SeverityMedium,
		"etcd-exposed": riskmap.SeverityMedium, "mongodb-exposed": riskmap.SeverityInfo, "docker-api-exposed": riskmap.SeverityMedium} {
		f, ok := got[closed+" "+rule]
		if !ok || f.Severity != sev || !strings.Contains(f.Evidence, "downgraded from ") {
			t.Errorf("%s %s: %+v, want it downgraded to %s", closed, rule, f, sev)
		}
		if f, ok := got[open+" "+rule]; ok && strings.Contains(f.Evidence, "downgraded") {
			t.Errorf("%s %s downgraded on the host without credentials: %s", open, rule, f.Evidence)
		}
	}
}
