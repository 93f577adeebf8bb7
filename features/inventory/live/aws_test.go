package live_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/features/inventory/live/livetest"
)

func awsSyncer(t testing.TB, srv *livetest.EC2Server, cfg live.Config) *live.Syncer {
	url, tr := serve(t, srv)
	cfg.Provider = "aws"
	cfg.Endpoint = url
	return &live.Syncer{Config: cfg, Transport: tr, Now: func() time.Time { return syncTime },
		Credentials: credentials.NewStaticCredentialsProvider("AKIDRISKMAPTEST", "secret", "")}
}

func awsEstate(t testing.TB) *livetest.EC2Server {
	srv := livetest.NewEC2Server("eu-west-1", "us-east-1")
	srv.LoadCLI(t, "us-east-1", testdata+"/aws/describe-instances-v1.json")
	srv.LoadCLI(t, "us-east-1", testdata+"/aws/describe-security-groups.json")
	return srv
}

// The same estate, listed through EC2's API by the real SDK (one reservation or group a
// page, every enabled region) and exported with the CLI, gives the same assets.
func TestAWSSyncMatchesCLIExport(t *testing.T) {
	srv := awsEstate(t)
	res, err := awsSyncer(t, srv, fastRetries(live.DefaultConfig("aws"))).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	want := exportAssets(t, "aws", "aws/describe-instances-v1.json", "aws/describe-security-groups.json")
	sameAssets(t, res.Assets, want)
	if srv.Actions["DescribeRegions"] != 1 {
		t.Errorf("DescribeRegions called %d times, want 1", srv.Actions["DescribeRegions"])
	}
	// 2 reservations and 7 groups one a page in us-east-1, one empty page of each in
	// eu-west-1, plus the ENI listings.
	if got := srv.Actions["DescribeInstances"]; got != 3 {
		t.Errorf("DescribeInstances called %d times, want 3 (2 pages + 1 empty region)", got)
	}
	if got := srv.Actions["DescribeSecurityGroups"]; got != 8 {
		t.Errorf("DescribeSecurityGroups called %d times, want 8", got)
	}
	if res.Total.Calls != srv.Requests || res.Total.Throttles != 0 {
		t.Errorf("counted %+v, server saw %d requests", res.Total, srv.Requests)
	}
	if len(res.Scopes) != 2 || res.Scopes[1].Scope != "us-east-1" || res.Scopes[1].Instances != 3 || res.Scopes[1].Rules != 7 {
		t.Errorf("scopes: %+v", res.Scopes)
	}
	if !res.Changed || len(res.Changes.New) != 3 {
		t.Errorf("first sync: changed %v, new %v", res.Changed, res.Changes.New)
	}
}

// Every other request is throttled with RequestLimitExceeded: the SDK's retryer resends,
// riskmap counts each throttle, and the sync finishes with the same assets.
func TestAWSSyncThrottled(t *testing.T) {
	srv := awsEstate(t)
	srv.Throttle = func(n int) bool { return n%2 == 0 }
	cfg := fastRetries(live.DefaultConfig("aws"))
	cfg.Regions = []string{"us-east-1"}
	res, err := awsSyncer(t, srv, cfg).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	sameAssets(t, res.Assets, exportAssets(t, "aws", "aws/describe-instances-v1.json", "aws/describe-security-groups.json"))
	if res.Total.Throttles == 0 || res.Total.Throttles != srv.Throttled || res.Total.Calls != srv.Requests {
		t.Errorf("counted %+v; server: %d requests, %d throttled", res.Total, srv.Requests, srv.Throttled)
	}
	if srv.Actions["DescribeRegions"] != 0 {
		t.Error("DescribeRegions was called although regions were configured")
	}
}

