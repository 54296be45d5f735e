// Package cost prices an mlforge environment on AWS before and after it
// exists: a dated price table embedded in the binary (regenerated from
// AWS's public price list by `go run ./internal/cost/gen`), an estimate of
// what an environment costs per hour and per month (running or stopped),
// and renderers for people (a table) and programs (a stable JSON shape).
//
// A price missing from the table is never taken as zero: the line shows
// as unknown and the totals become a lower bound ("at least").
package cost

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// HoursPerMonth is the month the estimates use: AWS's own convention
// (365 days × 24 h / 12, rounded).
const HoursPerMonth = 730

// Source is where the table's prices come from, as the generator writes it.
const Source = "AWS Price List API, offer index AmazonEC2/AmazonS3/AmazonECR/AmazonVPC (https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json): on-demand, Linux, shared tenancy; gp3 storage, S3 Standard first 50 TB tier, ECR storage, public IPv4 (AmazonVPC)"

// Regenerate is the command that rewrites the table from the price list.
const Regenerate = "go run ./internal/cost/gen"

// TableVersion is the version of the table's format this package reads.
const TableVersion = 1

// Table is the price table: on-demand Linux prices per region and
// instance type, storage prices per region, and the spot assumption.
type Table struct {
	Version    int               `json:"version"`
	Date       string            `json:"date"` // the prices' date, YYYY-MM-DD
	Currency   string            `json:"currency"`
	Source     string            `json:"source"`
	Regenerate string            `json:"regenerate"`
	Notes      []string          `json:"notes,omitempty"`
	Spot       Spot              `json:"spot"`
	Regions    map[string]Region `json:"regions"`
}

// Spot says how spot prices are estimated: the price list has none.
type Spot struct {
	Method string `json:"method"`
	// Discounts maps an instance family ("t3", "g5") to the assumed
	// saving over on-demand, between 0 and 1.
	Discounts map[string]float64 `json:"discounts"`
}

// Region holds one region's prices.
type Region struct {
	Storage Storage `json:"storage"`
	// PublicIPv4Hour is the price of a public IPv4 address per hour (each
	// running host has one; AWS bills them since February 2024).
	PublicIPv4Hour float64 `json:"publicIPv4Hour"`
	// Instances maps an instance type to its on-demand Linux price per hour.
	Instances map[string]float64 `json:"instances"`
}

// Storage prices, per month. gp3 includes 3,000 IOPS and 125 MiB/s per
// volume; IOPS and throughput above that are billed separately.
type Storage struct {
	GP3GBMonth              float64 `json:"gp3GBMonth"`
	GP3IOPSMonth            float64 `json:"gp3IOPSMonth"`
	GP3ThroughputMiBpsMonth float64 `json:"gp3ThroughputMiBpsMonth"`
	S3StandardGBMonth       float64 `json:"s3StandardGBMonth"`
	ECRGBMonth              float64 `json:"ecrGBMonth"`
}

var (
	regionRe = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)
	typeRe   = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
)

// maxHourly bounds instance prices: the most expensive EC2 types cost
// about $400/h, so anything far above is a unit mistake in the table.
const maxHourly = 1000

// Parse decodes and checks a price table.
func Parse(b []byte) (*Table, error) {
	var t Table
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("reading the price table: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks every field, naming the first one that is wrong.
func (t *Table) Validate() error {
	switch {
	case t.Version != TableVersion:
		return fmt.Errorf("price table: version %d, this mlforge reads version %d", t.Version, TableVersion)
	case t.Currency != "USD":
		return fmt.Errorf("price table: currency %q, want USD", t.Currency)
	case t.Source == "" || t.Regenerate == "":
		return fmt.Errorf("price table: source and regenerate must say where the prices come from")
	case len(t.Regions) == 0:
		return fmt.Errorf("price table: no regions")
	}
	if _, err := time.Parse(time.DateOnly, t.Date); err != nil {
		return fmt.Errorf("price table: date %q is not YYYY-MM-DD", t.Date)
	}
	for fam, d := range t.Spot.Discounts {
		if d <= 0 || d >= 1 {
			return fmt.Errorf("price table: spot discount of %s is %v, want between 0 and 1", fam, d)
		}
	}
	for _, name := range t.RegionNames() {
		if err := t.Regions[name].validate(name); err != nil {
			return err
		}
	}
	return nil
}

func (r Region) validate(name string) error {
	if !regionRe.MatchString(name) {
		return fmt.Errorf("price table: %q is not a region code", name)
	}
	s := r.Storage
	for _, p := range []struct {
		field string
		v     float64
	}{{"gp3GBMonth", s.GP3GBMonth}, {"gp3IOPSMonth", s.GP3IOPSMonth}, {"gp3ThroughputMiBpsMonth", s.GP3ThroughputMiBpsMonth},
		{"s3StandardGBMonth", s.S3StandardGBMonth}, {"ecrGBMonth", s.ECRGBMonth}, {"publicIPv4Hour", r.PublicIPv4Hour}} {
		if p.v <= 0 {
			return fmt.Errorf("price table: %s %s is %v, want a price above 0", name, p.field, p.v)
		}
	}
	for typ, p := range r.Instances {
		if !typeRe.MatchString(typ) {
			return fmt.Errorf("price table: %s: %q is not an instance type", name, typ)
		}
		if p <= 0 || p > maxHourly {
			return fmt.Errorf("price table: %s %s costs %v/h, want above 0 and at most %d", name, typ, p, maxHourly)
		}
	}
	return nil
}

// RegionNames lists the table's regions, sorted.
func (t *Table) RegionNames() []string {
	names := make([]string, 0, len(t.Regions))
	for n := range t.Regions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Family is the instance family of a type: "m7i-flex" for "m7i-flex.large".
func Family(instanceType string) string {
	fam, _, _ := strings.Cut(instanceType, ".")
	return fam
}
