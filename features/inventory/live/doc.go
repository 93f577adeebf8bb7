// Package live keeps the inventory up to date from the cloud providers' own APIs, through
// their SDKs: aws-sdk-go-v2 (EC2), the Azure SDK for Go (Resource Manager compute and
// network) and google.golang.org/api (Compute Engine).
//
// # Data flow
//
//	Syncer.Sync ── SDK list calls, paged ──> documents in the CLI export shapes
//	            ── inventory.Importer (the export importer's own mapping) ──> assets
//	            ── Ledger.Apply ──> fingerprint, changes, the next ledger
//
// A sync does not map API objects itself: it writes what the SDK returned in the shape the
// provider's CLI prints (EC2's types marshal to the CLI's keys; Azure's are flattened as az
// flattens them; GCP's are the REST objects gcloud prints) and hands those documents to
// features/inventory. An API listing and a CLI export of the same estate therefore give the
// same assets and exposure.
//
// # What is read
//
//   - AWS, per region (Config.Regions, or every region DescribeRegions lists as enabled):
//     DescribeInstances, DescribeSecurityGroups and DescribeNetworkInterfaces, with the SDK's
//     paginators. In-use interfaces that no instance owns (load balancers, NAT gateways,
//     Lambda, RDS, ECS tasks) become assets of kind lb, other, function, db or container.
//     Credentials: the SDK's default chain, or a profile, and an assumed role on top.
//   - Azure, per subscription: virtual machines (with their instance view, for the power
//     state), network interfaces, public IP addresses and network security groups (with
//     their default rules). Credentials: azidentity's DefaultAzureCredential.
//   - GCP, per project: instances.aggregatedList, firewalls.list, and for every network the
//     instances use, networks.getEffectiveFirewalls (the VPC rules with the hierarchical and
//     network firewall policies around them, which the importer evaluates, as it does
//     `gcloud compute networks get-effective-firewalls` output). Credentials: Application
//     Default Credentials.
//
// Every call is a read (Describe*, list, get).
//
// # Rate limits
//
// Every request of a scope (an AWS region, an Azure subscription, a GCP project) takes a
// token from the scope's Bucket first, retries included, at Config.Rate (defaults below each
// provider's published limit, see DefaultRate). A throttling answer (HTTP 429, EC2's
// RequestLimitExceeded and the other throttling codes) is counted, halves the bucket's rate
// and, with a Retry-After, pauses the bucket until then; the SDK's own retryer (AWS's
// standard retryer, azcore's retry policy, riskmap's page retry for GCP, whose generated
// client does not retry) resends with jittered exponential backoff up to
// Config.MaxAttempts. A throttled sync is slower, and fails only when the deadline passes.
//
// # Ephemeral resources
//
// The Ledger remembers every asset a sync has listed. An asset missing from a sync is
// marked gone with the time (LedgerEntry.GoneAt); its rows in earlier snapshots stay. An
// address held by another asset than at the last sync is a Move. The snapshot a changed sync
// writes makes the new holder the one scans of that address join to from then on (the scan
// ingest joins an address to the asset that held it in the latest snapshot at or before the
// scan).
//
// # Incremental
//
// Fingerprint hashes the mapped assets (without the snapshot time). A sync whose
// fingerprint equals the ledger's has Changed false, and callers write no snapshot.
package live
