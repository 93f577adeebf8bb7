package estate

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// The types below mirror the EC2 API shapes as botocore parses them; field order is the
// shapes' member order, which is the order AWS CLI v2 prints keys in.

type awsDescribeInstances struct {
	Reservations []awsReservation `json:"Reservations"`
}

type awsReservation struct {
	Groups        []awsGroupID  `json:"Groups"`
	Instances     []awsInstance `json:"Instances"`
	OwnerID       string        `json:"OwnerId"`
	RequesterID   string        `json:"RequesterId,omitempty"`
	ReservationID string        `json:"ReservationId"`
}

type awsGroupID struct {
	GroupName string `json:"GroupName"`
	GroupID   string `json:"GroupId"`
}

type awsTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type awsInstance struct {
	AmiLaunchIndex int    `json:"AmiLaunchIndex"`
	ImageID        string `json:"ImageId"`
	InstanceID     string `json:"InstanceId"`
	InstanceType   string `json:"InstanceType"`
	KeyName        string `json:"KeyName,omitempty"`
	LaunchTime     string `json:"LaunchTime"`
	Monitoring     struct {
		State string `json:"State"`
	} `json:"Monitoring"`
	Placement struct {
		AvailabilityZone string `json:"AvailabilityZone"`
		GroupName        string `json:"GroupName"`
		Tenancy          string `json:"Tenancy"`
	} `json:"Placement"`
	Platform              string            `json:"Platform,omitempty"`
	PrivateDNSName        string            `json:"PrivateDnsName"`
	PrivateIPAddress      string            `json:"PrivateIpAddress,omitempty"`
	ProductCodes          []struct{}        `json:"ProductCodes"`
	PublicDNSName         string            `json:"PublicDnsName"`
	PublicIPAddress       string            `json:"PublicIpAddress,omitempty"`
	State                 awsState          `json:"State"`
	StateTransitionReason string            `json:"StateTransitionReason"`
	SubnetID              string            `json:"SubnetId,omitempty"`
	VpcID                 string            `json:"VpcId,omitempty"`
	Architecture          string            `json:"Architecture"`
	BlockDeviceMappings   []awsBlockDevice  `json:"BlockDeviceMappings"`
	ClientToken           string            `json:"ClientToken"`
	EbsOptimized          bool              `json:"EbsOptimized"`
	EnaSupport            bool              `json:"EnaSupport"`
	Hypervisor            string            `json:"Hypervisor"`
	NetworkInterfaces     []awsInterface    `json:"NetworkInterfaces"`
	RootDeviceName        string            `json:"RootDeviceName"`
	RootDeviceType        string            `json:"RootDeviceType"`
	SecurityGroups        []awsGroupID      `json:"SecurityGroups"`
	SourceDestCheck       *bool             `json:"SourceDestCheck,omitempty"`
	StateReason           *awsStateReason   `json:"StateReason,omitempty"`
	Tags                  []awsTag          `json:"Tags"`
	VirtualizationType    string            `json:"VirtualizationType"`
	CPUOptions            awsCPUOptions     `json:"CpuOptions"`
	CapacityReservation   map[string]string `json:"CapacityReservationSpecification"`
	HibernationOptions    map[string]bool   `json:"HibernationOptions"`
	MetadataOptions       awsMetadata       `json:"MetadataOptions"`
	EnclaveOptions        map[string]bool   `json:"EnclaveOptions"`
	PlatformDetails       string            `json:"PlatformDetails"`
	UsageOperation        string            `json:"UsageOperation"`
	UsageOperationUpdated string            `json:"UsageOperationUpdateTime"`
	PrivateDNSNameOptions *awsDNSOptions    `json:"PrivateDnsNameOptions,omitempty"`
	MaintenanceOptions    map[string]string `json:"MaintenanceOptions"`
}

type awsState struct {
	Code int    `json:"Code"`
	Name string `json:"Name"`
}

type awsStateReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type awsBlockDevice struct {
	DeviceName string `json:"DeviceName"`
	Ebs        struct {
		AttachTime          string `json:"AttachTime"`
		DeleteOnTermination bool   `json:"DeleteOnTermination"`
		Status              string `json:"Status"`
		VolumeID            string `json:"VolumeId"`
	} `json:"Ebs"`
}

