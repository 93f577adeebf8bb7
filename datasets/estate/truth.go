package estate

import (
	"slices"

	"github.com/riskmap/riskmap"
)

// assess is the severity of s if the internet can reach it, and why (the table in doc.go).
func assess(s Service) (riskmap.Severity, string) {
	crit, high, med, low, info := riskmap.SeverityCritical, riskmap.SeverityHigh, riskmap.SeverityMedium, riskmap.SeverityLow, riskmap.SeverityInfo
	switch s.Kind {
	case KindTelnet:
		return crit, "telnet: cleartext remote login"
	case KindVsftpd:
		switch {
		case s.Version == "2.3.4":
			return crit, "vsftpd 2.3.4 backdoor (CVE-2011-2523)"
		case !s.Auth:
			return high, "anonymous FTP login"
		}
		return med, "FTP with cleartext credentials"
	case KindApache:
		switch s.Version {
		case "2.4.49":
			return crit, "Apache httpd 2.4.49 path traversal and RCE (CVE-2021-41773, CISA KEV)"
		case "2.4.50":
			return crit, "Apache httpd 2.4.50 path traversal and RCE (CVE-2021-42013, CISA KEV)"
		}
		return info, "web server"
	case KindNginx:
		return info, "web server"
	case KindDocker:
		return crit, "Docker Engine API without TLS: root on the host"
	case KindEtcd:
		return crit, "etcd client API without authentication: the cluster's secrets"
	case KindKubelet:
		if !s.Auth {
			return crit, "kubelet with anonymous auth: exec in any pod"
		}
		return high, "kubelet API reachable"
	case KindKubeAPI:
		return med, "Kubernetes API server reachable"
	case KindRedis:
		return authed(s, crit, "redis without requirepass", med, "redis with requirepass")
	case KindMongoDB:
		return authed(s, crit, "MongoDB without authentication", med, "MongoDB with authentication")
	case KindElasticsearch:
		return authed(s, crit, "Elasticsearch without security: every index readable", med, "Elasticsearch with security")
	case KindKibana:
		return authed(s, high, "Kibana without authentication", med, "Kibana with authentication")
	case KindVNC:
		return authed(s, crit, "VNC without authentication", med, "VNC with password authentication")
	case KindJupyter:
		return authed(s, crit, "Jupyter without a token: code execution", med, "Jupyter with a token")
	case KindMemcached:
		return high, "memcached: unauthenticated data and amplification"
	case KindZookeeper:
		return high, "ZooKeeper without authentication"
	case KindRDP:
		return high, "RDP reachable: brute force and pre-auth bugs"
	case KindWinRM:
		return high, "WinRM over HTTP reachable"
	case KindWerkzeug:
		return crit, "Werkzeug debugger: console code execution"
	case KindSimpleHTTP:
		return high, "python http.server: the working directory is listed"
	case KindOpenSSH:
		if s.Version == "7.2p2" {
			return med, "OpenSSH 7.2p2: end of life, user enumeration (CVE-2016-6210)"
		}
		return low, "SSH reachable"
	case KindMySQL:
		return med, "MySQL reachable"
	case KindPostgres:
		return med, "PostgreSQL reachable"
	case KindRabbitMQ:
		return med, "RabbitMQ management reachable"
	case KindAMQP:
		return low, "AMQP reachable"
	case KindPostfix, KindExim:
		return low, "SMTP reachable"
	}
	return info, s.Kind
}

func authed(s Service, open riskmap.Severity, openWhy string, closed riskmap.Severity, closedWhy string) (riskmap.Severity, string) {
	if s.Auth {
		return closed, closedWhy
	}
	return open, openWhy
}

// reach is how far a port of an instance can be reached, per its security groups.
type reach struct {
	internet bool   // from 0.0.0.0/0 or ::/0, and the instance has a public address
	allowed  bool   // some rule allows it, from somewhere
	via      string // the security group and source that allow it
}

func (e *Estate) reach(in *Instance, sgs map[string]*SecurityGroup, proto string, port int) reach {
	var r reach
	for _, id := range in.SecurityGroups {
		sg := sgs[id]
		if sg == nil {
			continue
		}
		for _, rule := range sg.Ingress {
			if !rule.Covers(proto, port) {
				continue
			}
			if riskmap.IsInternetSource(rule.Source) && in.PublicIP != "" {
				return reach{internet: true, allowed: true, via: sg.ID + " from " + rule.Source}
			}
			if !r.allowed {
				r = reach{allowed: true, via: sg.ID + " from " + rule.Source}
			}
		}
	}
	return r
}

// Truth returns every listening service of every instance with its ground-truth severity,
// sorted by asset and port. A service the internet can reach (Internet) takes the severity the
// table in doc.go gives it; one that only the VPC, the office or peers can reach is two steps
// lower; one that no rule allows is info. Serious exposures are those of high or critical
// severity (Severity.Serious).
func (e *Estate) Truth() []Exposure {
	sgs := e.sgMap()
	var out []Exposure
	for i := range e.Instances {
		in := &e.Instances[i]
		for _, s := range in.Services {
			sev, why := assess(s)
			r := e.reach(in, sgs, s.Proto, s.Port)
			switch {
			case r.internet:
				why += "; reachable from the internet via " + r.via
			case r.allowed:
				sev = max(riskmap.SeverityInfo, sev-2)
				why += "; reachable only via " + r.via
			default:
				sev = riskmap.SeverityInfo
				why += "; no security group allows it"
			}
			if s.Origin != OriginImage {
				why += "; " + s.Origin + " service"
			}
			out = append(out, Exposure{AssetID: in.ID, IP: in.LabIP, Port: s.Port, Proto: s.Proto, Service: s.Kind,
				Severity: sev, Reason: why, Internet: r.internet})
		}
	}
	return out
}

// Serious returns the exposures of Truth that are high or critical.
func (e *Estate) Serious() []Exposure {
	return slices.DeleteFunc(e.Truth(), func(x Exposure) bool { return !x.Severity.Serious() })
}

func (e *Estate) sgMap() map[string]*SecurityGroup {
	m := make(map[string]*SecurityGroup, len(e.SecurityGroups))
	for i := range e.SecurityGroups {
		m[e.SecurityGroups[i].ID] = &e.SecurityGroups[i]
	}
	return m
}
