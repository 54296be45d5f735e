package config

import (
	"strings"
	"testing"
)

func TestSwarmSettings(t *testing.T) {
	doc := `project: taxi
target: swarm
swarm:
  managers: [root@10.0.0.1]
  workers: ["root@10.0.0.2:2222", root@10.0.0.3]
  training: [root@10.0.0.3]
  encrypt: false
services:
  serve: {role: model, port: 9696, replicas: 3}
jobs:
  train: {service: train, reserve: {cpus: 1.5, memory: 2G}}
`
	cfg, err := Parse("mlforge.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Swarm.Encrypt || len(cfg.Swarm.Workers) != 2 || cfg.Services["serve"].Replicas != 3 ||
		cfg.Jobs["train"].Reserve != (Reserve{CPUs: "1.5", Memory: "2G"}) {
		t.Errorf("decoded %+v, services %+v, jobs %+v", cfg.Swarm, cfg.Services, cfg.Jobs)
	}
	def, err := Parse("mlforge.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if !def.Swarm.Encrypt {
		t.Error("swarm.encrypt defaults to false, want true")
	}
}

func TestSwarmErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"no manager", "project: taxi\ntarget: swarm\n",
			"swarm.managers: target swarm needs at least one manager"},
		{"no manager for an environment", "project: taxi\nenvironments:\n  prod: {target: swarm}\n",
			"swarm.managers: target swarm needs at least one manager"},
		{"bad host", "project: taxi\nswarm:\n  managers: [nohost]\n",
			`mlforge.yaml:3: swarm.managers[0]: "nohost" is not user@address[:port]`},
		{"a host twice", "project: taxi\nswarm:\n  managers: [root@h1]\n  workers: [root@h2, \"root@h1:22\"]\n",
			"mlforge.yaml:4: swarm.workers[1]: root@h1:22 is also swarm.managers[0]: list each host once"},
		{"training host outside the swarm", "project: taxi\nswarm:\n  managers: [root@h1]\n  training: [root@h9]\n",
			"mlforge.yaml:4: swarm.training[0]: root@h9 is not one of swarm.managers or swarm.workers"},
		{"replicas on a service that is not the model", "project: taxi\nservices:\n  mlflow:\n    role: tracking\n    replicas: 2\n",
			"mlforge.yaml:5: services.mlflow.replicas: only the model service (role: model) is replicated"},
		{"replicas out of range", "project: taxi\nservices:\n  serve: {role: model, replicas: 0}\n",
			"services.serve.replicas: 0 is below the minimum 1"},
		{"cpus not a number", "project: taxi\njobs:\n  train: {service: train, reserve: {cpus: two}}\n",
			`jobs.train.reserve.cpus: "two" does not match`},
		{"memory without a unit we know", "project: taxi\njobs:\n  train: {service: train, reserve: {memory: 4 gigs}}\n",
			`jobs.train.reserve.memory: "4 gigs" does not match`},
		{"encrypt not a boolean", "project: taxi\nswarm: {encrypt: maybe}\n",
			`swarm.encrypt: expected true or false, got "maybe"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("mlforge.yaml", []byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
