package models_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/riskmap/riskmap/models"
)

// TopReasons turns contributions into the reasons shown next to a score: only features that
// raised it, largest first.
func ExampleTopReasons() {
	names := []string{"public_ip", "admin_ports_open", "age_days", "kev_products"}
	row := []float32{1, 2, 412, 0}
	contrib := []float32{0.12, 0.51, -0.3, 0}
	for _, r := range models.TopReasons(names, row, contrib, 3) {
		fmt.Println(r)
	}
	// Output:
	// admin_ports_open=2 (+0.51)
	// public_ip=1 (+0.12)
}

// Bytes that are not an ONNX model are ErrCorrupt; a model that breaks the contract is a
// *ContractError naming the field.
func ExampleParse() {
	_, err := models.Parse([]byte("not a model"))
	// (The protobuf reason that follows is deliberately unstable text, so it is not printed.)
	fmt.Println(errors.Is(err, models.ErrCorrupt), strings.SplitN(err.Error(), ":", 2)[0])
	// Output:
	// true corrupt onnx model
}
