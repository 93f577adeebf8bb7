package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
)

// fetchAzure lists VMs, NICs, public IP addresses and NSGs of every subscription.
func (s *Syncer) fetchAzure(ctx context.Context, cfg Config, lim *limiter) (fetched, error) {
	cred, ok := s.Credentials.(azcore.TokenCredential)
	if !ok {
		c, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return fetched{}, fmt.Errorf("azure credentials: %w", err)
		}
		cred = c
	}
	var f fetched
	var errs []error
	for _, sub := range cfg.Subscriptions {
		docs, sc, err := s.azureSubscription(ctx, cfg, lim, cred, sub)
		f.scopes = append(f.scopes, sc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.docs = append(f.docs, docs...)
	}
	return f, errors.Join(errs...)
}

// azureOptions points the ARM clients at riskmap's rate-limited transport, azcore's retry
// policy (which honours Retry-After and x-ms-retry-after-ms) with riskmap's attempts, and
// Config.Endpoint when set. azcore gives up on a Retry-After longer than MaxRetryDelay, so
// that is the sync's deadline: a throttled sync waits as ARM asks while it has time.
func azureOptions(cfg Config, lim *limiter, sub string) *arm.ClientOptions {
	o := &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Transport: lim.client("azure/" + sub),
		Retry: policy.RetryOptions{
			MaxRetries:    int32(cfg.MaxAttempts - 1),
			RetryDelay:    min(800*time.Millisecond, cfg.MaxBackoff),
			MaxRetryDelay: cfg.Deadline,
		},
	}}
	if cfg.Endpoint != "" {
		o.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: cloud.AzurePublic.ActiveDirectoryAuthorityHost,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: cfg.Endpoint, Audience: cloud.AzurePublic.Services[cloud.ResourceManager].Audience},
			},
		}
	}
	return o
}

// azurePager is the part of azcore's runtime.Pager that listing needs.
type azurePager[T any] interface {
	More() bool
	NextPage(ctx context.Context) (T, error)
}

// listAll reads every page of p, handing each page to add.
func listAll[T any](ctx context.Context, s *Syncer, what, sub string, p azurePager[T], add func(T) int) (int, error) {
	n := 0
	for page := 1; p.More(); page++ {
		r, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("%s in subscription %s, page %d: %w", what, sub, page, err)
		}
		n += add(r)
		s.progress("azure %s: %s page %d, %d so far", sub, what, page, n)
	}
	return n, nil
}

func (s *Syncer) azureSubscription(ctx context.Context, cfg Config, lim *limiter, cred azcore.TokenCredential, sub string) ([]Doc, Scope, error) {
	start := time.Now()
	sc := Scope{Scope: sub}
	defer func() { sc.Elapsed = Duration(time.Since(start)) }()
	opts := azureOptions(cfg, lim, sub)
	vmc, err := armcompute.NewVirtualMachinesClient(sub, cred, opts)
	if err != nil {
		return nil, sc, fmt.Errorf("azure subscription %s: %w", sub, err)
	}
	nicc, err := armnetwork.NewInterfacesClient(sub, cred, opts)
	if err != nil {
		return nil, sc, fmt.Errorf("azure subscription %s: %w", sub, err)
	}
	pipc, err := armnetwork.NewPublicIPAddressesClient(sub, cred, opts)
	if err != nil {
		return nil, sc, fmt.Errorf("azure subscription %s: %w", sub, err)
	}
	nsgc, err := armnetwork.NewSecurityGroupsClient(sub, cred, opts)
	if err != nil {
		return nil, sc, fmt.Errorf("azure subscription %s: %w", sub, err)
	}

	var vms []*armcompute.VirtualMachine
	// statusOnly=true adds each VM's instance view, which holds its power state.
	if sc.Instances, err = listAll(ctx, s, "virtual machines", sub,
		vmc.NewListAllPager(&armcompute.VirtualMachinesClientListAllOptions{StatusOnly: ptr("true")}),
		func(r armcompute.VirtualMachinesClientListAllResponse) int {
			vms = append(vms, r.Value...)
			return len(r.Value)
		}); err != nil {
		return nil, sc, err
	}
	var nics []*armnetwork.Interface
	if _, err = listAll(ctx, s, "network interfaces", sub, nicc.NewListAllPager(nil),
		func(r armnetwork.InterfacesClientListAllResponse) int {
			nics = append(nics, r.Value...)
			return len(r.Value)
		}); err != nil {
		return nil, sc, err
	}
	var pips []*armnetwork.PublicIPAddress
	if _, err = listAll(ctx, s, "public IP addresses", sub, pipc.NewListAllPager(nil),
		func(r armnetwork.PublicIPAddressesClientListAllResponse) int {
			pips = append(pips, r.Value...)
			return len(r.Value)
		}); err != nil {
		return nil, sc, err
	}
	var nsgs []*armnetwork.SecurityGroup
	if sc.Rules, err = listAll(ctx, s, "network security groups", sub, nsgc.NewListAllPager(nil),
		func(r armnetwork.SecurityGroupsClientListAllResponse) int {
			nsgs = append(nsgs, r.Value...)
			return len(r.Value)
		}); err != nil {
		return nil, sc, err
	}
	s.progress("azure %s: %d VMs, %d NICs, %d public IPs, %d NSGs", sub, len(vms), len(nics), len(pips), len(nsgs))
	docs, err := azureDocs(sub, vms, nics, pips, nsgs)
	return docs, sc, err
}

