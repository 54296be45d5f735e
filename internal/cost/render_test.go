package cost

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// golden compares got with testdata/NAME, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cost -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./internal/cost -update and review the diff):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	tab := testTable(t)
	taxi := Input{Region: "us-east-1", InstanceType: "t3.large", RootGiB: 50, BucketGB: 10, RepositoriesGB: 5}
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"taxi", with(taxi, func(in *Input) { in.PublicIPv4 = true })},
		{"spot-workers", with(taxi, func(in *Input) {
			in.Spot, in.Workers, in.DataGiB, in.InstanceType, in.PublicIPv4 = true, 2, 200, "g5.xlarge", true
		})},
		{"stopped", with(taxi, func(in *Input) { in.Stopped, in.BucketGB = true, 2.5 })},
		{"unknown-type", with(taxi, func(in *Input) { in.InstanceType = "g9.xlarge" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			est, err := tab.Estimate(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var txt, js bytes.Buffer
			if err := RenderTable(&txt, est); err != nil {
				t.Fatal(err)
			}
			if err := RenderJSON(&js, est); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".txt", txt.Bytes())
			golden(t, tc.name+".json", js.Bytes())
			var back JSONEstimate
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatalf("the JSON does not read back: %v", err)
			}
		})
	}
}

// Unknown prices are null in JSON, never 0.
func TestJSONUnknownIsNull(t *testing.T) {
	est, _ := testTable(t).Estimate(Input{Region: "us-east-1", InstanceType: "g9.xlarge", RootGiB: 8})
	var m map[string]any
	var buf bytes.Buffer
	_ = RenderJSON(&buf, est)
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	line := m["lines"].([]any)[0].(map[string]any)
	for _, k := range []string{"unitPrice", "perHour", "perMonth"} {
		if v, ok := line[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if total := m["total"].(map[string]any); total["complete"] != false {
		t.Errorf("total.complete = %v, want false", total["complete"])
	}
}
