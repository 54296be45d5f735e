package swarm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
)

// Form makes the hosts one swarm: initialised on the first manager when
// none of them is in one yet, the others joined with the token of their
// role. The tokens are read from the leader's API and handed to the
// joining engine's API, both through the SSH connections: they are never
// printed, logged, kept in a file or put on a command line.
type Form struct {
	// Hosts are the managers in configured order (the first is the
	// tracking node), then the workers.
	Hosts []*Host

	// Leader is the manager the swarm is reached through, once formed.
	Leader *Host
	// IDs are the node IDs by host name.
	IDs map[string]string
	// Created and Joined say what changed.
	Created bool
	Joined  []string
}

func (f *Form) String() string { return fmt.Sprintf("form the swarm (%d hosts)", len(f.Hosts)) }

// Run implements pipeline.Step.
func (f *Form) Run(ctx context.Context, r pipeline.Reporter) error {
	infos, err := f.inspect(ctx)
	if err != nil {
		return err
	}
	leader, err := f.leader(infos)
	if err != nil {
		return err
	}
	if leader < 0 {
		leader = 0
		h := f.Hosts[0]
		r.Update("initialising on " + h.Name)
		if infos[0], err = f.init(ctx, h); err != nil {
			return err
		}
		f.Created = true
	}
	f.Leader = f.Hosts[leader]
	if err := f.joinOthers(ctx, r, infos, leader); err != nil {
		return err
	}
	f.IDs = map[string]string{}
	for i, h := range f.Hosts {
		f.IDs[h.Name] = infos[i].NodeID
	}
	r.Update(fmt.Sprintf("%d nodes; %d joined now", len(f.Hosts), len(f.Joined)))
	return nil
}

// inspect reads every host's swarm state, concurrently.
func (f *Form) inspect(ctx context.Context) ([]swarm.Info, error) {
	infos := make([]swarm.Info, len(f.Hosts))
	errList := make([]error, len(f.Hosts))
	var wg sync.WaitGroup
	for i, h := range f.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			infos[i], errList[i] = swarmInfo(ctx, h)
		}()
	}
	wg.Wait()
	return infos, errors.Join(errList...)
}

func swarmInfo(ctx context.Context, h *Host) (swarm.Info, error) {
	res, err := h.Engine.Info(ctx, client.InfoOptions{})
	if err != nil {
		return swarm.Info{}, fmt.Errorf("reading the swarm state of %s: %w", h.Name, err)
	}
	return res.Info.Swarm, nil
}

// leader is the index of the first configured manager that manages a
// swarm, -1 when no host is in one. A host in a swarm none of the
// configured managers manages is an error: mlforge does not take over a
// swarm it cannot reach.
func (f *Form) leader(infos []swarm.Info) (int, error) {
	inSwarm := -1
	for i, in := range infos {
		switch in.LocalNodeState {
		case swarm.LocalNodeStateActive:
			if f.Hosts[i].Manager && in.ControlAvailable {
				return i, nil
			}
			if inSwarm < 0 {
				inSwarm = i
			}
		case swarm.LocalNodeStateInactive, "":
		default:
			return 0, errs.WithHint(fmt.Errorf("%s is in swarm state %q: %s", f.Hosts[i].Name, in.LocalNodeState, in.Error),
				"fix it on the host (`docker info` shows the swarm state), or run `docker swarm leave --force` there, then `mlforge up` again")
		}
	}
	if inSwarm >= 0 {
		return 0, errs.WithHint(fmt.Errorf("%s is in a swarm that none of swarm.managers manages", f.Hosts[inSwarm].Name),
			"list one of that swarm's managers first under swarm.managers, or run `docker swarm leave --force` on the host")
	}
	return -1, nil
}

// init starts a new swarm on h, advertising its address.
func (f *Form) init(ctx context.Context, h *Host) (swarm.Info, error) {
	addr, err := advertiseAddr(ctx, h, "")
	if err != nil {
		return swarm.Info{}, err
	}
	if _, err := h.Engine.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: addr}); err != nil {
		return swarm.Info{}, fmt.Errorf("initialising the swarm on %s (advertising %q): %w", h.Name, addr, err)
	}
	return swarmInfo(ctx, h)
}

// joinOthers joins every host not in the leader's swarm yet, one at a
// time (managers joining together can upset the raft quorum).
func (f *Form) joinOthers(ctx context.Context, r pipeline.Reporter, infos []swarm.Info, leader int) error {
	lead := f.Hosts[leader]
	members, err := nodeIDs(ctx, lead.API)
	if err != nil {
		return err
	}
	var tokens swarm.JoinTokens
	for i, h := range f.Hosts {
		in := infos[i]
		if in.LocalNodeState == swarm.LocalNodeStateActive {
			if !members[in.NodeID] {
				return errs.WithHint(fmt.Errorf("%s is already in another swarm", h.Name),
					"run `docker swarm leave --force` on it (its containers of that swarm stop), or remove it from mlforge.yaml")
			}
			continue
		}
		if tokens.Worker == "" {
			res, err := lead.API.SwarmInspect(ctx, client.SwarmInspectOptions{})
			if err != nil {
				return fmt.Errorf("reading the join tokens on %s: %w", lead.Name, err)
			}
			tokens = res.Swarm.JoinTokens
		}
		r.Update("joining " + h.Name + " as a " + h.Role())
		if infos[i], err = join(ctx, h, infos[leader], tokens); err != nil {
			return err
		}
		f.Joined = append(f.Joined, h.Name)
	}
	return nil
}

// join makes h a node of the leader's swarm with its role's token.
func join(ctx context.Context, h *Host, leader swarm.Info, tokens swarm.JoinTokens) (swarm.Info, error) {
	var remotes []string
	for _, m := range leader.RemoteManagers {
		remotes = append(remotes, m.Addr)
	}
	if len(remotes) == 0 {
		remotes = []string{leader.NodeAddr + ":2377"}
	}
	host, _, _ := strings.Cut(remotes[0], ":")
	addr, err := advertiseAddr(ctx, h, host)
	if err != nil {
		return swarm.Info{}, err
	}
	token := tokens.Worker
	if h.Manager {
		token = tokens.Manager
	}
	_, err = h.Engine.SwarmJoin(ctx, client.SwarmJoinOptions{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: addr,
		RemoteAddrs: remotes, JoinToken: token})
	if err != nil {
		return swarm.Info{}, fmt.Errorf("joining %s to the swarm at %s: %w", h.Name, strings.Join(remotes, ", "),
			redact(err, tokens.Worker, tokens.Manager))
	}
	return swarmInfo(ctx, h)
}

// redact removes the join tokens from an error an engine returned.
func redact(err error, secrets ...string) error {
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "<join token>")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// nodeIDs is the set of the swarm's node IDs.
func nodeIDs(ctx context.Context, m Manager) (map[string]bool, error) {
	res, err := m.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the swarm's nodes: %w", err)
	}
	out := map[string]bool{}
	for _, n := range res.Items {
		out[n.ID] = true
	}
	return out, nil
}
