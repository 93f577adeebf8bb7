package estate_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets/estate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// describeInstances is the shape `aws ec2 describe-instances` prints, as much as the test reads.
type describeInstances struct {
	Reservations []struct {
		OwnerID       string `json:"OwnerId"`
		ReservationID string `json:"ReservationId"`
		Groups        []any  `json:"Groups"`
		Instances     []struct {
			InstanceID       string `json:"InstanceId"`
			ImageID          string `json:"ImageId"`
			InstanceType     string `json:"InstanceType"`
			LaunchTime       string `json:"LaunchTime"`
			PrivateIPAddress string `json:"PrivateIpAddress"`
			PublicIPAddress  string `json:"PublicIpAddress"`
			VpcID            string `json:"VpcId"`
			SubnetID         string `json:"SubnetId"`
			PlatformDetails  string `json:"PlatformDetails"`
			State            struct {
				Code int    `json:"Code"`
				Name string `json:"Name"`
			} `json:"State"`
			Placement struct {
				AvailabilityZone string `json:"AvailabilityZone"`
			} `json:"Placement"`
			Tags []struct {
				Key   string `json:"Key"`
				Value string `json:"Value"`
			} `json:"Tags"`
			SecurityGroups []struct {
				GroupName string `json:"GroupName"`
				GroupID   string `json:"GroupId"`
			} `json:"SecurityGroups"`
			NetworkInterfaces []struct {
				PrivateIPAddress string `json:"PrivateIpAddress"`
				Association      *struct {
					PublicIP string `json:"PublicIp"`
				} `json:"Association"`
				Groups []struct {
					GroupID string `json:"GroupId"`
				} `json:"Groups"`
			} `json:"NetworkInterfaces"`
		} `json:"Instances"`
	} `json:"Reservations"`
}

type describeSecurityGroups struct {
	SecurityGroups []struct {
		GroupID       string `json:"GroupId"`
		GroupName     string `json:"GroupName"`
		VpcID         string `json:"VpcId"`
		OwnerID       string `json:"OwnerId"`
		IPPermissions []struct {
			IPProtocol string `json:"IpProtocol"`
			FromPort   *int   `json:"FromPort"`
			ToPort     *int   `json:"ToPort"`
			IPRanges   []struct {
				CidrIP string `json:"CidrIp"`
			} `json:"IpRanges"`
			UserIDGroupPairs []struct {
				GroupID string `json:"GroupId"`
				UserID  string `json:"UserId"`
			} `json:"UserIdGroupPairs"`
		} `json:"IpPermissions"`
		IPPermissionsEgress []any `json:"IpPermissionsEgress"`
	} `json:"SecurityGroups"`
}

