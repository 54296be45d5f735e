package cost

import (
	_ "embed"
	"fmt"
)

//go:embed prices.json
var embedded []byte

// Default returns the price table built into this binary.
func Default() (*Table, error) {
	t, err := Parse(embedded)
	if err != nil {
		return nil, fmt.Errorf("the built-in %w", err)
	}
	return t, nil
}
