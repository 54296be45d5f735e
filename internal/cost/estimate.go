package cost

import (
	"fmt"
)

// Input describes the environment to price.
type Input struct {
	Region       string
	InstanceType string
	Spot         bool
	// Workers are instances besides the host, of the same type and with
	// the same root volume.
	Workers int
	// RootGiB is each instance's root volume (gp3); DataGiB an extra gp3
	// volume on the host, 0 for none.
	RootGiB int
	DataGiB int
	// BucketGB and RepositoriesGB are the S3 bucket's and the ECR
	// repositories' size, measured or assumed.
	BucketGB       float64
	RepositoriesGB float64
	// PublicIPv4 says each instance has a public IPv4 address while it
	// runs (mlforge's hosts do; a stopped host gives its address back).
	PublicIPv4 bool
	// ElasticIPs says those addresses are Elastic IPs, kept (and billed)
	// while their instance is stopped too.
	ElasticIPs bool
	// Stopped prices a stopped environment: no compute, storage only.
	Stopped bool
}

func (in Input) validate() error {
	switch {
	case in.Region == "":
		return fmt.Errorf("estimate: no region (set aws.region)")
	case in.InstanceType == "" && !in.Stopped:
		return fmt.Errorf("estimate: no instance type (set aws.instanceType)")
	case in.Workers < 0:
		return fmt.Errorf("estimate: %d workers, want 0 or more", in.Workers)
	case in.RootGiB < 0 || in.DataGiB < 0:
		return fmt.Errorf("estimate: volume sizes %d and %d GiB, want 0 or more", in.RootGiB, in.DataGiB)
	case in.BucketGB < 0 || in.RepositoriesGB < 0:
		return fmt.Errorf("estimate: bucket %v GB and repositories %v GB, want 0 or more", in.BucketGB, in.RepositoriesGB)
	}
	return nil
}

// Line is one priced item. When Known is false the table has no price for
// it and UnitPrice, PerHour and PerMonth are meaningless (never zero
// cost): the estimate's totals are then a lower bound.
type Line struct {
	Item      string
	Quantity  float64
	Unit      string // what Quantity counts: "instance", "GiB", "GB"
	PriceUnit string // what UnitPrice is per: "hour", "GB-month"
	UnitPrice float64
	Known     bool
	// Estimate marks a spot price derived from the on-demand price.
	Estimate bool
	PerHour  float64
	PerMonth float64
	Note     string
}

// Estimate is the priced environment.
type Estimate struct {
	Region        string
	PriceDate     string
	Currency      string
	Source        string
	HoursPerMonth int
	Stopped       bool
	Lines         []Line
	// PerHour and PerMonth add up the known lines. When Complete is false
	// some line is unknown and they are only a lower bound.
	PerHour  float64
	PerMonth float64
	Complete bool
	Notes    []string
}

// Estimate prices in. It fails only on an invalid input: prices the table
// lacks come back as unknown lines.
func (t *Table) Estimate(in Input) (Estimate, error) {
	if err := in.validate(); err != nil {
		return Estimate{}, err
	}
	est := Estimate{Region: in.Region, PriceDate: t.Date, Currency: t.Currency, Source: t.Source,
		HoursPerMonth: HoursPerMonth, Stopped: in.Stopped, Complete: true}
	instances := 1 + in.Workers
	if !in.Stopped {
		est.add(t.instanceLine(in, instances))
	}
	if in.PublicIPv4 && (!in.Stopped || in.ElasticIPs) {
		est.add(t.ipv4Line(in, instances))
	}
	storage, ok := t.StorageIn(in.Region)
	if in.RootGiB > 0 {
		est.add(storageLine(ok, rootItem(instances), float64(instances*in.RootGiB), "GiB", storage.GP3GBMonth))
	}
	if in.DataGiB > 0 {
		est.add(storageLine(ok, "EBS gp3 data volume", float64(in.DataGiB), "GiB", storage.GP3GBMonth))
	}
	est.add(storageLine(ok, "S3 Standard, bucket", in.BucketGB, "GB", storage.S3StandardGBMonth))
	est.add(storageLine(ok, "ECR, repositories", in.RepositoriesGB, "GB", storage.ECRGBMonth))
	est.Notes = t.notes(in, ok, est.Complete)
	return est, nil
}

func (e *Estimate) add(l Line) {
	e.Lines = append(e.Lines, l)
	if !l.Known {
		e.Complete = false
		return
	}
	e.PerHour += l.PerHour
	e.PerMonth += l.PerMonth
}

func rootItem(instances int) string {
	if instances == 1 {
		return "EBS gp3 root volume"
	}
	return fmt.Sprintf("EBS gp3 root volumes (%d instances)", instances)
}

func (t *Table) instanceLine(in Input, count int) Line {
	l := Line{Item: fmt.Sprintf("EC2 %s, on-demand Linux", in.InstanceType), Quantity: float64(count),
		Unit: "instance", PriceUnit: "hour"}
	price, ok := t.OnDemand(in.Region, in.InstanceType)
	if in.Spot {
		var d float64
		price, d, ok = t.SpotEstimate(in.Region, in.InstanceType)
		l.Item = fmt.Sprintf("EC2 %s, spot Linux", in.InstanceType)
		l.Estimate = true
		l.Note = fmt.Sprintf("estimate: on-demand less %.0f%%", d*100)
	}
	if !ok {
		l.Note = fmt.Sprintf("%s in %s is not in the price table", in.InstanceType, in.Region)
		return l
	}
	l.Known, l.UnitPrice = true, price
	l.PerHour = price * float64(count)
	l.PerMonth = l.PerHour * HoursPerMonth
	return l
}

func (t *Table) ipv4Line(in Input, count int) Line {
	l := Line{Item: "Public IPv4 address", Quantity: float64(count), Unit: "address", PriceUnit: "hour"}
	if in.ElasticIPs {
		l.Item = "Elastic IP address"
	}
	if r, ok := t.Regions[in.Region]; ok {
		l.Known, l.UnitPrice = true, r.PublicIPv4Hour
		l.PerHour = r.PublicIPv4Hour * float64(count)
		l.PerMonth = l.PerHour * HoursPerMonth
	}
	return l
}

func storageLine(known bool, item string, qty float64, unit string, perGBMonth float64) Line {
	l := Line{Item: item, Quantity: qty, Unit: unit, PriceUnit: "GB-month"}
	if !known {
		return l
	}
	l.Known, l.UnitPrice = true, perGBMonth
	l.PerMonth = qty * perGBMonth
	l.PerHour = l.PerMonth / HoursPerMonth
	return l
}

func (t *Table) notes(in Input, regionKnown, complete bool) []string {
	var n []string
	if !regionKnown {
		n = append(n, fmt.Sprintf("%s is not in the price table (regions: %v).", in.Region, t.RegionNames()))
	}
	if !complete {
		n = append(n, fmt.Sprintf("Unknown prices are left out, so the totals are a lower bound; regenerate the table with %s.", t.Regenerate))
	}
	if in.Stopped {
		n = append(n, "The instances are stopped: EC2 bills no compute while stopped; volumes, the bucket and the repositories bill on.")
	}
	if in.Spot && !in.Stopped {
		n = append(n, "Spot prices are estimates: the on-demand price less a discount assumed per family (the price list has no spot prices; real ones vary by zone and hour).")
	}
	if in.RootGiB > 0 || in.DataGiB > 0 {
		n = append(n, "gp3 volumes include 3,000 IOPS and 125 MiB/s each; the environment provisions no more.")
	}
	return n
}
