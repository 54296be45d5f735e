package swarm

// Rollout settings of the model service: one replica at a time, the new
// one started (and, with a health check, healthy) before the old one
// stops, watched for a while, rolled back on failure.
const (
	rolloutDelay   = "5s"
	rolloutMonitor = "15s"
)

// DefaultReplicas is the model service's replica count when mlforge.yaml
// sets none.
const DefaultReplicas = 2

// placementFor is the deploy section of a long-running service: the
// model server replicated over the serving nodes with zero-downtime
// rollouts; every other service once, on the tracking node, where its
// volumes live, stopped before its replacement starts (two MLflow servers
// on one SQLite file must never run at once). Every service resolves
// through DNS to its tasks (endpoint_mode dnsrr): no virtual IP, so no
// IPVS is needed.
func placementFor(spec Spec, name string) map[string]any {
	if name == spec.Model {
		n := spec.Replicas
		if n == 0 {
			n = DefaultReplicas
		}
		rollout := map[string]any{"parallelism": 1, "order": "start-first", "failure_action": "rollback",
			"delay": rolloutDelay, "monitor": rolloutMonitor, "max_failure_ratio": 0}
		return map[string]any{"replicas": n, "endpoint_mode": "dnsrr",
			"placement":       map[string]any{"constraints": []string{OnServing}},
			"update_config":   rollout,
			"rollback_config": map[string]any{"parallelism": 1, "order": "start-first", "monitor": rolloutMonitor},
		}
	}
	return map[string]any{"replicas": 1, "endpoint_mode": "dnsrr",
		"placement":     map[string]any{"constraints": []string{OnTracking}},
		"update_config": map[string]any{"order": "stop-first", "failure_action": "rollback"},
	}
}

// jobPlacement is the deploy section of a one-shot job: one task on a
// training node with the reservations of mlforge.yaml, never restarted
// (its exit code is the result).
func jobPlacement(j Job) map[string]any {
	d := map[string]any{"mode": "replicated-job", "replicas": 1, "endpoint_mode": "dnsrr",
		"placement":      map[string]any{"constraints": []string{OnTraining}},
		"restart_policy": map[string]any{"condition": "none"},
	}
	res := map[string]any{}
	if j.CPUs != "" {
		res["cpus"] = j.CPUs
	}
	if j.Memory != "" {
		res["memory"] = j.Memory
	}
	if len(res) > 0 {
		d["resources"] = map[string]any{"reservations": res}
	}
	return d
}
