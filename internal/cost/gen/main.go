// Command gen rewrites mlforge's price table (internal/cost/prices.json)
// from AWS's public price list: the current offer files of AmazonEC2,
// AmazonS3, AmazonECR and AmazonVPC (public IPv4) for each region, downloaded without credentials
// from https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/SERVICE/current/REGION/index.json
// and filtered to mlforge's regions and instance families.
//
// Run it from the repository's root, then review the diff and run
// go test ./internal/cost:
//
//	go run ./internal/cost/gen                      # download and rewrite
//	go run ./internal/cost/gen -offers DIR          # offer files downloaded beforehand
//	go run ./internal/cost/gen -regions us-east-1,eu-west-1 -families t3,g5
//
// The price list has no spot prices: the table's spot discounts (one per
// family) are carried over from the existing table and edited by hand.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"
)

// Defaults: the regions and instance families mlforge offers.
const (
	defaultRegions  = "us-east-1,us-east-2,us-west-2,eu-west-1,eu-central-1,eu-west-2,ap-southeast-1,ap-northeast-1"
	defaultFamilies = "t3,t3a,t4g,m5,m6i,m7i,m7i-flex,m7g,c6i,c7i,r6i,g4dn,g5,g6,p3"
	defaultOut      = "internal/cost/prices.json"
)

type options struct {
	Regions  []string
	Families map[string]bool
	Out      string
	SpotFrom string // table whose spot discounts are kept
	Date     string
	Src      source
	Log      io.Writer
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	regions := fs.String("regions", defaultRegions, "comma-separated region codes")
	families := fs.String("families", defaultFamilies, "comma-separated instance families (every size is kept)")
	out := fs.String("out", defaultOut, "table to write")
	spotFrom := fs.String("spot-from", "", "table whose spot discounts to keep (default: -out)")
	date := fs.String("date", time.Now().UTC().Format(time.DateOnly), "the prices' date, YYYY-MM-DD")
	offers := fs.String("offers", "", "read offer files from DIR/SERVICE/current/REGION/index.json instead of downloading")
	base := fs.String("base", DefaultBase, "price list endpoint")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o := options{Regions: split(*regions), Families: map[string]bool{}, Out: *out, SpotFrom: *spotFrom, Date: *date, Log: stderr}
	for _, f := range split(*families) {
		o.Families[f] = true
	}
	if len(o.Regions) == 0 || len(o.Families) == 0 {
		return o, fmt.Errorf("-regions and -families must name at least one each")
	}
	if o.SpotFrom == "" {
		o.SpotFrom = o.Out
	}
	o.Src = httpSource{Base: *base, Client: &http.Client{Timeout: 30 * time.Minute}}
	if *offers != "" {
		o.Src = dirSource{Dir: *offers}
	}
	return o, nil
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
