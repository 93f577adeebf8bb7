package inventory

import (
	"encoding/json"
	"strings"

	"github.com/riskmap/riskmap"
)

// JSON shapes of GCP compute instances and firewalls, as the REST API returns them and as
// `gcloud ... list --format=json` prints them (the same objects, in a bare array).
type (
	gcpInstance struct {
		ID                 json.RawMessage   `json:"id"`
		Name               string            `json:"name"`
		Zone               string            `json:"zone"`
		Status             string            `json:"status"`
		CreationTimestamp  string            `json:"creationTimestamp"`
		SelfLink           string            `json:"selfLink"`
		Hostname           string            `json:"hostname"`
		SourceMachineImage string            `json:"sourceMachineImage"`
		Labels             map[string]string `json:"labels"`
		Tags               *struct {
			Items []string `json:"items"`
		} `json:"tags"`
		Metadata *struct {
			Items []struct {
				Key   string  `json:"key"`
				Value *string `json:"value"`
			} `json:"items"`
		} `json:"metadata"`
		ServiceAccounts []struct {
			Email string `json:"email"`
		} `json:"serviceAccounts"`
		NetworkInterfaces []struct {
			Network       string `json:"network"`
			Subnetwork    string `json:"subnetwork"`
			NetworkIP     string `json:"networkIP"`
			Ipv6Address   string `json:"ipv6Address"`
			AccessConfigs []struct {
				NatIP               string `json:"natIP"`
				PublicPtrDomainName string `json:"publicPtrDomainName"`
			} `json:"accessConfigs"`
			Ipv6AccessConfigs []struct {
				ExternalIpv6 string `json:"externalIpv6"`
			} `json:"ipv6AccessConfigs"`
		} `json:"networkInterfaces"`
		Disks []struct {
			Boot            bool     `json:"boot"`
			Licenses        []string `json:"licenses"`
			GuestOsFeatures []struct {
				Type string `json:"type"`
			} `json:"guestOsFeatures"`
		} `json:"disks"`
	}

	gcpFirewall struct {
		Name                  string        `json:"name"`
		SelfLink              string        `json:"selfLink"`
		Network               string        `json:"network"`
		Direction             string        `json:"direction"`
		Priority              *int          `json:"priority"`
		Disabled              bool          `json:"disabled"`
		SourceRanges          []string      `json:"sourceRanges"`
		SourceTags            []string      `json:"sourceTags"`
		SourceServiceAccounts []string      `json:"sourceServiceAccounts"`
		TargetTags            []string      `json:"targetTags"`
		TargetServiceAccounts []string      `json:"targetServiceAccounts"`
		Allowed               []gcpProtocol `json:"allowed"`
		Denied                []gcpProtocol `json:"denied"`
	}
	gcpProtocol struct {
		IPProtocol string   `json:"IPProtocol"`
		Ports      []string `json:"ports"`
	}
)

// gcpState is what GCP files described.
type gcpState struct {
	instances []gcpRec
	firewalls map[string]gcpFirewallRec
	policies  []gcpPolicyRec // firewall policies from get-effective-firewalls, in file order
	fwFiles   int
}

type gcpRec struct {
	built
	networks        []string // normalised network path of each NIC
	tags            []string // network tags
	serviceAccounts []string
}

type gcpFirewallRec struct {
	name          string
	network       string
	priority      int
	deny          bool
	disabled      bool
	ingress       bool
	rules         []orderedRule
	targetTags    []string
	targetAccount []string
}

// gcpPath reduces a compute URL to its path from "projects/", so that full URLs and partial
// paths compare equal.
func gcpPath(u string) string {
	if i := strings.Index(u, "projects/"); i >= 0 {
		return u[i:]
	}
	return u
}

func sameNetwork(a, b string) bool {
	a, b = gcpPath(a), gcpPath(b)
	if strings.HasPrefix(a, "projects/") && strings.HasPrefix(b, "projects/") {
		return a == b
	}
	return lastSegment(a) == lastSegment(b)
}

// gcpDecodeList decodes the three list layouts into elements and their JSON paths.
func gcpDecodeList[T any](doc *jsonDoc, layout int, scopeKey string) ([]T, []jpath, error) {
	var items []T
	var paths []jpath
	switch layout {
	case layoutArray:
		if err := doc.decode(&items); err != nil {
			return nil, nil, err
		}
		for i := range items {
			paths = append(paths, jpath{i})
		}
	case layoutItems:
		var d struct {
			Items []T `json:"items"`
		}
		if err := doc.decode(&d); err != nil {
			return nil, nil, err
		}
		items = d.Items
		for i := range items {
			paths = append(paths, jpath{"items", i})
		}
	case layoutAggregated:
		// Scopes without instances carry {"warning": {...}} instead, so each scope is read
		// as raw keys first.
		var d struct {
			Items map[string]map[string]json.RawMessage `json:"items"`
		}
		if err := doc.decode(&d); err != nil {
			return nil, nil, err
		}
		for _, scope := range sortedKeys(d.Items) {
			raw, ok := d.Items[scope][scopeKey]
			if !ok {
				continue
			}
			var list []T
			if err := doc.decodeAt(jpath{"items", scope, scopeKey}, raw, &list); err != nil {
				return nil, nil, err
			}
			for i, it := range list {
				items = append(items, it)
				paths = append(paths, jpath{"items", scope, scopeKey, i})
			}
		}
	}
	return items, paths, nil
}

