package estate

import "maps"

// imageComp is one component as an AMI build fixed it.
type imageComp struct {
	comp    component
	b       build
	present bool
	auth    bool
}

// imageMeta is what an AMI build hides from the inventory: its family, its latent risk and the
// settings it bakes in. It never changes once made.
type imageMeta struct {
	fam    int
	distro string
	risk   float64
	build  int // 0 is the oldest build of its family
	comps  []imageComp
}

// groupMeta is a group's (or a pet's) latent carelessness, 0..1: how readily its owners open
// ports wide and leave things running.
type groupMeta struct {
	sloppy float64
	fam    int
}

type subnetState struct {
	vpc, idx int
	public   bool
	pool     *pool
}

// state is what the generator carries from one epoch to the next, beyond the Estate itself.
type state struct {
	nInst, nSG, nImage uint64
	subnets            map[string]*subnetState
	public             *pool
	images             map[string]*imageMeta // AMI id -> meta; values are never changed
	groups             map[string]*groupMeta // group name or pet instance id -> meta; values never changed
	owner              map[string]string     // lab IP -> the instance that held it last
	names              map[string]int        // name prefix -> how many made
	vpcEnv             map[string]string     // VPC id -> its environment
	shared             map[string]string     // "vpc/name" -> shared security group id
	groupSG            map[string]string     // group name or pet id -> its own security group
}

func (s *state) clone() *state {
	c := *s
	c.subnets = make(map[string]*subnetState, len(s.subnets))
	for k, v := range s.subnets {
		nv := *v
		nv.pool = v.pool.clone()
		c.subnets[k] = &nv
	}
	c.public = s.public.clone()
	c.images = maps.Clone(s.images)
	c.groups = maps.Clone(s.groups)
	c.owner = maps.Clone(s.owner)
	c.names = maps.Clone(s.names)
	c.vpcEnv = maps.Clone(s.vpcEnv)
	c.shared = maps.Clone(s.shared)
	c.groupSG = maps.Clone(s.groupSG)
	return &c
}
