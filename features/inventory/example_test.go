package inventory_test

import (
	"fmt"
	"time"

	"github.com/riskmap/riskmap/features/inventory"
)

func Example() {
	instances := []byte(`{"Reservations": [{"OwnerId": "123456789012", "Instances": [{
		"InstanceId": "i-0abc", "PrivateIpAddress": "10.0.0.5", "PublicIpAddress": "54.1.2.3",
		"Placement": {"AvailabilityZone": "us-east-1a"},
		"SecurityGroups": [{"GroupId": "sg-web", "GroupName": "web"}]}]}]}`)
	groups := []byte(`{"SecurityGroups": [{"GroupId": "sg-web", "IpPermissions": [
		{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
		{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-web"}]}]}]}`)

	// Files may come in any order; exposure is resolved when Assets is called.
	im := inventory.Importer{SnapshotTime: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
	for _, f := range []struct {
		name string
		data []byte
	}{{"instances.json", instances}, {"groups.json", groups}} {
		sum, err := im.Add(f.name, f.data)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(sum.File, sum.Shape, sum.Assets, sum.Rules)
	}

	assets, warnings, err := im.Assets()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range assets {
		fmt.Println(a.ID, a.Region, a.PublicIPs, a.InternetExposedPorts)
		for _, e := range a.Exposed {
			fmt.Printf("  %s %d-%d from %s\n", e.Proto, e.FromPort, e.ToPort, e.Source)
		}
	}
	fmt.Println(len(warnings), "warnings")
	// Output:
	// instances.json aws describe-instances 1 0
	// groups.json aws describe-security-groups 0 2
	// i-0abc us-east-1a [54.1.2.3] [443]
	//   all 0-65535 from sg-web
	//   tcp 443-443 from 0.0.0.0/0
	// 0 warnings
}
