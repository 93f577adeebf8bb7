package estate_test

import (
	"fmt"
	"io"

	"github.com/riskmap/riskmap/datasets/estate"
)

// Generate an estate, let it drift a day, and look at what changed and what is serious.
func Example() {
	e := estate.Generate(estate.DefaultConfig())
	next := e.Advance()
	kinds := map[string]int{}
	for _, ev := range next.Events {
		kinds[ev.Kind]++
	}
	fmt.Println(len(e.Instances), "instances at epoch", e.Epoch)
	fmt.Println("epoch", next.Epoch, "opened by hand:", kinds[estate.EventPortOpened], "debug services:", kinds[estate.EventDebugService])
	fmt.Println("serious exposures:", len(e.Serious()), "then", len(next.Serious()))
	if err := next.WriteAWS(io.Discard, io.Discard); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 200 instances at epoch 0
	// epoch 1 opened by hand: 1 debug services: 1
	// serious exposures: 12 then 11
}
