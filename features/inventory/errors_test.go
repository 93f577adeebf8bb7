package inventory_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/features/inventory"
)

// TestBadInput checks that bad input fails with the right sentinel and a message that names
// the file, the position (line:column) and the field.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name     string
		provider string
		file     string
		data     string
		want     error
		contains []string
	}{
		{name: "not json", file: "ec2.json", data: "{\n  \"Reservations\": [\n    }\n",
			want: inventory.ErrSyntax, contains: []string{"ec2.json:3:5:", "invalid character"}},
		{name: "truncated json", file: "ec2.json", data: "{\"Reservations\": [{\"Instances\": [",
			want: inventory.ErrSyntax, contains: []string{"ec2.json:1:", "unexpected end"}},
		{name: "neither json nor csv", file: "notes.txt", data: "hello\nworld\n",
			want: inventory.ErrSyntax, contains: []string{"notes.txt:1:1:", "expected JSON"}},
		{name: "empty file", file: "empty.json", data: "  \n",
			want: inventory.ErrSyntax, contains: []string{"empty.json", "empty"}},
		{name: "unknown object", file: "x.json", data: `{"Volumes": []}`,
			want: inventory.ErrShape, contains: []string{"x.json:1:1:", "Volumes", "Reservations"}},
		{name: "unknown list element", file: "x.json", data: "[\n  {\"foo\": 1}\n]",
			want: inventory.ErrShape, contains: []string{"x.json:2:3:", "[0]", "foo"}},
		{name: "wrong provider", provider: "aws", file: "gcp.json", data: `[{"kind": "compute#instance", "id": "1", "name": "a"}]`,
			want: inventory.ErrProvider, contains: []string{"gcp.json", "gcloud compute instances list", "aws"}},
		{name: "unknown provider setting", provider: "ibm", file: "x.json", data: `[]`,
			want: inventory.ErrProvider, contains: []string{"x.json", "ibm", "expected aws, azure, gcp"}},
		{name: "trailing data", file: "sg.json", data: "{\"SecurityGroups\": []}\n{\"x\": 1}\n",
			want: inventory.ErrSyntax, contains: []string{"sg.json:2:", "after the JSON value"}},

		{name: "aws missing instance id", file: "ec2.json", data: `{
  "Reservations": [
    {
      "OwnerId": "1",
      "Instances": [
        {"InstanceId": "i-1"},
        {"ImageId": "ami-1"}
      ]
    }
  ]
}`, want: inventory.ErrMissing, contains: []string{"ec2.json:7:9:", "Reservations[0].Instances[1].InstanceId", "instance id"}},
		{name: "aws wrong type", file: "sg.json", data: `{"SecurityGroups": [
  {"GroupId": "sg-1", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": "22", "ToPort": 22}
  ]}
]}`, want: inventory.ErrValue, contains: []string{"sg.json:3:39:", "SecurityGroups[0].IpPermissions[0].FromPort", "expected an integer", "string"}},
		{name: "aws tcp without ports", file: "sg.json", data: `{"SecurityGroups": [
  {"GroupId": "sg-1", "IpPermissions": [
    {"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
  ]}
]}`, want: inventory.ErrMissing, contains: []string{"sg.json:3:5:", "SecurityGroups[0].IpPermissions[0].FromPort"}},
		{name: "aws bad cidr", file: "sg.json", data: `{"SecurityGroups": [
  {"GroupId": "sg-1", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
     "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}
  ]}
]}`, want: inventory.ErrValue, contains: []string{"sg.json:4:", "IpRanges[0].CidrIp", "10.0.0.0/33"}},
		{name: "aws bad ip", file: "ec2.json", data: `{"Reservations": [{"Instances": [{"InstanceId": "i-1",
  "PublicIpAddress": "54.1.2"}]}]}`, want: inventory.ErrValue, contains: []string{"ec2.json:2:22:", "PublicIpAddress", "54.1.2"}},

		{name: "azure missing priority", file: "nsg.json", data: `[
  {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n",
   "securityRules": [
     {"name": "r", "access": "Allow", "direction": "Inbound", "protocol": "Tcp",
      "sourceAddressPrefix": "*", "destinationPortRange": "22"}
   ]}
]`, want: inventory.ErrMissing, contains: []string{"nsg.json:4:6:", "[0].securityRules[0].priority"}},
		{name: "azure priority wrong type", file: "nsg.json", data: `[
  {"id": "n", "securityRules": [
     {"name": "r", "access": "Allow", "direction": "Inbound", "protocol": "Tcp", "priority": "100",
      "sourceAddressPrefix": "*", "destinationPortRange": "22"}]}
]`, want: inventory.ErrValue, contains: []string{"nsg.json:3:94:", "[0].securityRules[0].priority", "expected an integer"}},
		{name: "azure bad port range", file: "nsg.json", data: `[
  {"id": "n", "securityRules": [
     {"name": "r", "access": "Allow", "direction": "Inbound", "protocol": "Tcp", "priority": 100,
      "sourceAddressPrefix": "*", "destinationPortRange": "8000-"}]}
]`, want: inventory.ErrValue, contains: []string{"nsg.json:4:", "[0].securityRules[0].destinationPortRange", "8000-"}},
		{name: "azure vm without id", file: "vms.json", data: `[{"vmId": "abc", "name": "x"}]`,
			want: inventory.ErrMissing, contains: []string{"vms.json:1:2:", "[0].id"}},

		{name: "gcp id of the wrong type", file: "gce.json", data: `[
  {"kind": "compute#instance", "name": "a",
   "id": {"value": 1}}
]`, want: inventory.ErrValue, contains: []string{"gce.json:3:10:", "[0].id"}},
		{name: "gcp firewall without network", file: "fw.json", data: `[
  {"kind": "compute#firewall", "name": "allow-ssh", "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]}
]`, want: inventory.ErrMissing, contains: []string{"fw.json:2:3:", "[0].network"}},
		{name: "gcp bad port", file: "fw.json", data: `{"kind": "compute#firewallList", "items": [
  {"kind": "compute#firewall", "name": "x", "network": "n",
   "allowed": [{"IPProtocol": "tcp", "ports": ["22", "ssh"]}]}
]}`, want: inventory.ErrValue, contains: []string{"fw.json:3:", "items[0].allowed[0].ports[1]", "ssh"}},
		{name: "gcp aggregated wrong type", file: "agg.json", data: `{"kind": "compute#instanceAggregatedList", "items": {
  "zones/a": {"instances": [{"kind": "compute#instance", "id": "1",
    "networkInterfaces": "nic0"}]}
}}`, want: inventory.ErrValue, contains: []string{"agg.json:3:26:", "items.zones/a.instances[0].networkInterfaces", "expected an array"}},

		{name: "csv without asset_id column", file: "assets.csv", data: "id,provider\nx,aws\n",
			want: inventory.ErrMissing, contains: []string{"assets.csv:1:1:", "asset_id"}},
		{name: "csv bad ip", file: "assets.csv", data: "asset_id,private_ips\na,10.0.0.1\nb,10.0.0.1;10.0.0.300\n",
			want: inventory.ErrValue, contains: []string{"assets.csv:3:3:", "private_ips", "10.0.0.300"}},
		{name: "csv wrong field count", file: "assets.csv", data: "asset_id,region\na,x\nb,y,z\n",
			want: inventory.ErrSyntax, contains: []string{"assets.csv:3:", "wrong number of fields"}},
		{name: "csv bad time", file: "assets.csv", data: "asset_id,launched_at\na,yesterday\n",
			want: inventory.ErrValue, contains: []string{"assets.csv:2:3:", "launched_at", "RFC 3339"}},
		{name: "csv bad exposure", file: "assets.csv", data: "asset_id,exposed\na,tcp:22\n",
			want: inventory.ErrValue, contains: []string{"assets.csv:2:3:", "exposed", "proto:ports:source"}},
		{name: "csv empty asset_id", file: "assets.csv", data: "region,asset_id\nx,\n",
			want: inventory.ErrMissing, contains: []string{"assets.csv:2:3:", "asset_id"}},
		{name: "csv duplicate asset_id", file: "assets.csv", data: "asset_id\na\nb\na\n",
			contains: []string{"assets.csv:4:1:", "line 2"}},

		{name: "jsonl line not json", file: "assets.jsonl", data: "{\"asset_id\": \"a\"}\n{\"asset_id\": \"b\",}\n",
			want: inventory.ErrSyntax, contains: []string{"assets.jsonl:2:", "invalid character"}},
		{name: "jsonl wrong type", file: "assets.jsonl", data: "{\"asset_id\": \"a\", \"private_ips\": 5}\n",
			want: inventory.ErrValue, contains: []string{"assets.jsonl:1:34:", "private_ips", "array of strings"}},
		{name: "jsonl missing asset_id", file: "assets.jsonl", data: "{\"asset_id\": \"a\"}\n\n{\"region\": \"x\"}\n",
			want: inventory.ErrMissing, contains: []string{"assets.jsonl:3:", "asset_id"}},
		{name: "jsonl bad kind", file: "assets.jsonl", data: "{\"asset_id\": \"a\", \"kind\": \"robot\"}\n",
			want: inventory.ErrValue, contains: []string{"assets.jsonl:1:27:", "kind", "robot"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im := inventory.Importer{Provider: tc.provider, SnapshotTime: snapshot}
			sum, err := im.Add(tc.file, []byte(tc.data))
			if err == nil {
				t.Fatalf("no error; summary %+v", sum)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %v", err, tc.want)
			}
			var pe *inventory.ParseError
			if !errors.As(err, &pe) || pe.File != tc.file {
				t.Errorf("error %q is not a *ParseError naming %s", err, tc.file)
			}
			for _, c := range tc.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
			// Nothing from a rejected file is kept.
			assets, _, aerr := im.Assets()
			if aerr != nil || len(assets) != 0 {
				t.Errorf("after a failed Add, Assets returned %d assets, %v", len(assets), aerr)
			}
		})
	}
}

func TestNoSnapshotTime(t *testing.T) {
	var im inventory.Importer
	if _, _, err := im.Assets(); !errors.Is(err, inventory.ErrNoSnapshotTime) {
		t.Errorf("got %v, want ErrNoSnapshotTime", err)
	}
	im.SnapshotTime = time.Now()
	if _, _, err := im.Assets(); err != nil {
		t.Errorf("with a snapshot time: %v", err)
	}
}
