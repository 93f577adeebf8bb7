package estate

import (
	"time"

	"github.com/riskmap/riskmap"
)

// Service is one listening service on an instance: what really runs there (the truth), and
// how it presents itself on the wire (Kind and Banner, which datasets/lab serves).
type Service struct {
	Port  int
	Proto string // tcp
	// Name is the service name nmap gives it (ssh, http, redis, ...); Product, Version and CPE
	// are what really runs, whatever nmap can tell of it.
	Name, Product, Version string
	CPE                    string
	// Auth reports whether the service demands credentials before it serves data: redis
	// requirepass, mongod --auth, Elasticsearch security, a VNC password, no anonymous FTP,
	// kubelet with anonymous auth off, a Jupyter token.
	Auth bool
	// Kind names the catalogue entry (one of the Kind constants): the protocol the lab speaks.
	Kind string
	// Banner is what the service says of itself, in the format its Kind documents.
	Banner string
	// TLS reports whether the port speaks TLS first.
	TLS bool
	// Origin says how it came to listen: OriginImage (baked into the AMI), OriginManual (a port
	// opened by hand), OriginDebug (a forgotten debug service).
	Origin string
}

// Service origins.
const (
	OriginImage  = "image"
	OriginManual = "manual"
	OriginDebug  = "debug"
)

// Instance is one running EC2 instance.
type Instance struct {
	ID, Account, Region, VPC, Subnet, Image, Group string
	SecurityGroups                                 []string
	// LabIP is the instance's private address, in 127.0.0.0/8 so that datasets/lab can serve it
	// on loopback. PublicIP is data only, from documentation and benchmarking ranges; "" when
	// the instance has none.
	LabIP, PublicIP string
	Tags            map[string]string
	OS              string // "Ubuntu 22.04", "Amazon Linux 2", "Windows Server 2019", ...
	Platform        string // linux or windows
	InstanceType    string
	AZ              string
	LaunchedAt      time.Time
	Services        []Service // sorted by port
}

// Hostname is the instance's short private DNS name, as EC2 makes it from the private address
// (ip-127-10-3-5).
func (in *Instance) Hostname() string {
	b := []byte("ip-" + in.LabIP)
	for i := range b {
		if b[i] == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}

// Rule is one ingress rule of a security group.
type Rule struct {
	Proto    string // tcp, udp or all
	From, To int    // inclusive port range; 0-65535 with Proto all
	Source   string // a CIDR or a security group id
	// Description is the rule's free-text note, as people write them.
	Description string
}

// Covers reports whether r allows proto/port.
func (r Rule) Covers(proto string, port int) bool {
	if r.Proto != "all" && r.Proto != proto {
		return false
	}
	return port >= r.From && port <= r.To
}

// SecurityGroup is one VPC security group.
type SecurityGroup struct {
	ID, Name, VPC string
	Account       string
	Description   string
	Ingress       []Rule
}

// Exposure is one listening service of one instance with its ground-truth severity. Internet
// reports whether the security groups open it to 0.0.0.0/0 (or ::/0) on an instance that has
// a public address.
type Exposure struct {
	AssetID, IP string
	Port        int
	Proto       string
	Service     string // the service Kind
	Severity    riskmap.Severity
	Reason      string
	Internet    bool
}

// Account is one AWS account.
type Account struct {
	ID, Name, Env string
}

// VPC is one network.
type VPC struct {
	ID, Account, Region, CIDR string
}

// Subnet is one /24 of a VPC in one availability zone.
type Subnet struct {
	ID, VPC, AZ, CIDR string
	Public            bool // instances launched here get a public address
}

// Image is one AMI build of an image family.
type Image struct {
	ID, Name, Family, OS, Platform string
	Created                        time.Time
}

// Group is one auto-scaling group: instances stamped from one image with the same security
// groups and tags.
type Group struct {
	Name, Account, VPC, Image, Family string
	Env, Criticality, Team            string
	SecurityGroups                    []string
	Subnets                           []string
	Desired                           int
}

// Event is one drift step between epochs, as the estate's ground truth of what changed.
type Event struct {
	Kind       string // one of the Event constants
	InstanceID string
	IP         string
	Port       int    // 0 for host-level events
	Before     string // the previous value, "" when none
	After      string
	Detail     string
}

// Event kinds.
const (
	EventLaunch         = "launch"
	EventTerminate      = "terminate"
	EventIPReassigned   = "ip_reassigned"   // Before: the instance that held the IP
	EventPortOpened     = "port_opened"     // a port opened by hand that no security group allows
	EventDebugService   = "debug_service"   // a debug service left listening
	EventVersionChanged = "version_changed" // Before/After: banners
	EventImageRollout   = "image_rollout"   // a group moved to another AMI
	EventRuleAdded      = "sg_rule_added"   // Detail: the security group
	EventRuleRemoved    = "sg_rule_removed" // Detail: the security group
	EventServiceStopped = "service_stopped" // a manual or debug service went away
)

// Estate is one epoch of a simulated cloud estate. Generate makes epoch 0 and Advance the next;
// an Estate is never changed after it is returned, so callers may share it.
type Estate struct {
	Epoch          int
	Time           time.Time
	Config         Config
	Accounts       []Account
	VPCs           []VPC
	Subnets        []Subnet
	Images         []Image
	Groups         []Group
	Instances      []Instance // sorted by ID
	SecurityGroups []SecurityGroup
	// Terminated holds the instances terminated on the way to this epoch: describe-instances
	// still lists them, as AWS does for about an hour.
	Terminated []Instance
	// Events is the drift that led from the previous epoch to this one (empty at epoch 0).
	Events []Event

	st *state // generator state carried to the next epoch
}
