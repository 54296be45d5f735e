package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/cost"
)

// priceListServer serves testdata/offers the way the price list API
// serves offer files, and counts the requests.
func priceListServer(t *testing.T) (string, *int) {
	t.Helper()
	n := new(int)
	files := http.StripPrefix("/offers/v1.0/aws/", http.FileServer(http.Dir("testdata/offers")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*n++
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, n
}

// outWithDiscounts is a table path holding the test table, whose spot
// discounts (g5, t3) the generator must keep.
func outWithDiscounts(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "table.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func generate(t *testing.T, args ...string) (*cost.Table, []byte, string) {
	t.Helper()
	var log bytes.Buffer
	o, err := parseFlags(args, &log)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), o); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	b, err := os.ReadFile(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := cost.Parse(b)
	if err != nil {
		t.Fatalf("the generated table does not load: %v\n%s", err, b)
	}
	return tab, b, log.String()
}

func TestGenerateFromThePriceList(t *testing.T) {
	base, requests := priceListServer(t)
	out := outWithDiscounts(t)
	tab, written, log := generate(t, "-base", base, "-out", out, "-regions", "us-east-1,eu-west-2",
		"-families", "t3,m7i-flex,g5", "-date", "2026-11-21")
	if *requests != 8 {
		t.Errorf("%d requests, want 8 (4 services x 2 regions)", *requests)
	}
	want := map[string]map[string]float64{
		"us-east-1": {"t3.large": 0.0832, "m7i-flex.large": 0.09576, "g5.xlarge": 1.006},
		"eu-west-2": {"t3.large": 0.0944, "m7i-flex.large": 0.11072, "g5.xlarge": 1.277},
	}
	for region, types := range want {
		r := tab.Regions[region]
		if len(r.Instances) != len(types) {
			t.Errorf("%s: %v, want exactly %v (Windows, dedicated, SQL, RHEL, BYOL, unused reservations and other families left out)", region, r.Instances, types)
		}
		for typ, p := range types {
			if r.Instances[typ] != p {
				t.Errorf("%s %s = %v, want %v", region, typ, r.Instances[typ], p)
			}
		}
	}
	wantStorage := map[string]cost.Storage{
		"us-east-1": {GP3GBMonth: 0.08, GP3IOPSMonth: 0.005, GP3ThroughputMiBpsMonth: 0.04, S3StandardGBMonth: 0.023, ECRGBMonth: 0.1},
		"eu-west-2": {GP3GBMonth: 0.0928, GP3IOPSMonth: 0.0058, GP3ThroughputMiBpsMonth: 0.0464, S3StandardGBMonth: 0.024, ECRGBMonth: 0.1},
	}
	for region, s := range wantStorage {
		if got := tab.Regions[region].Storage; got != s {
			t.Errorf("%s storage = %+v, want %+v", region, got, s)
		}
	}
	for region, r := range tab.Regions {
		if r.PublicIPv4Hour != 0.005 {
			t.Errorf("%s public IPv4 = %v, want 0.005 (the in-use address, not NAT gateways)", region, r.PublicIPv4Hour)
		}
	}
	if tab.Date != "2026-11-21" || tab.Source != cost.Source || tab.Regenerate != cost.Regenerate {
		t.Errorf("header: %s %q %q", tab.Date, tab.Source, tab.Regenerate)
	}
	if tab.Spot.Discounts["t3"] != 0.5 || tab.Spot.Discounts["g5"] != 0.6 || len(tab.Spot.Discounts) != 2 {
		t.Errorf("spot discounts not carried over: %v", tab.Spot.Discounts)
	}
	if len(tab.Notes) != 1 || !strings.Contains(tab.Notes[0], "latest publication 2026-11-20T18:00:00Z") {
		t.Errorf("notes: %q", tab.Notes)
	}
	if !strings.Contains(log, "no spot discount for m7i-flex") {
		t.Errorf("no warning about the missing discount:\n%s", log)
	}
	// The same offer files read from a directory give the same table.
	out2 := outWithDiscounts(t)
	_, fromDir, _ := generate(t, "-offers", "testdata/offers", "-out", out2, "-regions", "us-east-1,eu-west-2",
		"-families", "t3,m7i-flex,g5", "-date", "2026-11-21")
	if !bytes.Equal(written, fromDir) {
		t.Errorf("tables from the API and from a directory differ:\n%s\n---\n%s", written, fromDir)
	}
}

// A failure leaves the existing table untouched and no temporary file.
func TestGenerateFailureKeepsTheTable(t *testing.T) {
	base, _ := priceListServer(t)
	out := outWithDiscounts(t)
	before, _ := os.ReadFile(out)
	o, err := parseFlags([]string{"-base", base, "-out", out, "-regions", "us-east-1,ap-south-2"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "/offers/v1.0/aws/AmazonEC2/current/ap-south-2/index.json: HTTP 404") {
		t.Fatalf("err = %v, want the URL and HTTP 404", err)
	}
	after, _ := os.ReadFile(out)
	entries, _ := os.ReadDir(filepath.Dir(out))
	if !bytes.Equal(before, after) || len(entries) != 1 {
		t.Errorf("table changed or files left behind: %v", entries)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-regions", " , "}, "-regions and -families must name at least one each"},
		{[]string{"-families", ""}, "-regions and -families must name at least one each"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		var log bytes.Buffer
		_, err := parseFlags(tc.args, &log)
		if err == nil || !strings.Contains(err.Error()+log.String(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.args, err, tc.want)
		}
	}
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil || len(o.Regions) != 8 || !o.Families["m7i-flex"] || o.Out != defaultOut || o.SpotFrom != defaultOut {
		t.Errorf("defaults: %+v %v", o, err)
	}
	if _, ok := o.Src.(httpSource); !ok {
		t.Errorf("default source is %T, want the price list API", o.Src)
	}
}
