package estate

import (
	"fmt"
	"slices"
	"time"
)

// Showcase returns an estate that runs every build of every kind once (both with and without
// credentials where a kind can run either way), on its default port, plus nginx over TLS on 443,
// the ports that drift opens by hand or for debugging, and the unlisted ports of
// Config.Unlisted: the specimen that datasets/lab's tests scan with nmap to prove every responder is named as NmapView says. Its instances live
// on 127.9.0.0/24, which Generate never uses; it has no security groups, and does not drift.
func Showcase(at time.Time) *Estate {
	at = at.UTC().Truncate(time.Second)
	cfg := DefaultConfig()
	cfg.Start = at
	e := &Estate{Time: at, Config: cfg}
	var hosts []map[int]bool
	place := func(s Service) {
		h := slices.IndexFunc(hosts, func(used map[int]bool) bool { return !used[s.Port] })
		if h < 0 {
			h = len(hosts)
			hosts = append(hosts, map[int]bool{})
			e.Instances = append(e.Instances, Instance{
				ID: awsID("i", 0, spaceInstance, uint64(h)), Account: "000000000000", Region: "us-east-1",
				LabIP: fmt.Sprintf("127.9.0.%d", h+1), OS: "Ubuntu 22.04", Platform: "linux", InstanceType: "t3.micro",
				AZ: "us-east-1a", LaunchedAt: at.Add(-time.Duration(h+1) * 24 * time.Hour),
				Tags: map[string]string{"Name": fmt.Sprintf("showcase-%02d", h+1)},
			})
		}
		hosts[h][s.Port] = true
		in := &e.Instances[h]
		in.Services = append(in.Services, s)
	}
	for _, k := range Kinds() {
		var seen []build
		for _, b := range builds {
			if b.kind != k || slices.ContainsFunc(seen, func(x build) bool { return x.version == b.version && x.banner == b.banner }) {
				continue
			}
			seen = append(seen, b)
			auths := []bool{defaultAuth(k)}
			if kinds[k].authed {
				auths = []bool{false, true}
			}
			for _, auth := range auths {
				place(newService(b, DefaultPort(k), auth, OriginImage))
			}
			if k == KindNginx {
				s := newService(b, 443, false, OriginImage)
				s.TLS = true
				place(s)
			}
		}
	}
	for _, m := range manualPorts {
		if m.port != DefaultPort(m.kind) {
			place(newService(buildsFor(m.kind, "ubuntu-22.04")[0], m.port, true, OriginManual))
		}
	}
	for _, d := range debugPorts {
		if d.port != DefaultPort(d.kind) {
			place(newService(buildsFor(d.kind, "ubuntu-22.04")[0], d.port, false, OriginDebug))
		}
	}
	for _, u := range unlistedPorts {
		place(newService(buildsFor(u.kind, "ubuntu-22.04")[0], u.port, false, OriginManual))
	}
	for i := range e.Instances {
		slices.SortFunc(e.Instances[i].Services, func(a, b Service) int { return a.Port - b.Port })
	}
	return e
}
