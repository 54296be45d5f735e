package main

import (
	"fmt"
	"sort"
	"strings"
)

// linuxInstance keeps on-demand Linux instances of the families on shared
// hardware with nothing pre-installed: the price an mlforge host pays.
// Capacity-reservation and dedicated SKUs have other attributes.
func linuxInstance(families map[string]bool) func(product) bool {
	return func(p product) bool {
		a := p.Attributes
		fam, _, _ := strings.Cut(a["instanceType"], ".")
		return p.ProductFamily == "Compute Instance" && families[fam] &&
			a["operatingSystem"] == "Linux" && a["tenancy"] == "Shared" && a["preInstalledSw"] == "NA" &&
			a["licenseModel"] == "No License required" && a["capacitystatus"] == "Used" &&
			a["operation"] == "RunInstances"
	}
}

// gp3Product keeps gp3 storage, IOPS and throughput.
func gp3Product(p product) bool {
	return p.Attributes["volumeApiName"] == "gp3" &&
		(p.ProductFamily == "Storage" || p.ProductFamily == "System Operation" || p.ProductFamily == "Provisioned Throughput")
}

// s3Standard keeps S3 Standard storage (TimedStorage-ByteHrs, with the
// region's usage-type prefix outside us-east-1).
func s3Standard(p product) bool {
	a := p.Attributes
	return p.ProductFamily == "Storage" && a["storageClass"] == "General Purpose" && a["volumeType"] == "Standard" &&
		strings.HasSuffix(a["usagetype"], "TimedStorage-ByteHrs")
}

// ecrStorage keeps ECR's image storage.
func ecrStorage(p product) bool {
	return strings.HasSuffix(p.Attributes["usagetype"], "TimedStorage-ByteHrs")
}

// publicIPv4 keeps the hourly charge of an in-use public IPv4 address.
func publicIPv4(p product) bool {
	return strings.HasSuffix(p.Attributes["usagetype"], "PublicIPv4:InUseAddress")
}

// hourlyPrice is the one on-demand price per hour of the kept products.
func hourlyPrice(o *offer) (float64, error) {
	var found float64
	for _, sku := range sortedSKUs(o) {
		v, err := o.price(sku, "Hrs")
		if err != nil {
			return 0, err
		}
		if found != 0 && v != found {
			return 0, fmt.Errorf("%s: SKUs disagree (%v and %v per hour); tighten the filter in select.go", o.Code, found, v)
		}
		found = v
	}
	if found <= 0 {
		return 0, fmt.Errorf("%s: no price per hour", o.Code)
	}
	return found, nil
}

// price is a SKU's first-tier on-demand price in unit (compared without
// case: the price list writes both "GB-Mo" and "GB-month"-style units).
func (o *offer) price(sku, unit string) (float64, error) {
	for _, d := range o.OnDemand[sku] {
		if strings.EqualFold(d.Unit, unit) && (d.BeginRange == "0" || d.BeginRange == "") {
			return d.USD, nil
		}
	}
	return 0, fmt.Errorf("%s SKU %s has no on-demand price per %s", o.Code, sku, unit)
}

// instancePrices is the on-demand price per hour of each instance type
// kept. Two SKUs of one type with different prices are an error: the
// filter is then too loose for this version of the price list.
func instancePrices(o *offer) (map[string]float64, error) {
	prices := map[string]float64{}
	from := map[string]string{}
	for _, sku := range sortedSKUs(o) {
		p := o.Products[sku]
		if p.ProductFamily != "Compute Instance" {
			continue
		}
		usd, err := o.price(sku, "Hrs")
		if err != nil {
			return nil, err
		}
		typ := p.Attributes["instanceType"]
		if usd <= 0 {
			continue
		}
		if old, seen := prices[typ]; seen && old != usd {
			return nil, fmt.Errorf("%s: SKUs %s and %s both price %s Linux on-demand (%v and %v); tighten the filter in select.go", o.Code, from[typ], sku, typ, old, usd)
		}
		prices[typ], from[typ] = usd, sku
	}
	return prices, nil
}

// gp3 prices: per GB-month, per IOPS-month and per MiB/s-month above
// the included 3,000 IOPS and 125 MiB/s. Throughput is listed per GiBps-mo.
type gp3 struct{ gbMonth, iopsMonth, mibpsMonth float64 }

func gp3Prices(o *offer) (gp3, error) {
	var g gp3
	for _, sku := range sortedSKUs(o) {
		p := o.Products[sku]
		if !gp3Product(p) {
			continue
		}
		var err error
		switch p.ProductFamily {
		case "Storage":
			g.gbMonth, err = o.price(sku, "GB-Mo")
		case "System Operation":
			g.iopsMonth, err = o.price(sku, "IOPS-Mo")
		case "Provisioned Throughput":
			g.mibpsMonth, err = throughputPrice(o, sku)
		}
		if err != nil {
			return g, err
		}
	}
	if g.gbMonth <= 0 || g.iopsMonth <= 0 || g.mibpsMonth <= 0 {
		return g, fmt.Errorf("AmazonEC2: gp3 prices incomplete (GB-month %v, IOPS-month %v, MiB/s-month %v)", g.gbMonth, g.iopsMonth, g.mibpsMonth)
	}
	return g, nil
}

func throughputPrice(o *offer, sku string) (float64, error) {
	if v, err := o.price(sku, "GiBps-mo"); err == nil {
		return v / 1024, nil
	}
	return o.price(sku, "MiBps-Mo")
}

// storagePrice is the one first-tier GB-month price of the kept products.
func storagePrice(o *offer) (float64, error) {
	var found float64
	for _, sku := range sortedSKUs(o) {
		v, err := o.price(sku, "GB-Mo")
		if err != nil {
			return 0, err
		}
		if found != 0 && v != found {
			return 0, fmt.Errorf("%s: storage SKUs disagree (%v and %v per GB-month); tighten the filter in select.go", o.Code, found, v)
		}
		found = v
	}
	if found <= 0 {
		return 0, fmt.Errorf("%s: no storage price per GB-month", o.Code)
	}
	return found, nil
}

func sortedSKUs(o *offer) []string {
	skus := make([]string, 0, len(o.Products))
	for s := range o.Products {
		skus = append(skus, s)
	}
	sort.Strings(skus)
	return skus
}
