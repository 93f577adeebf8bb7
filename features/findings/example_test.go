package findings_test

import (
	"fmt"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
)

func ExampleRules_Evaluate() {
	rules, err := findings.DefaultRules()
	if err != nil {
		panic(err)
	}
	asset := &riskmap.Asset{ID: "i-0123", PublicIPs: []string{"203.0.113.7"},
		Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 6379, ToPort: 6379, Source: "0.0.0.0/0"}}}
	obs := []riskmap.Observation{{ScanID: "scan-1", IP: "203.0.113.7", Port: 6379, Proto: "tcp", State: "open",
		Service: "redis", Product: "Redis key-value store", Version: "7.0.11"}}
	for _, f := range rules.Evaluate(findings.Input{Asset: asset, Observations: obs}, nil, nil) {
		fmt.Println(f.RuleID, f.Severity)
		fmt.Println(f.Evidence)
	}
	// Output:
	// redis-exposed critical
	// 6379/tcp open (redis Redis key-value store 7.0.11); service redis; internet-exposed by security rule tcp 6379 from 0.0.0.0/0
}

func ExampleValidateExposure() {
	asset := &riskmap.Asset{ID: "i-0123", PublicIPs: []string{"203.0.113.7"},
		Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 443, ToPort: 443, Source: "0.0.0.0/0"},
			{Proto: "tcp", FromPort: 8080, ToPort: 8080, Source: "0.0.0.0/0"}}}
	newest := []riskmap.Observation{
		{ScanID: "scan-2", IP: "203.0.113.7", Port: 443, Proto: "tcp", State: "open", Service: "https"},
		{ScanID: "scan-2", IP: "203.0.113.7", Port: 5432, Proto: "tcp", State: "open", Service: "postgresql"},
	}
	for _, f := range findings.ValidateExposure(asset, [][]riskmap.Observation{newest}) {
		fmt.Println(f.RuleID, f.Port, f.Severity)
	}
	// Output:
	// sg-bypass 5432 high
	// sg-unused-open 8080 low
}
