package estate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// awsTime formats t as AWS CLI v2 prints timestamps.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// WriteAWS writes the estate as `aws ec2 describe-instances` and `aws ec2 describe-security-groups`
// (AWS CLI v2, JSON output) print it, across all its accounts and regions: running instances,
// and those terminated on the way to this epoch. PrivateIpAddress is the LabIP.
func (e *Estate) WriteAWS(instances, securityGroups io.Writer) error {
	if err := writeCLIList(instances, "Reservations", e.describeInstances().Reservations); err != nil {
		return fmt.Errorf("estate: describe-instances: %w", err)
	}
	if err := writeCLIList(securityGroups, "SecurityGroups", e.describeSecurityGroups().SecurityGroups); err != nil {
		return fmt.Errorf("estate: describe-security-groups: %w", err)
	}
	return nil
}

// writeCLIList writes {"key": items} as the CLI does (json.dumps with indent=4,
// ensure_ascii=False), one item at a time so that a big estate never sits in one buffer.
func writeCLIList[T any](w io.Writer, key string, items []T) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if len(items) == 0 {
		fmt.Fprintf(bw, "{\n    %q: []\n}\n", key)
		return bw.Flush()
	}
	fmt.Fprintf(bw, "{\n    %q: [\n", key)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("        ", "    ")
	for i, it := range items {
		buf.Reset()
		if err := enc.Encode(it); err != nil {
			return err
		}
		bw.WriteString("        ")
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		if i < len(items)-1 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	bw.WriteString("    ]\n}\n")
	return bw.Flush()
}

func (e *Estate) describeInstances() awsDescribeInstances {
	sgs := e.sgMap()
	images := map[string]Image{}
	for _, img := range e.Images {
		images[img.ID] = img
	}
	out := awsDescribeInstances{Reservations: []awsReservation{}}
	add := func(in *Instance, terminated bool) {
		ai := e.awsInstance(in, sgs, images[in.Image], terminated)
		r := awsReservation{Groups: []awsGroupID{}, Instances: []awsInstance{ai}, OwnerID: in.Account,
			ReservationID: "r-" + strings.TrimPrefix(ai.InstanceID, "i-")}
		if in.Group != "" {
			r.RequesterID = "940372691376" // the account EC2 Auto Scaling launches from
		}
		out.Reservations = append(out.Reservations, r)
	}
	for i := range e.Instances {
		add(&e.Instances[i], false)
	}
	for i := range e.Terminated {
		add(&e.Terminated[i], true)
	}
	return out
}