type awsInterface struct {
	Association *awsAssociation `json:"Association,omitempty"`
	Attachment  struct {
		AttachTime          string `json:"AttachTime"`
		AttachmentID        string `json:"AttachmentId"`
		DeleteOnTermination bool   `json:"DeleteOnTermination"`
		DeviceIndex         int    `json:"DeviceIndex"`
		Status              string `json:"Status"`
		NetworkCardIndex    int    `json:"NetworkCardIndex"`
	} `json:"Attachment"`
	Description        string         `json:"Description"`
	Groups             []awsGroupID   `json:"Groups"`
	Ipv6Addresses      []struct{}     `json:"Ipv6Addresses"`
	MacAddress         string         `json:"MacAddress"`
	NetworkInterfaceID string         `json:"NetworkInterfaceId"`
	OwnerID            string         `json:"OwnerId"`
	PrivateDNSName     string         `json:"PrivateDnsName"`
	PrivateIPAddress   string         `json:"PrivateIpAddress"`
	PrivateIPAddresses []awsPrivateIP `json:"PrivateIpAddresses"`
	SourceDestCheck    bool           `json:"SourceDestCheck"`
	Status             string         `json:"Status"`
	SubnetID           string         `json:"SubnetId"`
	VpcID              string         `json:"VpcId"`
	InterfaceType      string         `json:"InterfaceType"`
}

type awsAssociation struct {
	IPOwnerID     string `json:"IpOwnerId"`
	PublicDNSName string `json:"PublicDnsName"`
	PublicIP      string `json:"PublicIp"`
}

type awsPrivateIP struct {
	Association      *awsAssociation `json:"Association,omitempty"`
	Primary          bool            `json:"Primary"`
	PrivateDNSName   string          `json:"PrivateDnsName"`
	PrivateIPAddress string          `json:"PrivateIpAddress"`
}

type awsCPUOptions struct {
	CoreCount      int `json:"CoreCount"`
	ThreadsPerCore int `json:"ThreadsPerCore"`
}

type awsMetadata struct {
	State                   string `json:"State"`
	HTTPTokens              string `json:"HttpTokens"`
	HTTPPutResponseHopLimit int    `json:"HttpPutResponseHopLimit"`
	HTTPEndpoint            string `json:"HttpEndpoint"`
	HTTPProtocolIpv6        string `json:"HttpProtocolIpv6"`
	InstanceMetadataTags    string `json:"InstanceMetadataTags"`
}

type awsDNSOptions struct {
	HostnameType                    string `json:"HostnameType"`
	EnableResourceNameDNSARecord    bool   `json:"EnableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `json:"EnableResourceNameDnsAAAARecord"`
}

type awsDescribeSecurityGroups struct {
	SecurityGroups []awsSecurityGroup `json:"SecurityGroups"`
}

type awsSecurityGroup struct {
	Description         string          `json:"Description"`
	GroupName           string          `json:"GroupName"`
	IPPermissions       []awsPermission `json:"IpPermissions"`
	OwnerID             string          `json:"OwnerId"`
	GroupID             string          `json:"GroupId"`
	IPPermissionsEgress []awsPermission `json:"IpPermissionsEgress"`
	Tags                []awsTag        `json:"Tags,omitempty"`
	VpcID               string          `json:"VpcId"`
	SecurityGroupArn    string          `json:"SecurityGroupArn"`
}

type awsPermission struct {
	FromPort         *int           `json:"FromPort,omitempty"`
	IPProtocol       string         `json:"IpProtocol"`
	IPRanges         []awsIPRange   `json:"IpRanges"`
	Ipv6Ranges       []awsIPv6Range `json:"Ipv6Ranges"`
	PrefixListIDs    []struct{}     `json:"PrefixListIds"`
	ToPort           *int           `json:"ToPort,omitempty"`
	UserIDGroupPairs []awsGroupPair `json:"UserIdGroupPairs"`
}

type awsIPRange struct {
	CidrIP      string `json:"CidrIp"`
	Description string `json:"Description,omitempty"`
}

type awsIPv6Range struct {
	CidrIpv6    string `json:"CidrIpv6"`
	Description string `json:"Description,omitempty"`
}

type awsGroupPair struct {
	Description string `json:"Description,omitempty"`
	UserID      string `json:"UserId"`
	GroupID     string `json:"GroupId"`
}

// awsTime formats t as AWS CLI v2 prints timestamps.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

// WriteAWS writes the estate as `aws ec2 describe-instances` and `aws ec2 describe-security-groups`
// (AWS CLI v2, JSON output) print it, across all its accounts and regions: running instances,
// and those terminated on the way to this epoch. PrivateIpAddress is the LabIP.
func (e *Estate) WriteAWS(instances, securityGroups io.Writer) error {
	if err := writeCLIJSON(instances, e.describeInstances()); err != nil {
		return fmt.Errorf("estate: describe-instances: %w", err)
	}
	if err := writeCLIJSON(securityGroups, e.describeSecurityGroups()); err != nil {
		return fmt.Errorf("estate: describe-security-groups: %w", err)
	}
	return nil
}

// writeCLIJSON encodes v as the CLI does (json.dumps with indent=4, ensure_ascii=False).
func writeCLIJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
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
