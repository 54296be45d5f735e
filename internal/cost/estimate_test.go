package cost

import (
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestEstimateArithmetic(t *testing.T) {
	tab := testTable(t)
	taxi := Input{Region: "us-east-1", InstanceType: "t3.large", RootGiB: 50, BucketGB: 10, RepositoriesGB: 5}
	type line struct {
		item            string
		qty, unit, hour float64
		month           float64
		known           bool
	}
	storage := []line{
		{"EBS gp3 root volume", 50, 0.08, 4.0 / 730, 4.0, true},
		{"S3 Standard, bucket", 10, 0.023, 0.23 / 730, 0.23, true},
		{"ECR, repositories", 5, 0.1, 0.5 / 730, 0.5, true},
	}
	for _, tc := range []struct {
		name     string
		in       Input
		lines    []line
		hour     float64
		month    float64
		complete bool
	}{
		{"taxi default", taxi,
			append([]line{{"EC2 t3.large, on-demand Linux", 1, 0.0832, 0.0832, 60.736, true}}, storage...),
			0.0832 + 4.73/730, 65.466, true},
		{"spot", with(taxi, func(in *Input) { in.Spot = true }),
			append([]line{{"EC2 t3.large, spot Linux", 1, 0.0416, 0.0416, 30.368, true}}, storage...),
			0.0416 + 4.73/730, 35.098, true},
		{"workers and a data volume", with(taxi, func(in *Input) { in.Workers, in.DataGiB = 2, 100 }),
			[]line{{"EC2 t3.large, on-demand Linux", 3, 0.0832, 0.2496, 182.208, true},
				{"EBS gp3 root volumes (3 instances)", 150, 0.08, 12.0 / 730, 12, true},
				{"EBS gp3 data volume", 100, 0.08, 8.0 / 730, 8, true}, storage[1], storage[2]},
			0.2496 + 20.73/730, 202.938, true},
		{"stopped", with(taxi, func(in *Input) { in.Stopped = true }), storage, 4.73 / 730, 4.73, true},
		{"public IPv4", with(taxi, func(in *Input) { in.PublicIPv4, in.Workers = true, 1 }),
			[]line{{"EC2 t3.large, on-demand Linux", 2, 0.0832, 0.1664, 121.472, true},
				{"Public IPv4 address", 2, 0.005, 0.01, 7.3, true},
				{"EBS gp3 root volumes (2 instances)", 100, 0.08, 8.0 / 730, 8, true}, storage[1], storage[2]},
			0.1764 + 8.73/730, 137.502, true},
		{"stopped hosts have no public IPv4", with(taxi, func(in *Input) { in.Stopped, in.PublicIPv4 = true, true }), storage, 4.73 / 730, 4.73, true},
		{"stopped hosts keep their Elastic IPs", with(taxi, func(in *Input) { in.Stopped, in.PublicIPv4, in.ElasticIPs = true, true, true }),
			append([]line{{"Elastic IP address", 1, 0.005, 0.005, 3.65, true}}, storage...), 0.005 + 4.73/730, 4.73 + 3.65, true},
		{"unknown type", with(taxi, func(in *Input) { in.InstanceType = "g9.xlarge" }),
			append([]line{{"EC2 g9.xlarge, on-demand Linux", 1, 0, 0, 0, false}}, storage...),
			4.73 / 730, 4.73, false},
		{"spot of a family without a discount", with(taxi, func(in *Input) { in.InstanceType, in.Spot = "m7i.large", true }),
			append([]line{{"EC2 m7i.large, spot Linux", 1, 0, 0, 0, false}}, storage...),
			4.73 / 730, 4.73, false},
		{"unknown region", with(taxi, func(in *Input) { in.Region = "ap-south-2" }),
			[]line{{"EC2 t3.large, on-demand Linux", 1, 0, 0, 0, false}, {"EBS gp3 root volume", 50, 0, 0, 0, false},
				{"S3 Standard, bucket", 10, 0, 0, 0, false}, {"ECR, repositories", 5, 0, 0, 0, false}},
			0, 0, false},
		{"other region", with(taxi, func(in *Input) { in.Region = "eu-west-1" }),
			[]line{{"EC2 t3.large, on-demand Linux", 1, 0.0912, 0.0912, 66.576, true},
				{"EBS gp3 root volume", 50, 0.088, 4.4 / 730, 4.4, true}, storage[1], storage[2]},
			0.0912 + 5.13/730, 71.706, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			est, err := tab.Estimate(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(est.Lines) != len(tc.lines) {
				t.Fatalf("%d lines, want %d: %+v", len(est.Lines), len(tc.lines), est.Lines)
			}
			for i, w := range tc.lines {
				g := est.Lines[i]
				if g.Item != w.item || g.Quantity != w.qty || g.Known != w.known {
					t.Errorf("line %d: %q qty %v known %v, want %q %v %v", i, g.Item, g.Quantity, g.Known, w.item, w.qty, w.known)
				}
				if w.known && (!near(g.UnitPrice, w.unit) || !near(g.PerHour, w.hour) || !near(g.PerMonth, w.month)) {
					t.Errorf("line %d %s: %v per unit, %v/h, %v/month; want %v, %v, %v", i, g.Item, g.UnitPrice, g.PerHour, g.PerMonth, w.unit, w.hour, w.month)
				}
			}
			if !near(est.PerHour, tc.hour) || !near(est.PerMonth, tc.month) || est.Complete != tc.complete {
				t.Errorf("totals %v/h %v/month complete=%v, want %v %v %v", est.PerHour, est.PerMonth, est.Complete, tc.hour, tc.month, tc.complete)
			}
			if est.PriceDate != "2026-01-15" || est.HoursPerMonth != 730 || est.Region != tc.in.Region {
				t.Errorf("header: %s %d %s", est.PriceDate, est.HoursPerMonth, est.Region)
			}
		})
	}
}

func with(in Input, f func(*Input)) Input {
	f(&in)
	return in
}

func TestEstimateNotes(t *testing.T) {
	tab := testTable(t)
	est, _ := tab.Estimate(Input{Region: "ap-south-2", InstanceType: "t3.large", Spot: true, RootGiB: 8})
	all := strings.Join(est.Notes, "\n")
	for _, want := range []string{"ap-south-2 is not in the price table (regions: [eu-west-1 us-east-1])",
		"totals are a lower bound; regenerate the table with go run ./internal/cost/gen", "Spot prices are estimates", "3,000 IOPS"} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
	est, _ = tab.Estimate(Input{Region: "us-east-1", Stopped: true})
	if all := strings.Join(est.Notes, "\n"); !strings.Contains(all, "EC2 bills no compute while stopped") || strings.Contains(all, "Spot") {
		t.Errorf("stopped notes:\n%s", all)
	}
}

func TestEstimateRejectsBadInput(t *testing.T) {
	tab := testTable(t)
	for _, tc := range []struct {
		in   Input
		want string
	}{
		{Input{InstanceType: "t3.large"}, "no region (set aws.region)"},
		{Input{Region: "us-east-1"}, "no instance type (set aws.instanceType)"},
		{Input{Region: "us-east-1", InstanceType: "t3.large", Workers: -1}, "-1 workers"},
		{Input{Region: "us-east-1", InstanceType: "t3.large", RootGiB: -8}, "volume sizes -8 and 0 GiB"},
		{Input{Region: "us-east-1", InstanceType: "t3.large", BucketGB: -1}, "bucket -1 GB"},
	} {
		if _, err := tab.Estimate(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestDollars(t *testing.T) {
	for in, want := range map[float64]string{0.1: "$0.10", 0.0832: "$0.0832", 0.10185: "$0.10185", 3: "$3.00", 0.023: "$0.023", 0.041600000001: "$0.0416"} {
		if got := Dollars(in); got != want {
			t.Errorf("Dollars(%v) = %s, want %s", in, got, want)
		}
	}
}
