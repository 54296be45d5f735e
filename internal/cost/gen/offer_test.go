package main

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func fixture(t *testing.T, service, region string, keep func(product) bool) *offer {
	t.Helper()
	o, err := load(context.Background(), dirSource{Dir: "testdata/offers"}, service, region, keep)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestFiltersKeepWhatAnMlforgeHostPays(t *testing.T) {
	fams := map[string]bool{"t3": true, "m7i-flex": true, "g5": true}
	for _, tc := range []struct {
		service string
		keep    func(product) bool
		want    []string
	}{
		{"AmazonEC2", linuxInstance(fams), []string{"AG5XLARGE000001", "AM7IFLEX0000001", "AT3LINUX0000001"}},
		{"AmazonEC2", gp3Product, []string{"AGP3IOPS0000001", "AGP3STORAGE0001", "AGP3THROUGHPUT1"}},
		{"AmazonS3", s3Standard, []string{"AS3STANDARD0001"}},
		{"AmazonECR", ecrStorage, []string{"AECRSTORAGE0001"}},
		{"AmazonVPC", publicIPv4, []string{"AIPV4INUSE00001"}},
	} {
		o := fixture(t, tc.service, "us-east-1", tc.keep)
		got := sortedSKUs(o)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: kept %v, want %v", tc.service, got, tc.want)
		}
		if len(o.OnDemand) == 0 || o.PublicationDate != "2026-11-20T18:00:00Z" {
			t.Errorf("%s: %d on-demand terms, published %q", tc.service, len(o.OnDemand), o.PublicationDate)
		}
	}
	// Reserved terms are skipped: the t3.large price is the on-demand one.
	o := fixture(t, "AmazonEC2", "us-east-1", linuxInstance(fams))
	if d := o.OnDemand["AT3LINUX0000001"]; len(d) != 1 || d[0].USD != 0.0832 || d[0].Unit != "Hrs" {
		t.Errorf("t3.large on-demand dimensions: %+v", d)
	}
	// S3 Standard's first tier (0-50 TB) is the price.
	s3 := fixture(t, "AmazonS3", "eu-west-2", s3Standard)
	if p, err := storagePrice(s3); err != nil || p != 0.024 {
		t.Errorf("S3 Standard eu-west-2 = %v, %v; want 0.024", p, err)
	}
}

func TestOfferErrors(t *testing.T) {
	all := func(product) bool { return true }
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not json", `<html>`, "invalid character"},
		{"no offer code", `{"products": {}}`, "no offerCode"},
		{"bad price", `{"offerCode": "AmazonEC2", "terms": {"OnDemand": {"S1": {"S1.T": {"priceDimensions": {"S1.T.R": {"unit": "Hrs", "beginRange": "0", "pricePerUnit": {"USD": "free"}}}}}}}}`, `price "free" is not a number`},
		{"truncated", `{"offerCode": "AmazonEC2", "products": {"S1": {"sku": "S1"`, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readOffer(strings.NewReader(tc.body), all)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSelectionErrors(t *testing.T) {
	inst := func(sku, typ string) product {
		return product{SKU: sku, ProductFamily: "Compute Instance", Attributes: map[string]string{"instanceType": typ}}
	}
	ambiguous := &offer{Code: "AmazonEC2", Products: map[string]product{"S1": inst("S1", "t3.large"), "S2": inst("S2", "t3.large")},
		OnDemand: map[string][]dimension{"S1": {{Unit: "Hrs", BeginRange: "0", USD: 0.0832}}, "S2": {{Unit: "Hrs", BeginRange: "0", USD: 0.0915}}}}
	if _, err := instancePrices(ambiguous); err == nil || !strings.Contains(err.Error(), "SKUs S1 and S2 both price t3.large") {
		t.Errorf("ambiguous: %v", err)
	}
	noPrice := &offer{Code: "AmazonEC2", Products: map[string]product{"S1": inst("S1", "t3.large")}, OnDemand: map[string][]dimension{}}
	if _, err := instancePrices(noPrice); err == nil || !strings.Contains(err.Error(), "SKU S1 has no on-demand price per Hrs") {
		t.Errorf("no price: %v", err)
	}
	if _, err := gp3Prices(&offer{Code: "AmazonEC2"}); err == nil || !strings.Contains(err.Error(), "gp3 prices incomplete") {
		t.Errorf("no gp3: %v", err)
	}
	two := &offer{Code: "AmazonECR", Products: map[string]product{"E1": {SKU: "E1"}, "E2": {SKU: "E2"}},
		OnDemand: map[string][]dimension{"E1": {{Unit: "GB-Mo", USD: 0.1}}, "E2": {{Unit: "GB-Mo", USD: 0.2}}}}
	if _, err := storagePrice(two); err == nil || !strings.Contains(err.Error(), "storage SKUs disagree") {
		t.Errorf("disagreeing storage: %v", err)
	}
	twoIPs := &offer{Code: "AmazonVPC", Products: map[string]product{"V1": {SKU: "V1"}, "V2": {SKU: "V2"}},
		OnDemand: map[string][]dimension{"V1": {{Unit: "Hrs", USD: 0.005}}, "V2": {{Unit: "Hrs", USD: 0.006}}}}
	if _, err := hourlyPrice(twoIPs); err == nil || !strings.Contains(err.Error(), "SKUs disagree") {
		t.Errorf("disagreeing IPv4 prices: %v", err)
	}
	if _, err := hourlyPrice(&offer{Code: "AmazonVPC"}); err == nil || !strings.Contains(err.Error(), "no price per hour") {
		t.Errorf("no IPv4 price: %v", err)
	}
}

// An offer file must be the service's and the region's.
func TestLoadChecksServiceAndRegion(t *testing.T) {
	dir := t.TempDir()
	ec2, err := os.ReadFile("testdata/offers/AmazonEC2/current/us-east-1/index.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"AmazonS3/current/us-east-1", "AmazonEC2/current/eu-west-1"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p, "index.json"), ec2, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := func(product) bool { return true }
	var errs []string
	for _, c := range [][2]string{{"AmazonS3", "us-east-1"}, {"AmazonEC2", "eu-west-1"}, {"AmazonECR", "us-east-1"}} {
		_, err := load(context.Background(), dirSource{Dir: dir}, c[0], c[1], all)
		if err == nil {
			t.Fatalf("%v: no error", c)
		}
		errs = append(errs, err.Error())
	}
	sort.Strings(errs)
	for i, want := range []string{`offer "AmazonEC2", want AmazonS3`, "is priced for us-east-1, not eu-west-1", "opening the offer file"} {
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e, want)
		}
		if !found {
			t.Errorf("%d: no error says %q: %q", i, want, errs)
		}
	}
}