func (s *gcpState) addInstances(doc *jsonDoc, layout, seq int, sum *FileSummary) error {
	items, paths, err := gcpDecodeList[gcpInstance](doc, layout, "instances")
	if err != nil {
		return err
	}
	var recs []gcpRec
	for i, in := range items {
		rec, err := gcpAsset(doc, paths[i], in)
		if err != nil {
			return err
		}
		rec.seq = seq
		recs = append(recs, rec)
	}
	s.instances = append(s.instances, recs...)
	sum.Assets = len(recs)
	return nil
}

func gcpAsset(doc *jsonDoc, path jpath, in gcpInstance) (gcpRec, error) {
	id, ok := rawString(in.ID)
	if !ok {
		return gcpRec{}, doc.errAt(path.at("id"), ErrValue, "expected the instance id as a string of digits")
	}
	if id == "" {
		return gcpRec{}, doc.missing(path.at("id"), "the instance id, a string of digits")
	}
	a := riskmap.Asset{ID: id, Provider: "gcp", Kind: riskmap.KindVM, Region: lastSegment(in.Zone),
		State: in.Status, Image: lastSegment(in.SourceMachineImage)}
	for _, link := range []string{in.SelfLink, in.Zone} {
		if a.Account == "" {
			a.Account = armPart(gcpPath(link), "projects")
		}
	}
	if in.CreationTimestamp != "" {
		t, ok := parseTime(in.CreationTimestamp)
		if !ok {
			return gcpRec{}, doc.errAt(path.at("creationTimestamp"), ErrValue, "expected an RFC 3339 time, got %q", in.CreationTimestamp)
		}
		a.LaunchedAt = t
	}
	a.Tags = tagsFromMap(in.Labels)
	rec := gcpRec{}
	if in.Tags != nil && len(in.Tags.Items) > 0 {
		rec.tags = in.Tags.Items
		a.Tags = append(a.Tags, riskmap.Tag{Key: "gcp:network-tags", Value: strings.Join(in.Tags.Items, ",")})
		sortTags(a.Tags)
	}
	if in.Metadata != nil {
		for _, m := range in.Metadata.Items {
			if m.Key == "created-by" && m.Value != nil {
				a.Group = *m.Value
			}
		}
	}
	for _, sa := range in.ServiceAccounts {
		rec.serviceAccounts = appendUnique(rec.serviceAccounts, sa.Email)
	}
	a.DNSNames = appendUnique(a.DNSNames, in.Hostname)
	ips := ipCollector{doc: doc}
	for ni, n := range in.NetworkInterfaces {
		np := path.at("networkInterfaces", ni)
		if n.Network == "" {
			return gcpRec{}, doc.missing(np.at("network"), "the network URL")
		}
		rec.networks = append(rec.networks, n.Network)
		if a.Network == "" {
			a.Network, a.Subnet = gcpPath(n.Network), gcpPath(n.Subnetwork)
		}
		ips.private(np.at("networkIP"), n.NetworkIP)
		ips.auto(np.at("ipv6Address"), n.Ipv6Address)
		for ci, c := range n.AccessConfigs {
			ips.public(np.at("accessConfigs", ci, "natIP"), c.NatIP)
			a.DNSNames = appendUnique(a.DNSNames, strings.TrimSuffix(c.PublicPtrDomainName, "."))
		}
		for ci, c := range n.Ipv6AccessConfigs {
			ips.public(np.at("ipv6AccessConfigs", ci, "externalIpv6"), c.ExternalIpv6)
		}
	}
	if ips.err != nil {
		return gcpRec{}, ips.err
	}
	a.PrivateIPs, a.PublicIPs = ips.priv, ips.pub
	for _, d := range in.Disks {
		if !d.Boot {
			continue
		}
		for _, f := range d.GuestOsFeatures {
			if f.Type == "WINDOWS" {
				a.OSFamily = "windows"
			}
		}
		for _, l := range d.Licenses {
			if a.OSFamily == "" {
				a.OSFamily = gcpLicenseFamily(l)
			}
			if a.Image == "" {
				a.Image = lastSegment(l)
			}
		}
	}
	rec.built = built{asset: a, file: doc.file}
	return rec, nil
}

// gcpLicenseFamily maps the project of a public image's license to an OS family.
func gcpLicenseFamily(license string) string {
	project := armPart(gcpPath(license), "projects")
	switch {
	case strings.HasPrefix(project, "windows-"):
		return "windows"
	case project == "":
		return ""
	}
	for _, p := range []string{"debian-", "ubuntu-", "centos-", "rhel-", "rocky-linux-", "almalinux-",
		"suse-", "opensuse-", "oracle-linux-", "cos-", "fedora-"} {
		if strings.HasPrefix(project, p) {
			return "linux"
		}
	}
	return ""
}