var (
	instanceID = regexp.MustCompile(`^i-0[0-9a-f]{16}$`)
	sgID       = regexp.MustCompile(`^sg-0[0-9a-f]{16}$`)
	cliTime    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`)
)

func TestWriteAWSParsesBack(t *testing.T) {
	e := estate.Generate(estate.DefaultConfig()).Advance()
	var ib, sb bytes.Buffer
	if err := e.WriteAWS(&ib, &sb); err != nil {
		t.Fatal(err)
	}
	var di describeInstances
	if err := json.Unmarshal(ib.Bytes(), &di); err != nil {
		t.Fatalf("describe-instances: %v", err)
	}
	var ds describeSecurityGroups
	if err := json.Unmarshal(sb.Bytes(), &ds); err != nil {
		t.Fatalf("describe-security-groups: %v", err)
	}
	if got, want := len(di.Reservations), len(e.Instances)+len(e.Terminated); got != want {
		t.Fatalf("%d reservations, want %d (running %d + terminated %d)", got, want, len(e.Instances), len(e.Terminated))
	}
	if len(ds.SecurityGroups) != len(e.SecurityGroups) {
		t.Fatalf("%d security groups, want %d", len(ds.SecurityGroups), len(e.SecurityGroups))
	}
	sgs := map[string]bool{}
	for _, sg := range ds.SecurityGroups {
		if !sgID.MatchString(sg.GroupID) || sg.VpcID == "" || len(sg.OwnerID) != 12 || len(sg.IPPermissionsEgress) != 1 {
			t.Fatalf("security group shape: %+v", sg)
		}
		sgs[sg.GroupID] = true
		for _, p := range sg.IPPermissions {
			if (p.IPProtocol == "-1") != (p.FromPort == nil) || len(p.IPRanges)+len(p.UserIDGroupPairs) == 0 {
				t.Fatalf("%s: permission shape %+v", sg.GroupID, p)
			}
		}
	}
	running := byID(e)
	states := map[string]int{}
	for _, r := range di.Reservations {
		if len(r.Instances) != 1 || r.Groups == nil || !strings.HasPrefix(r.ReservationID, "r-") {
			t.Fatalf("reservation shape: %+v", r)
		}
		ai := r.Instances[0]
		states[ai.State.Name]++
		if !instanceID.MatchString(ai.InstanceID) || !cliTime.MatchString(ai.LaunchTime) || !strings.HasPrefix(ai.ImageID, "ami-") {
			t.Fatalf("instance shape: %+v", ai)
		}
		in, ok := running[ai.InstanceID]
		if !ok {
			if ai.State.Name != "terminated" || ai.State.Code != 48 || ai.PrivateIPAddress != "" || len(ai.NetworkInterfaces) != 0 {
				t.Fatalf("%s: not running, yet not shown terminated: %+v", ai.InstanceID, ai)
			}
			continue
		}
		if ai.State.Name != "running" || ai.State.Code != 16 || r.OwnerID != in.Account {
			t.Fatalf("%s: state %+v owner %s", ai.InstanceID, ai.State, r.OwnerID)
		}
		if ai.PrivateIPAddress != in.LabIP || ai.PublicIPAddress != in.PublicIP || ai.VpcID != in.VPC || ai.SubnetID != in.Subnet ||
			ai.Placement.AvailabilityZone != in.AZ {
			t.Fatalf("%s: addresses or placement differ from the estate: %+v", ai.InstanceID, ai)
		}
		if len(ai.NetworkInterfaces) != 1 || ai.NetworkInterfaces[0].PrivateIPAddress != in.LabIP ||
			(ai.NetworkInterfaces[0].Association != nil) != (in.PublicIP != "") {
			t.Fatalf("%s: network interface %+v", ai.InstanceID, ai.NetworkInterfaces)
		}
		var got []string
		for _, g := range ai.SecurityGroups {
			if !sgs[g.GroupID] || g.GroupName == "" {
				t.Fatalf("%s: security group %+v not described", ai.InstanceID, g)
			}
			got = append(got, g.GroupID)
		}
		if !slices.Equal(got, in.SecurityGroups) {
			t.Fatalf("%s: security groups %v, want %v", ai.InstanceID, got, in.SecurityGroups)
		}
		tags := map[string]string{}
		for _, tg := range ai.Tags {
			tags[tg.Key] = tg.Value
		}
		if tags["aws:autoscaling:groupName"] != in.Group || tags["env"] != in.Tags["env"] || tags["Name"] == "" {
			t.Fatalf("%s: tags %v for group %q", ai.InstanceID, tags, in.Group)
		}
		if want := map[string]string{"linux": "Linux/UNIX", "windows": "Windows"}[in.Platform]; ai.PlatformDetails != want {
			t.Fatalf("%s: PlatformDetails %q, want %q", ai.InstanceID, ai.PlatformDetails, want)
		}
	}
	if states["running"] != len(e.Instances) || states["terminated"] != len(e.Terminated) || len(e.Terminated) == 0 {
		t.Fatalf("states %v, want %d running and %d (> 0) terminated", states, len(e.Instances), len(e.Terminated))
	}
}

// TestWriteAWSGolden pins the exact bytes for a small estate: the AWS CLI's key order, indent
// and timestamp format. Refresh with go test -run Golden -update after a deliberate change.
func TestWriteAWSGolden(t *testing.T) {
	cfg := estate.DefaultConfig()
	cfg.Seed, cfg.Hosts, cfg.Accounts, cfg.VPCs = 42, 8, 1, 1
	e := estate.Generate(cfg).Advance()
	var ib, sb bytes.Buffer
	if err := e.WriteAWS(&ib, &sb); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"describe-instances.json": ib.Bytes(), "describe-security-groups.json": sb.Bytes()} {
		path := filepath.Join("testdata", "small", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (run with -update if the change is meant)", path)
		}
	}
}