func (e *Estate) awsInstance(in *Instance, sgs map[string]*SecurityGroup, img Image, terminated bool) awsInstance {
	hex := strings.TrimPrefix(in.ID, "i-0")
	launch := awsTime(in.LaunchedAt)
	windows := in.Platform == "windows"
	ai := awsInstance{
		ImageID: in.Image, InstanceID: in.ID, InstanceType: in.InstanceType, LaunchTime: launch,
		ProductCodes: []struct{}{}, Architecture: "x86_64", ClientToken: "",
		EbsOptimized: true, EnaSupport: true, Hypervisor: "xen", RootDeviceType: "ebs", VirtualizationType: "hvm",
		CPUOptions:          awsCPUOptions{CoreCount: cores(in.InstanceType), ThreadsPerCore: 2},
		CapacityReservation: map[string]string{"CapacityReservationPreference": "open"},
		HibernationOptions:  map[string]bool{"Configured": false},
		EnclaveOptions:      map[string]bool{"Enabled": false},
		PlatformDetails:     "Linux/UNIX", UsageOperation: "RunInstances", UsageOperationUpdated: launch,
		MaintenanceOptions: map[string]string{"AutoRecovery": "default"},
		Tags:               awsTags(in),
	}
	if strings.HasPrefix(in.InstanceType, "r6g") {
		ai.Architecture = "arm64"
		ai.CPUOptions.ThreadsPerCore = 1
	}
	if windows {
		ai.Platform, ai.PlatformDetails, ai.UsageOperation = "windows", "Windows", "RunInstances:0002"
	}
	ai.Monitoring.State = "disabled"
	ai.Placement.AvailabilityZone, ai.Placement.Tenancy = in.AZ, "default"
	ai.RootDeviceName = "/dev/xvda"
	if windows || strings.HasPrefix(img.OS, "Ubuntu") || strings.HasPrefix(img.OS, "Debian") {
		ai.RootDeviceName = "/dev/sda1"
	}
	if in.Group == "" {
		ai.KeyName = "ops-" + in.Region
	}
	ai.MetadataOptions = awsMetadata{State: "applied", HTTPTokens: "required", HTTPPutResponseHopLimit: 2,
		HTTPEndpoint: "enabled", HTTPProtocolIpv6: "disabled", InstanceMetadataTags: "disabled"}
	if in.Group == "" || strings.Contains(img.Name, "amzn2") || strings.Contains(img.Name, "ubuntu-16.04") {
		ai.MetadataOptions.HTTPTokens, ai.MetadataOptions.HTTPPutResponseHopLimit = "optional", 1
	}
	if terminated {
		ai.State = awsState{Code: 48, Name: "terminated"}
		ai.StateTransitionReason = fmt.Sprintf("User initiated (%s GMT)", e.Time.Add(-e.Config.EpochEvery/3).UTC().Format("2006-01-02 15:04:05"))
		ai.StateReason = &awsStateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
		ai.BlockDeviceMappings, ai.NetworkInterfaces, ai.SecurityGroups = []awsBlockDevice{}, []awsInterface{}, []awsGroupID{}
		ai.MetadataOptions.State = "pending"
		return ai
	}
	ai.State = awsState{Code: 16, Name: "running"}
	dns := in.Hostname() + "." + internalDomain(in.Region)
	ai.PrivateDNSName, ai.PrivateIPAddress, ai.PublicIPAddress = dns, in.LabIP, in.PublicIP
	ai.SubnetID, ai.VpcID = in.Subnet, in.VPC
	t := true
	ai.SourceDestCheck = &t
	ai.PrivateDNSNameOptions = &awsDNSOptions{HostnameType: "ip-name"}
	bd := awsBlockDevice{DeviceName: ai.RootDeviceName}
	bd.Ebs.AttachTime, bd.Ebs.DeleteOnTermination, bd.Ebs.Status, bd.Ebs.VolumeID = launch, true, "attached", "vol-"+hex[len(hex)-16:]
	ai.BlockDeviceMappings = []awsBlockDevice{bd}
	groups := make([]awsGroupID, 0, len(in.SecurityGroups))
	for _, id := range in.SecurityGroups {
		name := ""
		if sg := sgs[id]; sg != nil {
			name = sg.Name
		}
		groups = append(groups, awsGroupID{GroupName: name, GroupID: id})
	}
	ai.SecurityGroups = groups
	var assoc *awsAssociation
	if in.PublicIP != "" {
		assoc = &awsAssociation{IPOwnerID: "amazon", PublicDNSName: "", PublicIP: in.PublicIP}
	}
	eni := awsInterface{Association: assoc, Description: "", Groups: groups, Ipv6Addresses: []struct{}{},
		MacAddress: mac(in.ID), NetworkInterfaceID: "eni-0" + rev(hex), OwnerID: in.Account, PrivateDNSName: dns,
		PrivateIPAddress: in.LabIP, SourceDestCheck: true, Status: "in-use", SubnetID: in.Subnet, VpcID: in.VPC,
		InterfaceType:      "interface",
		PrivateIPAddresses: []awsPrivateIP{{Association: assoc, Primary: true, PrivateDNSName: dns, PrivateIPAddress: in.LabIP}}}
	eni.Attachment.AttachTime, eni.Attachment.AttachmentID = launch, "eni-attach-0"+rev(hex)[1:]+"a"
	eni.Attachment.DeleteOnTermination, eni.Attachment.Status = true, "attached"
	ai.NetworkInterfaces = []awsInterface{eni}
	return ai
}

