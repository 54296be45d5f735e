// Package swarm runs a project's stack on a Docker Swarm of hosts reached
// over SSH. It forms the swarm (the join tokens travel only between the
// engines' APIs, through the SSH connections), labels the nodes by role,
// derives a stack file from the compose model (placement, replicas,
// health-gated start-first rollouts, endpoint_mode dnsrr, and HAProxy as
// the front door instead of published ports), deploys it with
// `docker stack deploy` on a manager, judges its health from services and
// tasks, runs one-shot jobs as replicated jobs, and takes it down.
package swarm

import (
	"context"
	"io"

	"github.com/moby/moby/client"
)

// Node labels mlforge sets: the host a node is (as configured), and the
// roles that place services on it.
const (
	LabelHost     = "mlforge.host"
	LabelTracking = "mlforge.tracking"
	LabelTraining = "mlforge.training"
	LabelServing  = "mlforge.serving"
)

// Constraints placing services on the nodes of a role.
const (
	OnTracking = "node.labels." + LabelTracking + " == true"
	OnTraining = "node.labels." + LabelTraining + " == true"
	OnServing  = "node.labels." + LabelServing + " == true"
)

// Engine is the part of a host's Docker engine API that joins and leaves
// a swarm (*client.Client implements it).
type Engine interface {
	Info(ctx context.Context, o client.InfoOptions) (client.SystemInfoResult, error)
	SwarmInit(ctx context.Context, o client.SwarmInitOptions) (client.SwarmInitResult, error)
	SwarmJoin(ctx context.Context, o client.SwarmJoinOptions) (client.SwarmJoinResult, error)
	SwarmLeave(ctx context.Context, o client.SwarmLeaveOptions) (client.SwarmLeaveResult, error)
}

// Manager is the part of a manager's Docker engine API that reads and
// changes the swarm (*client.Client implements it).
type Manager interface {
	SwarmInspect(ctx context.Context, o client.SwarmInspectOptions) (client.SwarmInspectResult, error)
	NodeList(ctx context.Context, o client.NodeListOptions) (client.NodeListResult, error)
	NodeUpdate(ctx context.Context, id string, o client.NodeUpdateOptions) (client.NodeUpdateResult, error)
	NodeRemove(ctx context.Context, id string, o client.NodeRemoveOptions) (client.NodeRemoveResult, error)
	ServiceList(ctx context.Context, o client.ServiceListOptions) (client.ServiceListResult, error)
	TaskList(ctx context.Context, o client.TaskListOptions) (client.TaskListResult, error)
}

// Shell runs a command on a host (an *sshx.Client).
type Shell interface {
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error
}

// Host is one machine of the swarm as mlforge reaches it.
type Host struct {
	// Name is the host as configured, user@address:port.
	Name     string
	Manager  bool // listed under swarm.managers
	Training bool // labelled for training
	// Addr is the address the other nodes reach it at; empty, it is the
	// host's source address towards the swarm (its default route's for
	// the first manager).
	Addr   string
	Engine Engine
	Shell  Shell
	// API is its engine as a manager (set for managers).
	API Manager
}

// Role is the swarm role the configuration gives the host.
func (h *Host) Role() string {
	if h.Manager {
		return "manager"
	}
	return "worker"
}
