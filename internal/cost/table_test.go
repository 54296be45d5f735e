package cost

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and the canonical price table")

func testTable(t *testing.T) *Table {
	t.Helper()
	b, err := os.ReadFile("testdata/table.json")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// The built-in table covers the regions and families mlforge offers.
func TestDefaultTableCoversWhatMlforgeOffers(t *testing.T) {
	tab, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	regions := []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-2", "ap-southeast-1", "ap-northeast-1"}
	// A size of each family that every one of those regions offers.
	types := []string{"t3.large", "t3a.large", "t4g.large", "m5.large", "m6i.large", "m7i.large", "m7g.large",
		"c6i.large", "c7i.large", "r6i.large", "g4dn.xlarge"}
	for _, r := range regions {
		s, ok := tab.StorageIn(r)
		if !ok || s.GP3GBMonth <= 0 {
			t.Errorf("%s: no storage prices", r)
		}
		for _, typ := range types {
			if _, ok := tab.OnDemand(r, typ); !ok {
				t.Errorf("%s: no price for %s", r, typ)
			}
		}
	}
	for _, typ := range []string{"g5.xlarge", "g6.xlarge", "p3.2xlarge"} {
		if _, ok := tab.OnDemand("us-east-1", typ); !ok {
			t.Errorf("us-east-1: no price for %s", typ)
		}
	}
	for fam := range familiesOf(tab) {
		if _, ok := tab.Spot.Discounts[fam]; !ok {
			t.Errorf("family %s has no spot discount", fam)
		}
	}
	if tab.Source != Source || tab.Regenerate != Regenerate {
		t.Errorf("source %q / regenerate %q differ from what the generator writes", tab.Source, tab.Regenerate)
	}
	if p, _ := tab.OnDemand("us-east-1", "t3.large"); p != 0.0832 {
		t.Errorf("us-east-1 t3.large = %v, the list price is 0.0832", p)
	}
}

func familiesOf(tab *Table) map[string]bool {
	fams := map[string]bool{}
	for _, r := range tab.Regions {
		for typ := range r.Instances {
			fams[Family(typ)] = true
		}
	}
	return fams
}

// The repository keeps the table in the form Write produces (what the
// generator writes), so regenerating it shows only real changes.
func TestEmbeddedTableIsCanonical(t *testing.T) {
	tab, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tab.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("prices.json", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(buf.Bytes(), embedded) {
		t.Error("prices.json is not in canonical form: run go test ./internal/cost -update")
	}
}

func TestParseRejects(t *testing.T) {
	good, err := os.ReadFile("testdata/table.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"version", `"version": 1`, `"version": 2`, "version 2"},
		{"currency", `"USD"`, `"EUR"`, `currency "EUR"`},
		{"date", `"2026-01-15"`, `"15.01.2026"`, `date "15.01.2026"`},
		{"no source", `"test table"`, `""`, "source and regenerate"},
		{"zero price", `"t3.large": 0.0912`, `"t3.large": 0`, "eu-west-1 t3.large costs 0/h"},
		{"huge price", `"t3.large": 0.0912`, `"t3.large": 91200`, "eu-west-1 t3.large costs 91200/h"},
		{"bad type", `"t3.large": 0.0912`, `"t3large": 0.0912`, `"t3large" is not an instance type`},
		{"bad region", `"eu-west-1": {`, `"europe": {`, `"europe" is not a region code`},
		{"missing storage", `"gp3GBMonth": 0.088,`, ``, "eu-west-1 gp3GBMonth is 0"},
		{"no IPv4 price", `"publicIPv4Hour": 0.005`, `"publicIPv4Hour": 0`, "publicIPv4Hour is 0"},
		{"discount", `"g5": 0.6`, `"g5": 1.5`, "spot discount of g5 is 1.5"},
		{"unknown field", `"currency": "USD",`, `"currency": "USD", "colour": "blue",`, `unknown field "colour"`},
		{"not json", `{`, `[`, "reading the price table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tc.old, tc.new, 1)
			if bad == string(good) {
				t.Fatalf("test case did not change the table (%q not found)", tc.old)
			}
			_, err := Parse([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestFamily(t *testing.T) {
	for in, want := range map[string]string{"t3.large": "t3", "m7i-flex.xlarge": "m7i-flex", "g5.12xlarge": "g5", "odd": "odd"} {
		if got := Family(in); got != want {
			t.Errorf("Family(%q) = %q, want %q", in, got, want)
		}
	}
}
