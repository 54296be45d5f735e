package swarm

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// loadCompose reads testdata/compose.json as ReadCompose would return it,
// with the services compose enables by default.
func loadCompose(t *testing.T) *Compose {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "compose.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := &Compose{}
	if err := json.Unmarshal(b, c); err != nil {
		t.Fatal(err)
	}
	c.Active = map[string]bool{"mlflow": true, "serve": true, "prometheus": true}
	return c
}

func taxiSpec() Spec {
	return Spec{Stack: "taxi", Model: "serve", ModelHealth: "/health", Replicas: 2, Encrypt: true,
		SocketDir: "/home/u/mlforge/taxi/.mlforge/run",
		Jobs:      []Job{{Name: "train", Service: "train", CPUs: "1.5", Memory: "2G"}, {Name: "monitor", Service: "monitor"}},
		Images: map[string]string{"taxi-serve:latest": "taxi-serve:id-0123456789ab", "taxi-mlflow:latest": "taxi-mlflow:id-ba9876543210",
			"taxi-jobs:latest": "taxi-jobs:id-aaaabbbbcccc"}}
}

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
		t.Fatalf("%v (run go test ./internal/swarm -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the derived output (run go test ./internal/swarm -update and review the diff):\n%s", name, got)
	}
}

// The taxi stack derived for a swarm, pinned in golden files.
func TestDeriveGolden(t *testing.T) {
	st, err := Derive(loadCompose(t), taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "stack.golden.yml", st.File.YAML())
	golden(t, "job-train.golden.yml", st.Jobs["train"].YAML())
	golden(t, "job-monitor.golden.yml", st.Jobs["monitor"].YAML())
	golden(t, "proxy.golden.cfg", st.ProxyCfg)
	golden(t, "edge.golden.cfg", st.EdgeCfg)
	if strings.Join(st.Services, ",") != "mlflow,prometheus,serve" {
		t.Errorf("long-running services %v", st.Services)
	}
	if strings.Join(st.VolumeList, ",") != "taxi_mlflow,taxi_predictions,taxi_prometheus" {
		t.Errorf("volumes %v", st.VolumeList)
	}
}

// The properties the design rests on, read back from the derived file.
func TestDerivedStackProperties(t *testing.T) {
	st, err := Derive(loadCompose(t), taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Image  string         `yaml:"image"`
			Ports  []any          `yaml:"ports"`
			Build  any            `yaml:"build"`
			Deploy map[string]any `yaml:"deploy"`
		} `yaml:"services"`
		Networks map[string]map[string]any `yaml:"networks"`
	}
	if err := yaml.Unmarshal(st.File.YAML(), &f); err != nil {
		t.Fatal(err)
	}
	for name, s := range f.Services {
		if s.Ports != nil || s.Build != nil {
			t.Errorf("%s keeps ports or build: a swarm would publish the port on every address", name)
		}
		if name != EdgeService && s.Deploy["endpoint_mode"] != "dnsrr" {
			t.Errorf("%s: endpoint_mode %v, want dnsrr (no virtual IP without IPVS)", name, s.Deploy["endpoint_mode"])
		}
	}
	serve := f.Services["serve"]
	upd, _ := serve.Deploy["update_config"].(map[string]any)
	if serve.Deploy["replicas"] != 2 || upd["order"] != "start-first" || upd["failure_action"] != "rollback" || serve.Image != "taxi-serve:id-0123456789ab" {
		t.Errorf("serve: %+v", serve)
	}
	if f.Networks["default"]["driver_opts"].(map[string]any)["encrypted"] != "true" {
		t.Errorf("default network %v: want the encrypted option", f.Networks["default"])
	}
	spec := taxiSpec()
	spec.Encrypt = false
	plain, err := Derive(loadCompose(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain.File.Networks["default"]["driver_opts"]; ok {
		t.Errorf("swarm.encrypt false still encrypts: %v", plain.File.Networks["default"])
	}
}

func TestDeriveRefusesWhatASwarmCannotRun(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Compose)
		want string
	}{
		{"privileged", func(c *Compose) { c.Services["serve"]["privileged"] = true },
			"services.serve.privileged: target swarm cannot run it"},
		{"network_mode", func(c *Compose) { c.Services["mlflow"]["network_mode"] = "host" },
			"services.mlflow.network_mode: target swarm cannot run it"},
		{"deploy replicas", func(c *Compose) { c.Services["serve"]["deploy"] = map[string]any{"replicas": 3.0} },
			"services.serve.deploy: replicas are set by mlforge"},
		{"udp port", func(c *Compose) {
			c.Services["serve"]["ports"] = []any{map[string]any{"target": 53.0, "published": "53", "protocol": "udp"}}
		}, "services.serve.ports: 53/udp: target swarm forwards TCP ports only"},
		{"port range", func(c *Compose) {
			c.Services["serve"]["ports"] = []any{map[string]any{"target": 80.0, "published": "8000-8001", "protocol": "tcp"}}
		}, `services.serve.ports: "8000-8001": target swarm forwards single ports only`},
		{"a service named like the proxy", func(c *Compose) { c.Services[ProxyService] = map[string]any{"image": "x"} },
			"the compose file has a service named mlforge-proxy"},
		{"a job without a service", func(c *Compose) { delete(c.Services, "monitor") },
			`jobs.monitor.service: no service "monitor" in the compose file`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := loadCompose(t)
			tc.edit(c)
			if _, err := Derive(c, taxiSpec()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A stack with no published port needs neither proxy nor edge (HAProxy
// would refuse to start without a listener).
func TestDeriveWithoutPorts(t *testing.T) {
	c := loadCompose(t)
	for _, s := range c.Services {
		delete(s, "ports")
	}
	st, err := Derive(c, taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.File.Services[ProxyService]; ok || st.File.Configs != nil || st.File.Networks[hostNetwork] != nil {
		t.Errorf("proxy without routes: %s", st.File.YAML())
	}
}

// A volume only a job uses is declared in the job's file and deleted by
// down --volumes with the others.
func TestJobOnlyVolumes(t *testing.T) {
	c := loadCompose(t)
	c.Volumes["reports"] = map[string]any{"name": "taxi_reports"}
	c.Services["monitor"]["volumes"] = append(c.Services["monitor"]["volumes"].([]any),
		map[string]any{"type": "volume", "source": "reports", "target": "/reports"})
	st, err := Derive(c, taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Jobs["monitor"].Volumes["reports"]; !ok {
		t.Errorf("monitor's file lacks its volume: %s", st.Jobs["monitor"].YAML())
	}
	if _, ok := st.File.Volumes["reports"]; ok {
		t.Error("the stack declares a volume only a job uses")
	}
	if strings.Join(st.VolumeList, ",") != "taxi_mlflow,taxi_predictions,taxi_prometheus,taxi_reports" {
		t.Errorf("volumes %v", st.VolumeList)
	}
}
