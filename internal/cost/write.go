package cost

import (
	"encoding/json"
	"fmt"
	"io"
)

// Write encodes the table in its canonical form (sorted keys, two-space
// indent, final newline), the form the generator writes and the repository
// keeps, so a regenerated table diffs line by line.
func (t *Table) Write(w io.Writer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the price table: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing the price table: %w", err)
	}
	return nil
}

// OnDemand is the on-demand Linux price per hour of an instance type in a
// region; ok is false when the table does not have it.
func (t *Table) OnDemand(region, instanceType string) (perHour float64, ok bool) {
	r, ok := t.Regions[region]
	if !ok {
		return 0, false
	}
	p, ok := r.Instances[instanceType]
	return p, ok
}

// SpotEstimate is the estimated spot price per hour: the on-demand price
// less the family's assumed discount. ok is false when the table lacks the
// on-demand price or the family's discount.
func (t *Table) SpotEstimate(region, instanceType string) (perHour, discount float64, ok bool) {
	od, ok := t.OnDemand(region, instanceType)
	if !ok {
		return 0, 0, false
	}
	d, ok := t.Spot.Discounts[Family(instanceType)]
	if !ok {
		return 0, 0, false
	}
	return od * (1 - d), d, true
}

// StorageIn returns a region's storage prices; ok is false for a region
// the table does not cover.
func (t *Table) StorageIn(region string) (Storage, bool) {
	r, ok := t.Regions[region]
	return r.Storage, ok
}
