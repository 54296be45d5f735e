package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/swarm"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

func swarmConfig(s config.Swarm) *config.Resolved {
	return &config.Resolved{Config: &config.Config{Project: "p", Target: Swarm, Swarm: s,
		SSH: config.SSH{KnownHosts: "/kh"}}, Env: "dev"}
}

// The hosts of target swarm: managers first, the ssh section's trust
// settings on each, training on the workers unless named.
func TestSwarmHosts(t *testing.T) {
	cases := []struct {
		name     string
		s        config.Swarm
		training []bool
	}{
		{"workers train", config.Swarm{Managers: []string{"u@m1", "u@m2"}, Workers: []string{"u@w1"}}, []bool{false, false, true}},
		{"a lone manager trains", config.Swarm{Managers: []string{"u@m1"}}, []bool{true}},
		{"named training hosts", config.Swarm{Managers: []string{"u@m1"}, Workers: []string{"u@w1", "u@w2:2222"},
			Training: []string{"u@m1:22", "u@w2:2222"}}, []bool{true, false, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := swarmHosts(swarmConfig(c.s), Options{AcceptNew: true})
			if err != nil {
				t.Fatal(err)
			}
			var training []bool
			for i, h := range st.hosts {
				training = append(training, h.training)
				if h.ssh.KnownHostsFile != "/kh" || !h.ssh.AcceptNew || h.manager != (i < len(c.s.Managers)) {
					t.Errorf("host %d: %+v", i, h)
				}
			}
			if !slices.Equal(training, c.training) {
				t.Errorf("training %v, want %v", training, c.training)
			}
		})
	}
	if _, err := swarmHosts(swarmConfig(config.Swarm{}), Options{}); err == nil || !strings.Contains(err.Error(), "target swarm needs at least one manager") {
		t.Errorf("no managers: %v", err)
	}
	if _, err := swarmHosts(swarmConfig(config.Swarm{Managers: []string{"u@m1"}, Workers: []string{"bad"}}), Options{}); err == nil ||
		!strings.Contains(err.Error(), "swarm.workers[0]") {
		t.Errorf("bad worker: %v", err)
	}
}

