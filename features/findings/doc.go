// Package findings turns observations into findings: the labels the risk model learns from.
//
// Rules are data. The defaults ship in default_rules.yaml (embedded; DefaultRules,
// DefaultRulesYAML); a user file in the same format (LoadRules) is laid over them with Merge:
// same id replaces, new id adds, enabled: false removes. LoadRules refuses unknown keys and
// names the line and field of every problem (*RuleError).
//
// Evaluation joins three sources at the moment rules run, never earlier:
//
//	Input{Asset, Observations, Host}  one host of one scan, and its inventory asset
//	  + exposure   the asset's security rules (Asset.Exposed, InternetExposedPorts) say
//	               whether a port is open to the internet; rules can require it
//	               (internet: true/false) and escalate on it (internet_severity)
//	  + KEV        intel.KEV.Match on the port's CPEs, product and version
//	  + EPSS       a lookup function (intel.EPSS.Lookup) applied to the CVEs tied to a port
//	-> Rules.Evaluate -> []riskmap.Finding, sorted, evidence saying what matched
//
// EPSS is never written into a rule: a rule holds a threshold, and the score is looked up
// when it runs, so findings follow the latest feed.
//
// Access checks (scanner/nse and nmap's own) make "reachable" and "confirmed" different
// findings: a rule on a check's "access: unauthenticated" output is its own finding, and a
// rule's downgrade block lowers its severity when a check proves credentials are required
// (the evidence says from what). Rules.Confirmation reads a finding's status back; Remedies
// and Action name the rule to change in AWS, Azure or GCP; WriteSARIF and WriteDefectDojo
// export findings for the tools teams run (Export, one result per Fingerprint).
//
// ValidateExposure is the other direction, security-group validation: it compares an asset's
// security rules with its recent scans and reports open ports that no rule allows (sg-bypass)
// and internet rules where nothing listened (sg-unused-open, with the rule in the evidence).
package findings