func ptr[T any](v T) *T { return &v }

// azureDocs writes what az prints: `az vm list -d`, `az network nic list` and `az network
// nsg list`. az flattens ARM's "properties" into each object; `-d` adds powerState,
// privateIps, publicIps and fqdns, which az works out from the VM's NICs and their public IP
// addresses, and so does this. The NICs' public IP references are replaced by the public
// IP objects, which carry the address.
func azureDocs(sub string, vms []*armcompute.VirtualMachine, nics []*armnetwork.Interface, pips []*armnetwork.PublicIPAddress, nsgs []*armnetwork.SecurityGroup) ([]Doc, error) {
	pipByID := map[string]map[string]any{}
	for _, p := range pips {
		m, err := flat(p)
		if err != nil {
			return nil, err
		}
		pipByID[strings.ToLower(str(m["id"]))] = m
	}
	type nicAddr struct{ priv, pub, fqdn []string }
	nicByID := map[string]nicAddr{}
	var nicDocs []map[string]any
	for _, n := range nics {
		m, err := flat(n)
		if err != nil {
			return nil, err
		}
		var addr nicAddr
		cfgs, _ := m["ipConfigurations"].([]any)
		for _, c := range cfgs {
			cm, _ := c.(map[string]any)
			if cm == nil {
				continue
			}
			if ip := str(cm["privateIPAddress"]); ip != "" {
				addr.priv = append(addr.priv, ip)
			}
			ref, _ := cm["publicIPAddress"].(map[string]any)
			if ref == nil {
				continue
			}
			if p, ok := pipByID[strings.ToLower(str(ref["id"]))]; ok {
				cm["publicIPAddress"] = p
				if ip := str(p["ipAddress"]); ip != "" {
					addr.pub = append(addr.pub, ip)
				}
				if dns, _ := p["dnsSettings"].(map[string]any); dns != nil && str(dns["fqdn"]) != "" {
					addr.fqdn = append(addr.fqdn, str(dns["fqdn"]))
				}
			}
		}
		nicByID[strings.ToLower(str(m["id"]))] = addr
		nicDocs = append(nicDocs, m)
	}
	var vmDocs []map[string]any
	for _, v := range vms {
		m, err := flat(v)
		if err != nil {
			return nil, err
		}
		var priv, pub, fqdn []string
		if np, _ := m["networkProfile"].(map[string]any); np != nil {
			refs, _ := np["networkInterfaces"].([]any)
			for _, r := range refs {
				rm, _ := r.(map[string]any)
				a := nicByID[strings.ToLower(str(rm["id"]))]
				priv, pub, fqdn = append(priv, a.priv...), append(pub, a.pub...), append(fqdn, a.fqdn...)
			}
		}
		m["privateIps"], m["publicIps"], m["fqdns"] = strings.Join(priv, ","), strings.Join(pub, ","), strings.Join(fqdn, ",")
		if iv, _ := m["instanceView"].(map[string]any); iv != nil {
			sts, _ := iv["statuses"].([]any)
			for _, st := range sts {
				sm, _ := st.(map[string]any)
				if strings.HasPrefix(str(sm["code"]), "PowerState/") {
					m["powerState"] = str(sm["displayStatus"])
				}
			}
		}
		vmDocs = append(vmDocs, m)
	}
	var nsgDocs []map[string]any
	for _, g := range nsgs {
		m, err := flat(g)
		if err != nil {
			return nil, err
		}
		nsgDocs = append(nsgDocs, m)
	}
	var docs []Doc
	for _, d := range []struct {
		name string
		list []map[string]any
	}{{"vm-list-d", vmDocs}, {"nic-list", nicDocs}, {"nsg-list", nsgDocs}} {
		if len(d.list) == 0 {
			continue
		}
		sort.SliceStable(d.list, func(i, j int) bool {
			return strings.ToLower(str(d.list[i]["id"])) < strings.ToLower(str(d.list[j]["id"]))
		})
		b, err := json.Marshal(d.list)
		if err != nil {
			return nil, fmt.Errorf("azure %s: %w", d.name, err)
		}
		docs = append(docs, Doc{Name: "azure/" + sub + "/" + d.name + ".json", Data: b})
	}
	return docs, nil
}

// flat marshals an SDK model to ARM JSON and flattens every "properties" object into its
// parent, as az does.
func flat(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	return flatten(m).(map[string]any), nil
}

func flatten(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = flatten(x)
		}
		if p, ok := t["properties"].(map[string]any); ok {
			delete(t, "properties")
			for k, x := range p {
				if _, clash := t[k]; !clash {
					t[k] = x
				}
			}
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = flatten(x)
		}
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
