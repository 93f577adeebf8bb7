package estate

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