// A sync that is throttled past its deadline fails (it would otherwise mark live assets
// gone) and says why.
func TestAWSSyncThrottledPastDeadline(t *testing.T) {
	srv := awsEstate(t)
	srv.Throttle = func(int) bool { return true }
	cfg := fastRetries(live.DefaultConfig("aws"))
	cfg.Regions = []string{"us-east-1"}
	cfg.MaxAttempts = 1000
	cfg.Deadline = 300 * time.Millisecond
	res, err := awsSyncer(t, srv, cfg).Sync(context.Background(), live.Ledger{})
	if err == nil {
		t.Fatal("a sync throttled for good succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
		t.Errorf("error %v does not name the deadline", err)
	}
	if res.Total.Throttles < 2 {
		t.Errorf("throttles counted: %d", res.Total.Throttles)
	}
}

// Between two syncs an instance is terminated and its public address is given to another
// instance; a third sync finds nothing new and writes nothing.
func TestAWSSyncGoneAndMoved(t *testing.T) {
	srv := awsEstate(t)
	cfg := fastRetries(live.DefaultConfig("aws"))
	cfg.Regions = []string{"us-east-1"}
	s := awsSyncer(t, srv, cfg)
	first, err := s.Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Edit(func(s *livetest.EC2Server) {
		r0 := s.Reservations["us-east-1"][0].(map[string]any)
		ins := r0["Instances"].([]any)
		r0["Instances"] = ins[1:] // i-0a1b2c3d4e5f60001 is gone
		moved := s.Reservations["us-east-1"][1].(map[string]any)["Instances"].([]any)[0].(map[string]any)
		moved["PublicIpAddress"] = "54.210.10.1"
		nic := moved["NetworkInterfaces"].([]any)[0].(map[string]any)
		nic["Association"] = map[string]any{"PublicIp": "54.210.10.1", "IpOwnerId": "amazon"}
	})
	later := syncTime.Add(time.Hour)
	s.Now = func() time.Time { return later }
	second, err := s.Sync(context.Background(), first.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Changed {
		t.Fatal("second sync: not changed")
	}
	want := live.Changes{
		Gone:        []string{"i-0a1b2c3d4e5f60001"},
		Readdressed: []live.Readdress{{Asset: "i-0a1b2c3d4e5f60003", Old: []string{"10.0.1.30"}, New: []string{"10.0.1.30", "54.210.10.1"}}},
		Moved:       []live.Move{{IP: "54.210.10.1", From: "i-0a1b2c3d4e5f60001", To: "i-0a1b2c3d4e5f60003"}},
	}
	if !reflect.DeepEqual(second.Changes, want) {
		t.Errorf("changes:\n got %+v\nwant %+v", second.Changes, want)
	}
	gone := second.Ledger.Assets["i-0a1b2c3d4e5f60001"]
	if gone.GoneAt == nil || !gone.GoneAt.Equal(later) || !gone.FirstSeen.Equal(syncTime) {
		t.Errorf("gone asset's ledger entry: %+v", gone)
	}
	if got := ids(second.Assets); !reflect.DeepEqual(got, []string{"i-0a1b2c3d4e5f60002", "i-0a1b2c3d4e5f60003"}) {
		t.Errorf("assets after the sync: %v", got)
	}

	third, err := s.Sync(context.Background(), second.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	if third.Changed || !third.Changes.Empty() || third.Fingerprint != second.Fingerprint {
		t.Errorf("unchanged estate: changed %v, changes %+v", third.Changed, third.Changes)
	}
	if third.Ledger.Assets["i-0a1b2c3d4e5f60001"].GoneAt == nil {
		t.Error("the gone asset was forgotten by the next sync")
	}
}

// In-use network interfaces that no instance owns become assets of their own kind, with the
// exposure of their security groups; an instance's interface and a detached one do not.
func TestAWSSyncNetworkInterfaces(t *testing.T) {
	srv := awsEstate(t)
	srv.ENIs["us-east-1"] = []any{
		map[string]any{"NetworkInterfaceId": "eni-0e1b00000000000a1", "Status": "in-use", "InterfaceType": "interface",
			"Description": "ELB app/web/50dc6c495c0c9188", "OwnerId": "123456789012", "AvailabilityZone": "us-east-1a",
			"SubnetId": "subnet-0aa1110000000000a", "VpcId": "vpc-0a1b2c3d", "PrivateIpAddress": "10.0.1.200",
			"Association":        map[string]any{"PublicIp": "54.210.99.9"},
			"Attachment":         map[string]any{"InstanceOwnerId": "amazon-elb", "Status": "attached"},
			"Groups":             []any{map[string]any{"GroupId": "sg-0a11c0ffee0000001", "GroupName": "web"}},
			"PrivateIpAddresses": []any{map[string]any{"PrivateIpAddress": "10.0.1.200", "Primary": true, "Association": map[string]any{"PublicIp": "54.210.99.9"}}}},
		map[string]any{"NetworkInterfaceId": "eni-0e1b00000000000a2", "Status": "in-use", "InterfaceType": "nat_gateway",
			"OwnerId": "123456789012", "AvailabilityZone": "us-east-1a", "PrivateIpAddress": "10.0.1.5"},
		map[string]any{"NetworkInterfaceId": "eni-0e1b00000000000a3", "Status": "in-use", "PrivateIpAddress": "10.0.1.10",
			"Attachment": map[string]any{"InstanceId": "i-0a1b2c3d4e5f60001"}},
		map[string]any{"NetworkInterfaceId": "eni-0e1b00000000000a4", "Status": "available", "PrivateIpAddress": "10.0.1.99"},
	}
	cfg := fastRetries(live.DefaultConfig("aws"))
	cfg.Regions = []string{"us-east-1"}
	res, err := awsSyncer(t, srv, cfg).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]riskmap.Asset{}
	for _, a := range res.Assets {
		byID[a.ID] = a
	}
	if len(res.Assets) != 5 {
		t.Fatalf("assets: %v, want the 3 instances and 2 interfaces", ids(res.Assets))
	}
	lb, nat := byID["eni-0e1b00000000000a1"], byID["eni-0e1b00000000000a2"]
	if lb.Kind != riskmap.KindLB || nat.Kind != riskmap.KindOther || lb.OSFamily != "" {
		t.Errorf("kinds: lb %q (os %q), nat %q", lb.Kind, lb.OSFamily, nat.Kind)
	}
	// sg-0a11c0ffee0000001 ("web") of describe-security-groups.json.
	web := []riskmap.Exposure{{Proto: "tcp", FromPort: 80, ToPort: 80, Source: "0.0.0.0/0"}, {Proto: "tcp", FromPort: 80, ToPort: 80, Source: "::/0"},
		{Proto: "tcp", FromPort: 443, ToPort: 443, Source: "0.0.0.0/0"}, {Proto: "tcp", FromPort: 443, ToPort: 443, Source: "::/0"},
		{Proto: "tcp", FromPort: 8080, ToPort: 8080, Source: "sg-0a11c0ffee0000008"}}
	if !reflect.DeepEqual(lb.PublicIPs, []string{"54.210.99.9"}) || !reflect.DeepEqual(lb.Exposed, web) {
		t.Errorf("load balancer interface: public %v, exposed %v", lb.PublicIPs, lb.Exposed)
	}
	if res.Scopes[0].Other != 2 {
		t.Errorf("scope counts other=%d, want 2", res.Scopes[0].Other)
	}
}

// With role_arn, the default chain's credentials (here the environment's) assume the role
// through STS (its endpoint from AWS_ENDPOINT_URL_STS, the SDK's standard override), and
// every Describe call is signed with the role's temporary key.
func TestAWSSyncAssumesRole(t *testing.T) {
	srv := awsEstate(t)
	srv.RoleARN = "arn:aws:iam::123456789012:role/riskmap-read"
	srv.AccessKeyID = "ASIARISKMAPROLE"
	url, tr := serve(t, srv)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDRISKMAPTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL_STS", url)
	cfg := fastRetries(live.DefaultConfig("aws"))
	cfg.Regions, cfg.Endpoint, cfg.RoleARN = []string{"us-east-1"}, url, srv.RoleARN
	res, err := (&live.Syncer{Config: cfg, Transport: tr, Now: func() time.Time { return syncTime }}).Sync(context.Background(), live.Ledger{})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Actions["AssumeRole"] != 1 || res.AssetCount != 3 {
		t.Errorf("AssumeRole called %d times, %d assets", srv.Actions["AssumeRole"], res.AssetCount)
	}
}
