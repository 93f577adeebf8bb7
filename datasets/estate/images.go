package estate

// component is one service an image family may carry.
type component struct {
	kind string
	port int     // 0: the kind's default port
	p    float64 // chance that an image build carries it
	// authP is the chance, for kinds that can run either way, that a build turns credentials
	// on; an image's latent risk lowers it.
	authP float64
	// source is the chance that a build compiles the kind from source instead of taking the
	// distribution's package (how Apache 2.4.49 and vsftpd 2.3.4 get in).
	source float64
}

// family is a kind of image: a role with the services it runs and the distributions it is
// built on. Several AMI builds are made of each family, each fixing versions and settings.
type family struct {
	name     string
	distros  []string
	comps    []component
	types    []string   // instance types
	public   float64    // chance that a group of this family sits in a public subnet
	risk     float64    // how risky builds of this family tend to be, 0..1
	weight   [3]float64 // how common in prod, staging, dev
	pet      bool       // run as standalone instances, not in auto-scaling groups
	team     string
	internal []int // ports that usually take traffic only from inside the VPC
}

var families = []family{
	{name: "web-nginx", distros: []string{"ubuntu-22.04", "ubuntu-20.04", "debian-12", "al2023"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindNginx, p: 1}, {kind: KindNginx, port: 443, p: 0.6}},
		types: []string{"t3.medium", "c5.large", "c5.xlarge"}, public: 0.45, risk: 0.15, weight: [3]float64{10, 6, 4}, team: "web"},
	{name: "web-apache", distros: []string{"ubuntu-20.04", "amzn2", "debian-11", "ubuntu-22.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindApache, p: 1, source: 0.35}},
		types: []string{"t3.medium", "m5.large"}, public: 0.5, risk: 0.45, weight: [3]float64{5, 4, 4}, team: "web"},
	{name: "cache-redis", distros: []string{"debian-11", "ubuntu-20.04", "amzn2", "ubuntu-22.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindRedis, p: 1, authP: 0.65}},
		types: []string{"r5.large", "r6g.large"}, public: 0.18, risk: 0.4, weight: [3]float64{4, 3, 3}, team: "platform", internal: []int{6379}},
	{name: "cache-memcached", distros: []string{"ubuntu-20.04", "amzn2", "ubuntu-22.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindMemcached, p: 1}},
		types: []string{"r5.large"}, public: 0.15, risk: 0.35, weight: [3]float64{2, 1, 1}, team: "platform", internal: []int{11211}},
	{name: "db-mysql", distros: []string{"ubuntu-20.04", "amzn2", "ubuntu-22.04", "ubuntu-16.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindMySQL, p: 1}},
		types: []string{"r5.xlarge", "m5.xlarge"}, public: 0.1, risk: 0.25, weight: [3]float64{3, 2, 2}, team: "data", internal: []int{3306}},
	{name: "db-postgres", distros: []string{"debian-11", "ubuntu-20.04", "ubuntu-22.04", "amzn2"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindPostgres, p: 1}},
		types: []string{"r5.xlarge", "m5.xlarge"}, public: 0.1, risk: 0.2, weight: [3]float64{4, 2, 2}, team: "data", internal: []int{5432}},
	{name: "db-mongo", distros: []string{"ubuntu-20.04", "amzn2", "ubuntu-22.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindMongoDB, p: 1, authP: 0.6}},
		types: []string{"r5.large", "m5.large"}, public: 0.18, risk: 0.45, weight: [3]float64{2, 2, 2}, team: "data", internal: []int{27017}},
	{name: "search-elk", distros: []string{"ubuntu-20.04", "amzn2"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindElasticsearch, p: 1, authP: 0.5}, {kind: KindKibana, p: 0.5, authP: 0.5}},
		types: []string{"r5.xlarge", "i3.xlarge"}, public: 0.22, risk: 0.5, weight: [3]float64{2, 2, 2}, team: "observability", internal: []int{9200, 5601}},
	{name: "queue-rabbitmq", distros: []string{"ubuntu-22.04", "ubuntu-20.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindAMQP, p: 1}, {kind: KindRabbitMQ, p: 0.8}},
		types: []string{"m5.large"}, public: 0.1, risk: 0.2, weight: [3]float64{2, 1, 1}, team: "platform", internal: []int{5672, 15672}},
	{name: "zookeeper", distros: []string{"amzn2", "ubuntu-20.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindZookeeper, p: 1}},
		types: []string{"m5.large"}, public: 0.12, risk: 0.3, weight: [3]float64{1, 1, 1}, team: "platform", internal: []int{2181}},
	{name: "k8s-node", distros: []string{"ubuntu-20.04", "ubuntu-22.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindKubelet, p: 1, authP: 0.8}},
		types: []string{"m5.xlarge", "c5.2xlarge"}, public: 0.2, risk: 0.3, weight: [3]float64{6, 4, 3}, team: "platform", internal: []int{10250}},
	{name: "k8s-control", distros: []string{"ubuntu-20.04", "ubuntu-22.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindKubeAPI, p: 1}, {kind: KindEtcd, p: 1}, {kind: KindKubelet, p: 1, authP: 0.85}},
		types: []string{"m5.large"}, public: 0.3, risk: 0.35, weight: [3]float64{1, 1, 1}, team: "platform", internal: []int{2379, 10250}},
	{name: "ci-docker", distros: []string{"ubuntu-20.04", "ubuntu-22.04", "amzn2"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindDocker, p: 0.6}},
		types: []string{"c5.xlarge", "c5.2xlarge"}, public: 0.4, risk: 0.6, weight: [3]float64{1, 2, 4}, team: "devex", internal: []int{2375}},
	{name: "jupyter", distros: []string{"ubuntu-22.04", "ubuntu-20.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindJupyter, p: 1, authP: 0.75}},
		types: []string{"g4dn.xlarge", "m5.2xlarge"}, public: 0.35, risk: 0.55, weight: [3]float64{0.5, 1, 3}, team: "ml", pet: true, internal: []int{8888}},
	{name: "mail", distros: []string{"ubuntu-20.04", "debian-11", "amzn2", "ubuntu-22.04", "debian-12"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindPostfix, p: 1}},
		types: []string{"t3.medium"}, public: 0.8, risk: 0.2, weight: [3]float64{1, 0.5, 0.5}, team: "it", pet: true},
	{name: "mail-exim", distros: []string{"debian-11", "debian-12"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindExim, p: 1}},
		types: []string{"t3.medium"}, public: 0.8, risk: 0.3, weight: [3]float64{0.5, 0.3, 0.3}, team: "it", pet: true},
	{name: "ftp-legacy", distros: []string{"ubuntu-16.04", "amzn2", "ubuntu-20.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindVsftpd, p: 1, authP: 0.6, source: 0.2}, {kind: KindTelnet, p: 0.35}},
		types: []string{"t2.medium", "t3.small"}, public: 0.75, risk: 0.8, weight: [3]float64{0.7, 0.5, 0.8}, team: "it", pet: true},
	{name: "bastion", distros: []string{"al2023", "ubuntu-22.04", "amzn2"},
		comps: []component{{kind: KindOpenSSH, p: 1}},
		types: []string{"t3.micro"}, public: 1, risk: 0.1, weight: [3]float64{1, 1, 1}, team: "security", pet: true},
	{name: "windows-app", distros: []string{"windows-2019", "windows-2022"},
		comps: []component{{kind: KindRDP, p: 1}, {kind: KindWinRM, p: 0.8}},
		types: []string{"m5.large", "t3.large"}, public: 0.3, risk: 0.4, weight: [3]float64{2, 1, 1}, team: "corp", internal: []int{5985}},
	{name: "vnc-desktop", distros: []string{"ubuntu-20.04", "ubuntu-22.04"},
		comps: []component{{kind: KindOpenSSH, p: 1}, {kind: KindVNC, p: 1, authP: 0.6}},
		types: []string{"t3.large"}, public: 0.5, risk: 0.6, weight: [3]float64{0.3, 0.5, 2}, team: "devex", pet: true},
}

// osNames maps distributions to the OS an instance reports.
var osNames = map[string]string{
	"ubuntu-16.04": "Ubuntu 16.04", "ubuntu-20.04": "Ubuntu 20.04", "ubuntu-22.04": "Ubuntu 22.04",
	"debian-11": "Debian 11", "debian-12": "Debian 12", "amzn2": "Amazon Linux 2", "al2023": "Amazon Linux 2023",
	"windows-2019": "Windows Server 2019", "windows-2022": "Windows Server 2022",
}

func platformOf(distro string) string {
	if len(distro) > 7 && distro[:7] == "windows" {
		return "windows"
	}
	return "linux"
}

var (
	envs    = [3]string{"prod", "staging", "dev"}
	regions = []string{"us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"}
	teams   = []string{"web", "platform", "data", "observability", "devex", "ml", "it", "security", "corp", "payments"}
)
