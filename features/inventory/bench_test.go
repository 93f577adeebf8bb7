package inventory_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/features/inventory"
)

// BenchmarkAWS imports a describe-instances page of 5,000 instances over 200 security groups
// and reports assets resolved per second.
func BenchmarkAWS(b *testing.B) {
	const nInst, nGroups = 5000, 200
	var inst, groups strings.Builder
	inst.WriteString(`{"Reservations": [{"OwnerId": "123456789012", "Instances": [`)
	for i := range nInst {
		if i > 0 {
			inst.WriteByte(',')
		}
		fmt.Fprintf(&inst, `{"InstanceId": "i-%08x", "PrivateIpAddress": "10.%d.%d.%d", "State": {"Name": "running"},
			"SecurityGroups": [{"GroupId": "sg-%04d"}, {"GroupId": "sg-%04d"}]}`,
			i, i>>16&255, i>>8&255, i&255, i%nGroups, (i*7)%nGroups)
	}
	inst.WriteString(`]}]}`)
	groups.WriteString(`{"SecurityGroups": [`)
	for g := range nGroups {
		if g > 0 {
			groups.WriteByte(',')
		}
		fmt.Fprintf(&groups, `{"GroupId": "sg-%04d", "IpPermissions": [
			{"IpProtocol": "tcp", "FromPort": %d, "ToPort": %d, "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}]},
			{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-%04d"}]}]}`, g, 8000+g, 8000+g+g%5, g)
	}
	groups.WriteString(`]}`)
	instData, groupData := []byte(inst.String()), []byte(groups.String())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		im := inventory.Importer{Provider: "aws", SnapshotTime: snapshot}
		if _, err := im.Add("instances.json", instData); err != nil {
			b.Fatal(err)
		}
		if _, err := im.Add("groups.json", groupData); err != nil {
			b.Fatal(err)
		}
		assets, _, err := im.Assets()
		if err != nil || len(assets) != nInst {
			b.Fatalf("%d assets, %v", len(assets), err)
		}
	}
	b.ReportMetric(float64(nInst*b.N)/b.Elapsed().Seconds(), "assets/s")
}
