package live_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/riskmap/riskmap/features/inventory"
	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/features/inventory/live/livetest"
)

// benchEstate is an AWS account of n instances (one a reservation, in 50 subnets, each with
// one of 200 security groups and a public address on every fourth), in the CLI's keys.
func benchEstate(n int) (reservations, groups []any) {
	for g := 0; g < 200; g++ {
		groups = append(groups, map[string]any{"GroupId": fmt.Sprintf("sg-%017x", g), "GroupName": fmt.Sprintf("g%d", g),
			"IpPermissions": []any{
				map[string]any{"IpProtocol": "tcp", "FromPort": 22.0, "ToPort": 22.0, "IpRanges": []any{map[string]any{"CidrIp": "10.0.0.0/8"}}},
				map[string]any{"IpProtocol": "tcp", "FromPort": float64(8000 + g), "ToPort": float64(8000 + g), "IpRanges": []any{map[string]any{"CidrIp": "0.0.0.0/0"}}},
			}})
	}
	for i := 0; i < n; i++ {
		priv := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		sg := []any{map[string]any{"GroupId": fmt.Sprintf("sg-%017x", i%200), "GroupName": fmt.Sprintf("g%d", i%200)}}
		nic := map[string]any{"NetworkInterfaceId": fmt.Sprintf("eni-%017x", i), "PrivateIpAddress": priv,
			"SubnetId": fmt.Sprintf("subnet-%017x", i%50), "VpcId": "vpc-0bench", "Groups": sg,
			"PrivateIpAddresses": []any{map[string]any{"PrivateIpAddress": priv, "Primary": true}}}
		in := map[string]any{"InstanceId": fmt.Sprintf("i-%017x", i), "ImageId": "ami-0bench", "InstanceType": "t3.micro",
			"State": map[string]any{"Code": 16.0, "Name": "running"}, "PrivateIpAddress": priv,
			"Placement": map[string]any{"AvailabilityZone": "us-east-1a"}, "SubnetId": nic["SubnetId"], "VpcId": "vpc-0bench",
			"LaunchTime": "2026-01-02T03:04:05.000Z", "SecurityGroups": sg, "NetworkInterfaces": []any{nic},
			"Tags": []any{map[string]any{"Key": "Name", "Value": fmt.Sprintf("web-%d", i)}, map[string]any{"Key": "env", "Value": "prod"}}}
		if i%4 == 0 {
			pub := fmt.Sprintf("54.%d.%d.%d", i>>16&255, i>>8&255, i&255)
			in["PublicIpAddress"] = pub
			nic["Association"] = map[string]any{"PublicIp": pub}
		}
		reservations = append(reservations, map[string]any{"ReservationId": fmt.Sprintf("r-%017x", i), "OwnerId": "123456789012",
			"Instances": []any{in}})
	}
	return reservations, groups
}

// peakRSS is the process's peak resident set (VmHWM) in MiB.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func benchInstances() int {
	if n, err := strconv.Atoi(os.Getenv("RISKMAP_BENCH_INSTANCES")); err == nil && n > 0 {
		return n
	}
	return 50000
}

// BenchmarkAWSSync syncs one region of a 50,000-instance account (RISKMAP_BENCH_INSTANCES)
// from an EC2 Query API server, 1,000 instances a page, with every tenth request throttled
// (RequestLimitExceeded): at riskmap's default rate (10 requests/s, burst 20) and
// unlimited, against the peer, the export importer reading the same estate as one
// `aws ec2 describe-instances` file.
func BenchmarkAWSSync(b *testing.B) {
	n := benchInstances()
	reservations, groups := benchEstate(n)
	srv := livetest.NewEC2Server("us-east-1")
	srv.Reservations["us-east-1"], srv.Groups["us-east-1"] = reservations, groups
	srv.Throttle = func(k int) bool { return k%10 == 0 }
	hs := httptest.NewServer(srv)
	defer hs.Close()
	cliDoc, _ := json.Marshal(map[string]any{"Reservations": reservations})
	cliGroups, _ := json.Marshal(map[string]any{"SecurityGroups": groups})

	for _, tc := range []struct {
		name string
		rate float64
	}{{"default-rate", live.DefaultRate}, {"unlimited", 1e6}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := live.DefaultConfig("aws")
			cfg.Regions, cfg.Endpoint, cfg.PageSize, cfg.Rate = []string{"us-east-1"}, hs.URL, 1000, tc.rate
			cfg.MaxBackoff = 50 * time.Millisecond
			s := &live.Syncer{Config: cfg, Credentials: credentials.NewStaticCredentialsProvider("AKIDRISKMAPTEST", "secret", "")}
			var res live.Result
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = s.Sync(context.Background(), live.Ledger{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if res.AssetCount != n {
				b.Fatalf("synced %d assets, want %d", res.AssetCount, n)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sync")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "instances/s")
			b.ReportMetric(float64(res.Total.Calls), "api-calls")
			b.ReportMetric(float64(res.Total.Throttles), "throttles")
			b.ReportMetric(peakRSS(), "peak-RSS-MiB")
		})
	}
	b.Run("peer=export-import", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			im := &inventory.Importer{Provider: "aws", SnapshotTime: syncTime}
			if _, err := im.Add("describe-instances.json", cliDoc); err != nil {
				b.Fatal(err)
			}
			if _, err := im.Add("describe-security-groups.json", cliGroups); err != nil {
				b.Fatal(err)
			}
			assets, _, err := im.Assets()
			if err != nil || len(assets) != n {
				b.Fatalf("%d assets, %v", len(assets), err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sync")
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "instances/s")
		b.ReportMetric(peakRSS(), "peak-RSS-MiB")
	})
}
