package inventory

import (
	"slices"
	"strings"
)

// Providers are the inventory sources riskmap reads, in the order it names them: the one list
// that the importer, the workspace configuration and the CLI check a provider against.
var Providers = []string{"aws", "azure", "gcp", "csv", "jsonl"}

// KnownProvider says whether p is one of Providers.
func KnownProvider(p string) bool { return slices.Contains(Providers, p) }

// ProviderList names the providers for a message: "aws, azure, gcp, csv or jsonl".
func ProviderList() string {
	return strings.Join(Providers[:len(Providers)-1], ", ") + " or " + Providers[len(Providers)-1]
}