// On AWS the swarm is the instance and the workers of the outputs, each
// pinned to its own host key, advertising its private address.
func TestAWSSwarmHosts(t *testing.T) {
	manager := provision.Instance{InstanceID: "i-m", Address: "198.51.100.1", Port: 22, User: "ubuntu", KeyFile: "/k/id", HostKey: "ssh-ed25519 AAAAmanager"}
	out := map[string]provision.Output{
		awsstack.OutPrivateIP: {Value: "10.0.1.10"},
		awsstack.OutWorkers: {Value: []any{
			map[string]any{"name": "worker-1", "instanceId": "i-w1", "publicIp": "198.51.100.2", "privateIp": "10.0.1.11", "hostKey": "ssh-ed25519 AAAAw1", "hostKeyFingerprint": "SHA256:w1"},
			map[string]any{"name": "worker-2", "instanceId": "i-w2", "publicIp": "198.51.100.3", "privateIp": "10.0.1.12", "hostKey": "ssh-ed25519 AAAAw2", "hostKeyFingerprint": "SHA256:w2"},
		}},
	}
	hosts, err := awsSwarmHosts(manager, out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hosts {
		got = append(got, fmt.Sprintf("%s %s %v %v %s %s", h.ssh.Address(), h.addr, h.manager, h.training, h.ssh.HostKey, h.ssh.IdentityFile))
	}
	want := []string{"ubuntu@198.51.100.1:22 10.0.1.10 true false ssh-ed25519 AAAAmanager /k/id",
		"ubuntu@198.51.100.2:22 10.0.1.11 false true ssh-ed25519 AAAAw1 /k/id",
		"ubuntu@198.51.100.3:22 10.0.1.12 false true ssh-ed25519 AAAAw2 /k/id"}
	if !slices.Equal(got, want) {
		t.Errorf("hosts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	delete(out[awsstack.OutWorkers].Value.([]any)[1].(map[string]any), "hostKey")
	if _, err := awsSwarmHosts(manager, out); err == nil || !strings.Contains(err.Error(), "worker 2's instance id or host key") {
		t.Errorf("a worker without its key: %v", err)
	}
}

// Images go where placement may run them: the model server's to every
// node, the jobs' to training nodes, the rest and the proxy to the
// tracking node.
func TestNodeImages(t *testing.T) {
	model := &stack.Model{Name: "p", Services: map[string]stack.Service{
		"serve":   {Name: "serve", Build: &stack.Build{}, Image: "p-serve:latest", Active: true, Ports: []stack.Port{{Published: "9696"}}},
		"mlflow":  {Name: "mlflow", Build: &stack.Build{}, Image: "p-mlflow:latest", Active: true},
		"train":   {Name: "train", Build: &stack.Build{}, Image: "p-jobs:latest"},
		"debug":   {Name: "debug", Image: "busybox:1"},
		"grafana": {Name: "grafana", Image: "grafana/grafana:11.3.0", Active: true},
	}}
	cfg := &config.Config{Services: map[string]config.Service{"serve": {Role: "model", Port: 9696}},
		Jobs: map[string]config.Job{"train": {Service: "train"}}}
	hosts := []swarmHost{{manager: true}, {training: true}, {}}
	got := nodeImages(model, cfg, map[string]bool{"grafana": true}, hosts)
	want := [][]string{{swarm.ProxyImage, "p-mlflow:latest", "p-serve:latest"}, {"p-jobs:latest", "p-serve:latest"}, {"p-serve:latest"}}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("host %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestSwarmSpec(t *testing.T) {
	cfg := &config.Config{Project: "p", Compose: config.Compose{Project: "stk"}, Swarm: config.Swarm{Encrypt: true},
		Services: map[string]config.Service{"serve": {Role: "model", Port: 9696, Replicas: 3, Health: "/ready"}},
		Jobs: map[string]config.Job{"train": {Service: "trainer", RunOnUp: true, Reserve: config.Reserve{CPUs: "2", Memory: "1G"}},
			"monitor": {Service: "monitor"}}}
	spec := swarmSpec(cfg, nil, nil, "/home/u/p")
	if spec.Stack != "stk" || spec.Model != "serve" || spec.Replicas != 3 || spec.ModelHealth != "/ready" || !spec.Encrypt ||
		spec.SocketDir != "/home/u/p/.mlforge/run" {
		t.Errorf("spec %+v", spec)
	}
	want := []swarm.Job{{Name: "monitor", Service: "monitor"}, {Name: "train", Service: "trainer", CPUs: "2", Memory: "1G"}}
	if !slices.Equal(spec.Jobs, want) {
		t.Errorf("jobs %+v", spec.Jobs)
	}
	if name, svc := runOnUpJob(cfg); name != "train" || svc != "trainer" {
		t.Errorf("runOnUpJob = %s, %s", name, svc)
	}
}

func TestImageRepo(t *testing.T) {
	for ref, want := range map[string]string{"p-serve:latest": "p-serve", "localhost:5000/p/serve:1": "localhost:5000/p/serve",
		"localhost:5000/serve": "localhost:5000/serve", "serve@sha256:abc": "serve"} {
		if got := imageRepo(ref); got != want {
			t.Errorf("imageRepo(%s) = %s, want %s", ref, got, want)
		}
	}
}

// target aws with workers deploys as a swarm: the program's offline plan
// (Pulumi mocks) exports what the swarm wiring reads, and the hosts it
// yields are the manager and each worker, pinned to the host key the
// plan gives that worker, advertising their private addresses; the
// security group lets the swarm's ports and ESP (encrypted overlays)
// pass between its members only.
func TestAWSWorkersDeployAsASwarm(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte("services:\n  serve:\n    build: .\n    image: taxi-serve:latest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Resolved{Config: &config.Config{Project: "taxi", Target: AWS, Compose: config.Compose{File: "docker-compose.yml", EnvFile: ".env"},
		AWS: config.AWS{Region: "eu-west-1", InstanceType: "t3.large", VolumeSize: 50, IdleStop: "60m", SSHUser: "ubuntu",
			SSHCidrs: []string{"203.0.113.7/32"}, DataVolumeSize: 20, KeepImages: 10, Workers: 2}}, Env: "dev"}
	deps := DefaultDeps()
	home := t.TempDir()
	deps.Getenv = func(k string) string {
		if k == "MLFORGE_HOME" {
			return home
		}
		return ""
	}
	tg, err := Open(deps, dir, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !tg.IsSwarm() {
		t.Fatal("aws with workers is not deployed as a swarm")
	}
	plan, _, err := tg.OfflinePlan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]provision.Output{}
	for k, v := range plan.Outputs {
		out[k] = provision.Output{Value: v}
	}
	manager := provision.Instance{InstanceID: "i-m", Address: "198.51.100.1", Port: 22, User: "ubuntu", KeyFile: "/k/id", HostKey: "ssh-ed25519 AAAAm"}
	hosts, err := awsSwarmHosts(manager, out)
	if err != nil {
		t.Fatalf("the plan's outputs do not describe the workers: %v\n%v", err, plan.Outputs)
	}
	workers, _ := plan.Outputs[awsstack.OutWorkers].([]any)
	if len(hosts) != 3 || len(workers) != 2 {
		t.Fatalf("hosts %+v from workers %v", hosts, workers)
	}
	for i, h := range hosts[1:] {
		w := workers[i].(map[string]any)
		if h.ssh.HostKey != w["hostKey"] || h.ssh.HostKey == "" || h.addr == "" || h.manager || !h.training {
			t.Errorf("worker %d: %+v from %v", i+1, h, w)
		}
	}
	var rules []string
	for _, r := range plan.Resources {
		if r.Type != "aws:ec2/securityGroup:SecurityGroup" {
			continue
		}
		ingress, _ := r.Inputs["ingress"].([]any)
		for _, in := range ingress {
			m := in.(map[string]any)
			if m["self"] == true {
				rules = append(rules, fmt.Sprintf("%v/%v", m["protocol"], m["fromPort"]))
			}
		}
	}
	slices.Sort(rules)
	if strings.Join(rules, " ") != "50/0 tcp/2377 tcp/7946 udp/4789 udp/7946" {
		t.Errorf("swarm rules between the group's members: %v", rules)
	}
}
