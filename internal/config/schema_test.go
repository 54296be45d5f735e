package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The schema is committed at schema/mlforge.schema.json, where editors
// fetch it from; it must match what the code enforces.
func TestSchemaGolden(t *testing.T) {
	path := filepath.Join("..", "..", "schema", "mlforge.schema.json")
	got := Schema()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/config -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./internal/config -update", path)
	}
}

func TestSchemaShape(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	aws := props["aws"].(map[string]any)["properties"].(map[string]any)
	it := aws["instanceType"].(map[string]any)
	if it["default"] != "t3.large" || it["pattern"] == nil || it["description"] == nil {
		t.Errorf("aws.instanceType schema: %v", it)
	}
	target := props["target"].(map[string]any)
	if len(target["enum"].([]any)) != 4 {
		t.Errorf("target enum: %v", target)
	}
	if s["additionalProperties"] != false || s["required"].([]any)[0] != "project" {
		t.Errorf("root: additionalProperties %v, required %v", s["additionalProperties"], s["required"])
	}
	services := props["services"].(map[string]any)["propertyNames"].(map[string]any)
	envNames := props["environments"].(map[string]any)["propertyNames"].(map[string]any)
	if services["pattern"] != servicePattern || envNames["pattern"] != namePattern {
		t.Errorf("key patterns: services %v, environments %v", services, envNames)
	}
	env := props["environments"].(map[string]any)["additionalProperties"].(map[string]any)
	envAWS := env["properties"].(map[string]any)["aws"].(map[string]any)["properties"].(map[string]any)
	if _, hasDefault := envAWS["instanceType"].(map[string]any)["default"]; hasDefault {
		t.Error("environment overrides must not carry defaults (they would hide the base value)")
	}
}
