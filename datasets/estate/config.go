package estate

import (
	"errors"
	"fmt"
	"time"
)

// Config says how big an estate Generate makes and how its clock runs. The zero value is not
// valid; start from DefaultConfig.
type Config struct {
	// Seed makes everything reproducible: the same Config always yields the same estate, and
	// the same drift at every epoch.
	Seed int64
	// Hosts is the number of running instances at epoch 0 (about; auto-scaling groups are
	// filled whole). Drift moves it by a few percent each epoch.
	Hosts int
	// Accounts and VPCs lay the estate out: every VPC belongs to one account (round robin),
	// so VPCs must be at least Accounts.
	Accounts, VPCs int
	// Start is the time of epoch 0; EpochEvery the time between epochs.
	Start      time.Time
	EpochEvery time.Duration
	// Unlisted turns on the hard cases that no port list predicts: at epoch 0, this many public
	// Linux instances behind an all-traffic security group (IpProtocol -1 from 0.0.0.0/0), each
	// with a service on an unlisted high port; and at every later epoch, one service started by
	// hand on an unlisted port of a wide-open instance (serious) and one on an instance whose
	// groups allow no such port. 0 (the default) leaves them out, and the estate is exactly the
	// one it was before they existed. See UnlistedPorts.
	Unlisted int
	// NovelDrift makes Unlisted's serious drift (the service started by hand on a wide-open
	// instance) listen on a port no instance of the estate has used before, drawn from the
	// unassigned high range 30000-59999 (outside nmap's top-1000 list), instead of one of
	// UnlistedPorts: a port that nothing the estate has shown can predict, which only a sweep
	// finds. Without Unlisted it does nothing.
	NovelDrift bool
}

// DefaultConfig is a 200-host estate in three accounts and six VPCs, epochs a day apart.
func DefaultConfig() Config {
	return Config{
		Seed:       1,
		Hosts:      200,
		Accounts:   3,
		VPCs:       6,
		Start:      time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC),
		EpochEvery: 24 * time.Hour,
	}
}

// Limits of the lab address plan: VPC v owns 127.(10+v).0.0/16 and each of its subnets a /24,
// so at most 245 VPCs and 256 subnets of 254 hosts each per VPC.
const (
	maxVPCs          = 245
	maxSubnetsPerVPC = 256
	hostsPerSubnet   = 254
	// subnetFill is the share of a subnet's addresses used at epoch 0, leaving room for growth.
	subnetFill = 0.4
	maxHosts   = 1_000_000
)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("estate: bad config")

// Validate reports the first field of c that is out of range.
func (c Config) Validate() error {
	switch {
	case c.Hosts < 1 || c.Hosts > maxHosts:
		return fmt.Errorf("%w: Hosts = %d, want 1..%d", ErrConfig, c.Hosts, maxHosts)
	case c.Accounts < 1:
		return fmt.Errorf("%w: Accounts = %d, want at least 1", ErrConfig, c.Accounts)
	case c.VPCs < c.Accounts || c.VPCs > maxVPCs:
		return fmt.Errorf("%w: VPCs = %d, want %d (Accounts) to %d", ErrConfig, c.VPCs, c.Accounts, maxVPCs)
	case c.EpochEvery <= 0:
		return fmt.Errorf("%w: EpochEvery = %v, want > 0", ErrConfig, c.EpochEvery)
	case c.Unlisted < 0 || c.Unlisted > c.Hosts:
		return fmt.Errorf("%w: Unlisted = %d, want 0..%d (Hosts)", ErrConfig, c.Unlisted, c.Hosts)
	case c.Start.IsZero():
		return fmt.Errorf("%w: Start is zero, want the time of epoch 0", ErrConfig)
	}
	if need := subnetsPerVPC(c); need > maxSubnetsPerVPC {
		return fmt.Errorf("%w: Hosts = %d needs %d subnets per VPC with VPCs = %d, want at most %d: raise VPCs",
			ErrConfig, c.Hosts, need, c.VPCs, maxSubnetsPerVPC)
	}
	return nil
}

// subnetsPerVPC is how many /24s each VPC gets: at least two (one public, one private), and
// enough that epoch 0 fills them to subnetFill.
func subnetsPerVPC(c Config) int {
	per := float64(c.Hosts) / float64(c.VPCs) / (hostsPerSubnet * subnetFill)
	n := int(per) + 1
	if n < 2 {
		n = 2
	}
	if n%2 == 1 {
		n++ // public and private subnets come in pairs, one of each per availability zone
	}
	return n
}
