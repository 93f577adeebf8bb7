// Package estate generates realistic, seeded cloud estates and their drift over time, with the
// ground truth of which exposures are serious: the world riskmap is measured against.
//
// # Data flow
//
// Generate (or New) lays out accounts, VPCs and subnets, builds AMIs of image families (web
// servers, caches, databases, search, queues, Kubernetes, CI hosts, mail, legacy FTP, Windows,
// desktops, notebooks), stamps out auto-scaling groups and standalone instances from them, and
// gives every group its security group (plus shared ones: default, ops-bastion, office-admin,
// legacy-admin, debug-wide-open). Advance makes the next epoch from the last: instances come
// and go, replacements take freed addresses, ports are opened by hand, debug servers are left
// running, packages move up and down, images roll out, rules are added and removed; Events
// says what changed.
//
// Config.Unlisted adds the hard cases no port list predicts (unlisted.go): public instances
// behind an all-traffic security group (IpProtocol -1 from 0.0.0.0/0) with telnet or VNC on
// high ports that neither nmap-services nor any rule names (serious: the internet reaches them),
// and, at every later epoch, a service started by hand on such a port of a wide-open instance
// (serious) and of a closed one (info). They draw from their own random stream: an estate
// without them is exactly what it was.
//
// From an Estate come:
//
//   - WriteAWS: the inventory, as `aws ec2 describe-instances` and `describe-security-groups`
//     print it (what features/inventory imports);
//   - Observations: what a perfect deep scan (nmap -sV -sC, riskmap's deep tier) would report
//     of every open port, named as nmap 7.93 names it, with the script output findings read
//     (Instance.NmapDeep; Instance.Nmap and NmapLight for -sV and --version-light), for scan
//     history without a lab;
//   - Truth: every listening service with its ground-truth severity (the labels' target);
//   - datasets/lab serves the same estate on loopback for the real nmap to scan.
//
// Every instance's private address (LabIP) is in 127.0.0.0/8 (127.(10+v).s.h for VPC v, subnet
// s); public addresses are data only, from 203.0.113.0/24 and 198.51.100.0/24, then 198.18.0.0/15.
// Nothing here sends a packet.
//
// # Noise, so that models must learn
//
// Each AMI build has a latent risk that no inventory field shows: riskier builds turn
// credentials off more often and compile vulnerable releases from source (Apache 2.4.49/2.4.50,
// vsftpd 2.3.4); instances of one build share its settings (neighbours share risk) with 8% of
// instances flipped. Each group has a latent carelessness that opens ports to 0.0.0.0/0, keeps
// stale rules for ports nothing listens on, attaches the legacy-admin and debug-wide-open
// groups, and runs older images. Not every redis is exposed; not every exposed port listens.
//
// # Severity
//
// Truth gives each listening service the severity below when the internet can reach it (the
// instance has a public address and a security group rule from 0.0.0.0/0 or ::/0 covers the
// port). Reachable only from the VPC, the office (192.0.2.0/24), 10.0.0.0/8 or a security
// group: two steps lower (critical becomes medium). No rule allows it: info. Serious means
// high or critical, so only internet exposures are serious.
//
//	kind                 condition                      internet severity
//	telnetd              any                            critical  cleartext remote login
//	vsftpd               2.3.4                          critical  backdoor, CVE-2011-2523
//	vsftpd               anonymous login (no Auth)      high
//	vsftpd               credentials                    medium
//	apache               2.4.49 / 2.4.50                critical  CVE-2021-41773 / CVE-2021-42013 (CISA KEV)
//	apache, nginx        other versions                 info
//	docker               2375 without TLS               critical  root on the host
//	etcd                 2379 client API                critical  the cluster's secrets
//	kubelet              anonymous auth (no Auth)       critical  exec in any pod
//	kubelet              authenticated                  high
//	kube-apiserver       6443                           medium
//	redis                no requirepass / requirepass   critical / medium
//	mongodb              no --auth / --auth             critical / medium
//	elasticsearch        no security / security         critical / medium
//	kibana               no auth / auth                 high / medium
//	vnc                  no auth / password             critical / medium
//	jupyter              no token / token               critical / medium
//	werkzeug (debug)     debugger console               critical
//	python-http (debug)  directory listing              high
//	memcached            any                            high
//	zookeeper            any                            high
//	rdp                  any                            high
//	winrm                HTTP                           high
//	openssh              7.2p2 / newer                  medium / low
//	mysql, postgresql    any                            medium
//	rabbitmq-management  any                            medium
//	amqp, postfix, exim  any                            low
//
// What nmap can see of these: redis and MongoDB with credentials report no version (and
// MongoDB says "not authorized"); Elasticsearch with security says "Shield plugin"; VNC's and
// FTP's settings show only to NSE scripts (vnc-info, ftp-anon); kubelet's and Kibana's not at
// all. Features never see Truth, only the inventory and the scans.
//
// # Dropped
//
// Kafka (9092) is not in the images: nmap 7.93 has no probe that names it, so -sV would spend
// its full probe list (about 90 s) on every broker.
package estate
