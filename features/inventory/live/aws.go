package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/riskmap/riskmap"
)

// awsRegionWorkers is how many regions are read at once; each has its own token bucket.
const awsRegionWorkers = 4

// fetchAWS lists instances, security groups and network interfaces in every region, with
// read-only Describe* calls through the SDK's paginators.
func (s *Syncer) fetchAWS(ctx context.Context, cfg Config, lim *limiter) (fetched, error) {
	base, err := s.awsConfig(ctx, cfg)
	if err != nil {
		return fetched{}, err
	}
	if s.Transport == nil && base.HTTPClient != nil {
		// EC2 requests go out through the SDK's own client (which carries AWS_CA_BUNDLE and
		// the SDK's transport settings) under riskmap's limiter.
		lim.base = doer{base.HTTPClient}
	}
	regions := cfg.Regions
	if len(regions) == 0 {
		if base.Region == "" {
			base.Region = "us-east-1"
		}
		c := s.ec2Client(base, cfg, lim, base.Region)
		out, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if err != nil {
			return fetched{scopes: []Scope{{Scope: base.Region}}}, fmt.Errorf("DescribeRegions in %s: %w", base.Region, err)
		}
		for _, r := range out.Regions {
			regions = append(regions, aws.ToString(r.RegionName))
		}
		sort.Strings(regions)
		s.progress("aws: %d enabled regions", len(regions))
	}
	results := make([]awsRegion, len(regions))
	errs := make([]error, len(regions))
	sem := make(chan struct{}, awsRegionWorkers)
	var wg sync.WaitGroup
	for i, r := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = s.awsRegion(ctx, s.ec2Client(base, cfg, lim, r), cfg, r)
		}()
	}
	wg.Wait()
	f := fetched{kinds: map[string]string{}}
	for i, r := range results {
		f.scopes = append(f.scopes, r.scope)
		if errs[i] != nil {
			continue
		}
		f.docs = append(f.docs, r.docs...)
		for k, v := range r.kinds {
			f.kinds[k] = v
		}
	}
	return f, errors.Join(errs...)
}

// awsConfig loads the SDK's configuration: the default credential chain or a profile, and
// an assumed role on top when RoleARN is set.
func (s *Syncer) awsConfig(ctx context.Context, cfg Config) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return awsRetryer(cfg) }),
	}
	if len(cfg.Regions) > 0 {
		opts = append(opts, config.WithRegion(cfg.Regions[0]))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if p, ok := s.Credentials.(aws.CredentialsProvider); ok {
		opts = append(opts, config.WithCredentialsProvider(p))
	}
	ac, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws credentials: %w", err)
	}
	if s.Transport != nil {
		// STS, SSO and the other credential calls use the caller's transport too, outside
		// the EC2 rate limit.
		ac.HTTPClient = &http.Client{Transport: s.Transport}
	}
	if cfg.RoleARN != "" {
		if ac.Region == "" {
			ac.Region = "us-east-1"
		}
		stsc := sts.NewFromConfig(ac)
		ac.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "riskmap-inventory-sync"
			if cfg.ExternalID != "" {
				o.ExternalID = aws.String(cfg.ExternalID)
			}
		}))
	}
	return ac, nil
}

// doer adapts the SDK's HTTP client to a RoundTripper.
type doer struct{ c aws.HTTPClient }

func (d doer) RoundTrip(r *http.Request) (*http.Response, error) { return d.c.Do(r) }

// awsRetryer is the SDK's standard retryer (exponential backoff with full jitter; it
// retries RequestLimitExceeded and the other throttling codes) with riskmap's attempts and
// cap, and without the client-side retry quota: a long throttled sync would otherwise run
// out of retry tokens and fail, where it should slow down and go on.
func awsRetryer(cfg Config) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = cfg.MaxAttempts
		o.MaxBackoff = cfg.MaxBackoff
		o.Backoff = retry.NewExponentialJitterBackoff(cfg.MaxBackoff)
		o.RateLimiter = ratelimit.None
	})
}

