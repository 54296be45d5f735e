package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCostOffline(t *testing.T) {
	dir, _ := awsProject(t, "  spot: true\n  workers: 1\n")
	r := run(t, dir, "cost", "--offline")
	if r.code != 0 {
		t.Fatalf("cost --offline: exit %d: %s", r.code, r.errOut)
	}
	goldenFile(t, "cost-offline.golden", r.out)
	j := run(t, dir, "cost", "--offline", "--json")
	var got struct {
		Region   string
		State    string
		Measured bool
		Lines    []struct {
			Item     string
			Known    bool
			Estimate bool
			PerMonth *float64
		}
		Total struct {
			PerMonth float64
			Complete bool
		}
	}
	if err := json.Unmarshal([]byte(j.out), &got); err != nil {
		t.Fatalf("%v: %s", err, j.out)
	}
	if got.Region != "eu-west-1" || got.State != "running" || got.Measured || !got.Total.Complete || got.Total.PerMonth <= 0 {
		t.Errorf("cost --json: %+v", got)
	}
	if len(got.Lines) == 0 || !strings.Contains(got.Lines[0].Item, "g5.xlarge, spot") || !got.Lines[0].Estimate {
		t.Errorf("first line %+v, want the spot instances marked as an estimate", got.Lines)
	}
}

// An instance type the price table lacks is unknown, never free: the total
// is then a lower bound.
func TestCostUnknownInstanceType(t *testing.T) {
	dir, _ := awsProject(t, "")
	r := run(t, dir, "cost", "--offline", "--target", "aws", "--env", "dev")
	if r.code != 0 {
		t.Fatal(r.errOut)
	}
	odd, _ := awsProject(t, "")
	yaml, _ := os.ReadFile(filepath.Join(odd, "mlforge.yaml"))
	if err := os.WriteFile(filepath.Join(odd, "mlforge.yaml"), []byte(strings.Replace(string(yaml), "g5.xlarge", "x2iedn.xlarge", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	o := run(t, odd, "cost", "--offline")
	if o.code != 0 || !strings.Contains(o.out, "unknown") || !strings.Contains(o.out, "Total (at least)") || strings.Contains(o.out, "$0.00 ") {
		t.Errorf("unknown type: exit %d\n%s", o.code, o.out)
	}
}
