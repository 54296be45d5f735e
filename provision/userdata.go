package provision

import (
	"fmt"
	"sort"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/config"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// hosts are the user data of an environment's machines, as EC2 gets them
// (gzip-compressed cloud-config).
type hosts struct {
	manager awsstack.UserDataFunc
	workers []awsstack.Worker
}

// hostUserData renders each machine's cloud-init: Docker through the
// install script (with the data volume on the manager), the pinned host
// key and the login key, and the idle-stop agent.
func hostUserData(c *config.Resolved, keys *Keys, keyDir string) (*hosts, error) {
	agent, err := IdleOptions(c)
	if err != nil {
		return nil, err
	}
	base := bootstrap.CloudInitOptions{User: c.AWS.SSHUser, AuthorizedKeys: []string{keys.PublicKey}, Gzip: true, Idle: agent}
	manager := base
	manager.HostKeys = []bootstrap.HostKey{keys.Host}
	h := &hosts{manager: bootstrap.UserDataFor(manager)}
	for i := range c.AWS.Workers {
		hk, err := WorkerHostKey(keyDir, i)
		if err != nil {
			return nil, err
		}
		w := base
		w.HostKeys = []bootstrap.HostKey{hk}
		ud, err := bootstrap.UserData(w)
		if err != nil {
			return nil, fmt.Errorf("rendering worker %d's cloud-init: %w", i+1, err)
		}
		fp, err := hk.Fingerprint()
		if err != nil {
			return nil, err
		}
		h.workers = append(h.workers, awsstack.Worker{UserData: ud, HostKey: hk.Public, HostKeyFingerprint: fp})
	}
	return h, nil
}

// IdleOptions configure the idle-stop agent of an environment's hosts
// from aws.idleStop and the stack: the compose project whose jobs count
// as activity, and the model service's request counter.
func IdleOptions(c *config.Resolved) (*idle.Options, error) {
	timeout, off, err := idle.ParseTimeout(c.AWS.IdleStop)
	if err != nil {
		return nil, fmt.Errorf("aws.idleStop: %w", err)
	}
	o := &idle.Options{Off: off, Timeout: timeout, Project: c.ComposeProject(), Spot: c.AWS.Spot}
	for _, name := range sortedServiceNames(c.Config) {
		s := c.Services[name]
		if s.Role == "model" && s.Port != 0 && s.RequestCounter != "" {
			o.ModelMetricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", s.Port)
			o.ModelCounter = s.RequestCounter
		}
	}
	return o, nil
}

func sortedServiceNames(c *config.Config) []string {
	names := make([]string, 0, len(c.Services))
	for n := range c.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
