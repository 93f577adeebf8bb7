package scanner_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

// net.DefaultResolver is what production code passes to Scope.Resolve.
var _ scanner.Resolver = net.DefaultResolver

func ExampleScope_Resolve() {
	scope, err := scanner.ParseScope([]string{"10.0.0.0/24"}, []string{"10.0.0.5"})
	if err != nil {
		panic(err)
	}
	specs, err := scanner.ParseTargets([]string{"10.0.0.4-6", "db.internal", "192.0.2.1"})
	if err != nil {
		panic(err)
	}
	// A stand-in for net.DefaultResolver: the name resolves once, to one address in scope and
	// one outside it.
	dns := scanner.ResolverFunc(func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("203.0.113.9")}, nil
	})
	in, refused, err := scope.Resolve(context.Background(), dns, specs)
	if err != nil {
		panic(err)
	}
	fmt.Println("scan:", in)
	for _, r := range refused {
		fmt.Println("refused:", r)
	}
	// Output:
	// scan: [10.0.0.4 10.0.0.6 10.0.0.9]
	// refused: 10.0.0.4-6 (10.0.0.5): excluded from scope: 10.0.0.5 is inside exclude 10.0.0.5/32
	// refused: db.internal (203.0.113.9): out of scope: 203.0.113.9 is inside no allowed prefix
	// refused: 192.0.2.1 (192.0.2.1): out of scope: 192.0.2.1 is inside no allowed prefix
}

func ExampleWriteTargets() {
	scope, err := scanner.ParseScope([]string{"10.0.0.0/16"}, nil)
	if err != nil {
		panic(err)
	}
	targets := []riskmap.Target{
		{AssetID: "i-1", IP: "10.0.3.7", Ports: []int{6379, 22}, Tier: riskmap.TierDeep, Priority: 0.9},
		{AssetID: "i-2", IP: "10.0.8.1", Ports: []int{443}, Tier: riskmap.TierLight, Priority: 0.4},
		{AssetID: "i-3", IP: "172.16.0.1", Tier: riskmap.TierLight, Priority: 0.3},
	}
	refused, err := scanner.WriteTargets(os.Stdout, scanner.FormatNuclei, scope, targets)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(refused), "refused:", refused[0].Spec)
	// Output:
	// 10.0.3.7:22
	// 10.0.3.7:6379
	// 10.0.8.1:443
	// 1 refused: i-3
}