func (s *Syncer) ec2Client(base aws.Config, cfg Config, lim *limiter, region string) *ec2.Client {
	return ec2.NewFromConfig(base, func(o *ec2.Options) {
		o.Region = region
		o.HTTPClient = lim.client("aws/" + region)
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
}

type awsRegion struct {
	scope Scope
	docs  []Doc
	kinds map[string]string
}

// awsRegion reads one region. The documents it makes are what `aws ec2 describe-instances`
// and `aws ec2 describe-security-groups` print for the region (the SDK's types marshal to
// the CLI's keys), plus the in-use network interfaces of other resources written as
// instances.
func (s *Syncer) awsRegion(ctx context.Context, c *ec2.Client, cfg Config, region string) (awsRegion, error) {
	start := time.Now()
	out := awsRegion{scope: Scope{Scope: region}, kinds: map[string]string{}}
	defer func() { out.scope.Elapsed = Duration(time.Since(start)) }()
	var max *int32
	if cfg.PageSize >= 5 {
		max = aws.Int32(int32(cfg.PageSize))
	}

	// Each page's reservations are written as JSON right away, so that the SDK's structs of
	// a large account (most of their fields empty) are not all held at once.
	type rawRes struct {
		id  string
		doc json.RawMessage
	}
	var reservations []rawRes
	ip := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: max})
	for page := 1; ip.HasMorePages(); page++ {
		o, err := ip.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("DescribeInstances in %s, page %d: %w", region, page, err)
		}
		for _, r := range o.Reservations {
			b, err := json.Marshal(r)
			if err != nil {
				return out, fmt.Errorf("DescribeInstances in %s, page %d: %w", region, page, err)
			}
			reservations = append(reservations, rawRes{aws.ToString(r.ReservationId), b})
			out.scope.Instances += len(r.Instances)
		}
		s.progress("aws %s: DescribeInstances page %d, %d instances so far", region, page, out.scope.Instances)
	}

	var groups []types.SecurityGroup
	gp := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{MaxResults: max})
	for page := 1; gp.HasMorePages(); page++ {
		o, err := gp.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("DescribeSecurityGroups in %s, page %d: %w", region, page, err)
		}
		groups = append(groups, o.SecurityGroups...)
	}
	out.scope.Rules = len(groups)

	var others []types.Reservation
	np := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: max})
	for page := 1; np.HasMorePages(); page++ {
		o, err := np.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("DescribeNetworkInterfaces in %s, page %d: %w", region, page, err)
		}
		for _, n := range o.NetworkInterfaces {
			if in, kind, ok := eniAsInstance(n); ok {
				others = append(others, types.Reservation{OwnerId: n.OwnerId, Instances: []types.Instance{in}})
				out.kinds[aws.ToString(n.NetworkInterfaceId)] = kind
			}
		}
	}
	out.scope.Other = len(others)
	s.progress("aws %s: %d instances, %d security groups, %d other network interfaces",
		region, out.scope.Instances, len(groups), len(others))

	sort.SliceStable(reservations, func(i, j int) bool { return reservations[i].id < reservations[j].id })
	resDocs := make([]json.RawMessage, len(reservations))
	for i, r := range reservations {
		resDocs[i] = r.doc
	}
	sort.SliceStable(groups, func(i, j int) bool { return aws.ToString(groups[i].GroupId) < aws.ToString(groups[j].GroupId) })
	for _, d := range []struct {
		name string
		n    int
		v    any
	}{
		{"describe-instances", len(resDocs), map[string]any{"Reservations": resDocs}},
		{"describe-security-groups", len(groups), map[string]any{"SecurityGroups": groups}},
		{"network-interfaces", len(others), map[string]any{"Reservations": others}},
	} {
		if d.n == 0 {
			continue
		}
		b, err := json.Marshal(d.v)
		if err != nil {
			return out, fmt.Errorf("%s in %s: %w", d.name, region, err)
		}
		out.docs = append(out.docs, Doc{Name: "aws/" + region + "/" + d.name + ".json", Data: b})
	}
	return out, nil
}

// eniAsInstance writes a network interface that no instance owns (a load balancer's, a NAT
// gateway's, a Lambda function's...) as an instance, so that the importer maps its
// addresses and security groups as it does an instance's. Interfaces of instances are
// already in DescribeInstances; detached ones ("available") receive no traffic.
func eniAsInstance(n types.NetworkInterface) (types.Instance, string, bool) {
	if n.Attachment != nil && aws.ToString(n.Attachment.InstanceId) != "" {
		return types.Instance{}, "", false
	}
	if n.Status == types.NetworkInterfaceStatusAvailable || aws.ToString(n.NetworkInterfaceId) == "" {
		return types.Instance{}, "", false
	}
	nic := types.InstanceNetworkInterface{
		NetworkInterfaceId: n.NetworkInterfaceId, PrivateIpAddress: n.PrivateIpAddress,
		PrivateDnsName: n.PrivateDnsName, SubnetId: n.SubnetId, VpcId: n.VpcId, Groups: n.Groups,
	}
	if a := n.Association; a != nil {
		nic.Association = &types.InstanceNetworkInterfaceAssociation{PublicIp: a.PublicIp, PublicDnsName: a.PublicDnsName}
	}
	for _, p := range n.PrivateIpAddresses {
		pp := types.InstancePrivateIpAddress{PrivateIpAddress: p.PrivateIpAddress, PrivateDnsName: p.PrivateDnsName}
		if a := p.Association; a != nil {
			pp.Association = &types.InstanceNetworkInterfaceAssociation{PublicIp: a.PublicIp, PublicDnsName: a.PublicDnsName}
		}
		nic.PrivateIpAddresses = append(nic.PrivateIpAddresses, pp)
	}
	for _, v := range n.Ipv6Addresses {
		nic.Ipv6Addresses = append(nic.Ipv6Addresses, types.InstanceIpv6Address{Ipv6Address: v.Ipv6Address})
	}
	in := types.Instance{
		InstanceId: n.NetworkInterfaceId, State: &types.InstanceState{Name: types.InstanceStateName(n.Status)},
		Placement: &types.Placement{AvailabilityZone: n.AvailabilityZone}, SubnetId: n.SubnetId, VpcId: n.VpcId,
		PrivateIpAddress: n.PrivateIpAddress, PrivateDnsName: n.PrivateDnsName, Tags: n.TagSet,
		NetworkInterfaces: []types.InstanceNetworkInterface{nic},
	}
	return in, eniKind(n), true
}

// eniKind tells what owns an interface from its type and description.
func eniKind(n types.NetworkInterface) string {
	desc := aws.ToString(n.Description)
	switch {
	case strings.Contains(string(n.InterfaceType), "load_balancer") || strings.HasPrefix(desc, "ELB "):
		return riskmap.KindLB
	case n.InterfaceType == types.NetworkInterfaceTypeLambda:
		return riskmap.KindFunction
	case strings.Contains(desc, "RDSNetworkInterface"):
		return riskmap.KindDB
	case strings.HasPrefix(desc, "arn:aws:ecs:"):
		return riskmap.KindContainer
	}
	return riskmap.KindOther
}