// awsTags lists in's tags, and the ones AWS adds, sorted by key.
func awsTags(in *Instance) []awsTag {
	tags := maps.Clone(in.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	if in.Group != "" {
		tags["aws:autoscaling:groupName"] = in.Group
	}
	out := make([]awsTag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, awsTag{Key: k, Value: tags[k]})
	}
	return out
}

func internalDomain(region string) string {
	if region == "us-east-1" {
		return "ec2.internal"
	}
	return region + ".compute.internal"
}

func cores(instanceType string) int {
	switch {
	case strings.HasSuffix(instanceType, ".2xlarge"):
		return 4
	case strings.HasSuffix(instanceType, ".xlarge"):
		return 2
	case strings.HasSuffix(instanceType, ".micro"), strings.HasSuffix(instanceType, ".small"):
		return 1
	}
	return 1
}

// mac derives a stable, locally administered MAC address from an instance id.
func mac(id string) string {
	h := mix64(uint64(len(id)))
	for _, c := range id {
		h = mix64(h ^ uint64(c))
	}
	b := [6]byte{0x02 | byte(h>>40)&0xfc, byte(h >> 32), byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
}

func rev(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

func (e *Estate) describeSecurityGroups() awsDescribeSecurityGroups {
	vpcs := map[string]VPC{}
	for _, v := range e.VPCs {
		vpcs[v.ID] = v
	}
	out := awsDescribeSecurityGroups{SecurityGroups: make([]awsSecurityGroup, 0, len(e.SecurityGroups))}
	for _, sg := range e.SecurityGroups {
		region := vpcs[sg.VPC].Region
		a := awsSecurityGroup{Description: sg.Description, GroupName: sg.Name, IPPermissions: permissions(sg.Ingress, sg.Account),
			OwnerID: sg.Account, GroupID: sg.ID, VpcID: sg.VPC,
			IPPermissionsEgress: []awsPermission{{IPProtocol: "-1", IPRanges: []awsIPRange{{CidrIP: "0.0.0.0/0"}},
				Ipv6Ranges: []awsIPv6Range{}, PrefixListIDs: []struct{}{}, UserIDGroupPairs: []awsGroupPair{}}},
			SecurityGroupArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", region, sg.Account, sg.ID)}
		out.SecurityGroups = append(out.SecurityGroups, a)
	}
	return out
}

// permissions groups rules into IpPermissions the way EC2 does: one entry per protocol and port
// range, holding every source.
func permissions(rules []Rule, account string) []awsPermission {
	out := []awsPermission{}
	at := map[string]int{}
	for _, r := range rules {
		key := fmt.Sprintf("%s/%d/%d", r.Proto, r.From, r.To)
		i, ok := at[key]
		if !ok {
			p := awsPermission{IPProtocol: r.Proto, IPRanges: []awsIPRange{}, Ipv6Ranges: []awsIPv6Range{},
				PrefixListIDs: []struct{}{}, UserIDGroupPairs: []awsGroupPair{}}
			if r.Proto == "all" {
				p.IPProtocol = "-1"
			} else {
				from, to := r.From, r.To
				p.FromPort, p.ToPort = &from, &to
			}
			i = len(out)
			at[key] = i
			out = append(out, p)
		}
		p := &out[i]
		switch {
		case strings.HasPrefix(r.Source, "sg-"):
			p.UserIDGroupPairs = append(p.UserIDGroupPairs, awsGroupPair{Description: r.Description, UserID: account, GroupID: r.Source})
		case strings.Contains(r.Source, ":"):
			p.Ipv6Ranges = append(p.Ipv6Ranges, awsIPv6Range{CidrIpv6: r.Source, Description: r.Description})
		default:
			p.IPRanges = append(p.IPRanges, awsIPRange{CidrIP: r.Source, Description: r.Description})
		}
	}
	return out
}
