// Package inventory turns what the cloud CLIs print into riskmap assets, with each asset's
// exposure worked out from the security rules that apply to it.
//
// # Data flow
//
// An Importer takes files one at a time (Add), in any order: instance lists and rule lists of
// one or more providers, CSV and JSON Lines tables. Add recognises each file's shape from its
// content (and a .csv, .jsonl or .ndjson extension), checks it, and keeps what it describes.
// Assets then joins instances to their rules, evaluates the rules, stamps SnapshotTime and
// returns the assets sorted by ID with warnings about what could not be joined. WriteCSV and
// WriteJSONL write assets back in the table format that Add reads.
//
//	files ──Add──> instances, NICs, rule sets (per provider) ──Assets──> []riskmap.Asset + warnings
//
// # Shapes
//
// AWS:
//   - aws ec2 describe-instances, CLI v1 or v2 ({"Reservations": [{"OwnerId", "Instances": [...]}]});
//     v2 prints timestamps with an offset ("+00:00") where v1 prints the API's "...000Z", which
//     is how FileSummary.Shape tells them apart.
//   - aws ec2 describe-security-groups ({"SecurityGroups": [...]}).
//
// Azure:
//   - az vm list -d (with publicIps, privateIps, fqdns, powerState) and az vm list (without them;
//     the summary warns that the file has no addresses).
//   - az network nsg list (securityRules and defaultSecurityRules; Azure's three inbound
//     defaults are assumed when a file leaves defaultSecurityRules out).
//   - az network nic list, which joins NICs to their NSG, subnet and addresses.
//
// GCP:
//   - instances: gcloud compute instances list --format=json (an array), the compute API's
//     instances.list ({"items": [...]}) and instances.aggregatedList ({"items": {"zones/Z":
//     {"instances": [...]}}}).
//   - firewall rules: gcloud compute firewall-rules list --format=json or firewalls.list.
//   - effective firewalls: gcloud compute networks get-effective-firewalls NETWORK
//     --format=json ({"firewalls": [...], "firewallPolicys": [...]}): the network's VPC rules
//     and its hierarchical and network firewall policies, with their rules.
//   - An API list with no "items" (what the API returns for an empty list) is a valid,
//     empty inventory.
//
// # Asset fields
//
// AWS: ID is InstanceId; Account the reservation's OwnerId; Region the availability zone;
// Network the VpcId; Subnet the SubnetId; Image the ImageId; Group the aws:autoscaling:groupName
// tag; addresses from the instance and every network interface (global IPv6 addresses count as
// public); OSFamily windows when Platform or PlatformDetails says so, else linux (EC2 leaves
// Platform blank for everything that is not Windows); SecurityGroups from the instance and its
// interfaces.
//
// Azure: ID is vmId (stable across redeployments), or the resource id when vmId is absent;
// Account the subscription; Region the location; Network and Subnet the virtual network and
// subnet resource ids (known when az network nic list was added); Image the image resource id,
// or publisher:offer:sku:version; Group the scale set id; OSFamily from the OS disk;
// SecurityGroups the ids of the NSGs that apply.
//
// GCP: ID is the numeric instance id; Account the project; Region the zone; Network and Subnet
// the paths "projects/P/global/networks/N" and "projects/P/regions/R/subnetworks/S"; labels
// become tags, and network tags one tag "gcp:network-tags" (comma-separated); Group is the
// created-by metadata (the instance group manager); Image the machine image, or else the boot
// disk's license name; OSFamily from the boot disk's guest OS features and license;
// SecurityGroups the names of the firewall rules that apply.
//
// # Exposure
//
// Exposed lists what the rules let in: protocol, inclusive port range and source. Proto is
// tcp, udp, icmp, all (every protocol, ports 0-65535), another protocol by name (esp, ah, gre,
// sctp, ipip, or its number), or "other" (every protocol but tcp, udp and icmp, which is what
// remains of "all" once a deny removes part of tcp or udp). Only tcp and udp have ports; the
// others are always 0-65535, and ICMP types are not kept. Sources are CIDRs, security group or
// prefix list ids (AWS), service tags and application security group ids (Azure), "tag:NAME"
// and "serviceAccount:EMAIL" (GCP source tags and service accounts), "*" for everything, and
// "Private": every source that is not the internet, which is what Azure's "*" leaves after a
// deny from Internet.
//
//   - AWS: the union of the instance's groups' IpPermissions (security groups only allow).
//     IpProtocol "-1" is every protocol and port; numbers map to names (6 tcp, 17 udp, 1 and 58
//     icmp, 50 esp, ...). A referenced group becomes Source = its group id.
//   - Azure: inbound rules in priority order, first match wins. A NIC is governed by its own
//     NSG and its subnet's; when both exist a packet must pass both and the two results are
//     intersected. A rule whose destination prefix holds none of the NIC's addresses (when they
//     are known) does not apply. Exposure is the union over the VM's NICs.
//   - GCP: the enabled INGRESS rules of the NIC's network (same project) whose target matches
//     the instance (a target tag, a target service account, or no target: every instance),
//     lowest priority number first and deny before allow at equal priority. A rule without
//     sources admits 0.0.0.0/0. Rules of firewall policies (from get-effective-firewalls)
//     go around them: hierarchical policies first, network policies after, each by priority;
//     allow and deny decide, goto_next passes its packets on to the next level, and
//     apply_security_profile_group is read as allow. A policy rule that targets secure tags
//     (which instance lists do not show) is applied when it allows and not when it denies.
//
// Rules are evaluated exactly where sources nest or are disjoint. An earlier deny removes a
// later allow only where the deny's source contains the allow's (0.0.0.0/0 contains every IPv4
// range and tag, Internet every public range, "*" everything); a deny from a narrower source
// leaves the allow whole. Where containment cannot be told the result may over-state exposure;
// it never hides any.
//
// InternetExposedPorts are the tcp and udp ports open to 0.0.0.0/0, ::/0, "*", Any or Internet.
// A range wider than 1024 ports (an all-ports rule included) is not expanded into it; it stays
// in Exposed, where Exposure.AllPorts and the range tell it. The list keeps at most 1024 ports,
// the lowest, and Assets warns when it cut one.
//
// FileSummary.Rules counts ingress rule entries: one per rule (AWS IpPermission, Azure
// inbound rule, GCP allowed/denied entry of an INGRESS rule) and source listed (CIDR, group,
// prefix list, tag, service account), allow and deny alike; for tables, one per exposed entry.
//
// What is not known is said, not guessed: an instance that names a security group, NSG or NIC
// no file described, a VM no NSG applies to (Azure then allows everything, but the NSG may
// simply not have been exported; its exposure is left empty), a provider whose rule files were
// not added at all.
//
// # CSV and JSON Lines
//
// A CSV file has a header row naming columns (any order, any case; only asset_id is required;
// unknown columns are ignored with a warning); a JSON Lines file has one object per line with
// the same names as keys. The columns, which Columns lists in order:
//
//	asset_id         stable id of the asset (required, unique in the file)
//	provider         aws, azure, gcp, vsphere...; empty means the table format (csv or jsonl)
//	account          AWS account, Azure subscription, GCP project, or your own grouping
//	region           region or zone
//	network          VPC, VNet, VLAN...
//	subnet           subnet id or CIDR
//	kind             vm, lb, db, container, function or other; empty means vm
//	state            as the source says it (running, stopped, ...)
//	image            AMI, image id or template
//	group            auto-scaling group, scale set, instance group or cluster
//	private_ips      IP addresses, ';'-separated
//	public_ips       IP addresses, ';'-separated
//	dns_names        names, ';'-separated
//	tags             key=value pairs, ';'-separated ("env=prod;owner=web")
//	launched_at      RFC 3339 time, e.g. 2024-05-01T12:00:00Z
//	os_family        linux, windows or empty
//	security_groups  ids, ';'-separated
//	exposed          proto:ports:source entries, ';'-separated: "tcp:22:0.0.0.0/0;tcp:8000-8100:10.0.0.0/8";
//	                 ports is a port, a range or *; "all:*:sg-0abc" is every protocol
//
// In list and tag values a backslash escapes the next character, so "note=a\;b" is the tag
// note with value "a;b"; WriteCSV writes these escapes. In JSON Lines, list columns may also be
// arrays of strings (taken as they are, without escapes) and tags an object of strings.
// Surrounding spaces are trimmed and empty entries dropped; addresses are written canonically.
//
// # Errors
//
// Add returns *ParseError values naming the file, the line and column, the JSON path
// (Reservations[0].Instances[2].InstanceId) or CSV column, and what was expected; they wrap
// ErrSyntax, ErrShape, ErrMissing, ErrValue or ErrProvider for errors.Is. A file that fails
// adds nothing.
package inventory
