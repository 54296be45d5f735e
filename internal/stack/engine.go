package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Engine is what mlforge asks the Docker engine directly.
type Engine interface {
	// Info returns the engine's version and data directory.
	Info(ctx context.Context) (EngineInfo, error)
	// ImageID returns an image's ID, or "" when it is not present.
	ImageID(ctx context.Context, ref string) (string, error)
	// Tag adds target as a name of the image src.
	Tag(ctx context.Context, src, target string) error
	// HealthLog returns the last health-check outputs of a container.
	HealthLog(ctx context.Context, container string) ([]string, error)
	// Images lists the images named in repo (any tag), with those names.
	Images(ctx context.Context, repo string) ([]ImageNames, error)
	// Untag removes the name ref. An image goes with its last name, unless
	// a container uses it: then the name stays, and that is no error.
	Untag(ctx context.Context, ref string) error
}

// ImageNames is an image with its names in one repository.
type ImageNames struct {
	ID      string
	Names   []string // repo:tag
	Created time.Time
}

// EngineInfo describes the engine.
type EngineInfo struct {
	Version string
	RootDir string
	Host    string
}

// MobyEngine implements Engine with the Docker (moby) Go client.
type MobyEngine struct {
	c    *client.Client
	host string
}

// NewEngine connects to the engine the docker CLI would use: DOCKER_HOST,
// else the DOCKER_CONTEXT or current context's endpoint, else the default
// socket. No request is made until a method is called.
func NewEngine() (*MobyEngine, error) {
	host, err := DockerHost()
	if err != nil {
		return nil, err
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	c, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if host == "" {
		host = c.DaemonHost()
	}
	return &MobyEngine{c: c, host: host}, nil
}

// NewEngineDialer connects to an engine through dial (for example the
// Docker socket of a remote host reached over SSH); host names it in
// messages.
func NewEngineDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error), host string) (*MobyEngine, error) {
	c, err := client.New(client.WithHost("unix:///var/run/docker.sock"), client.WithDialContext(dial),
		client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", host, err)
	}
	return &MobyEngine{c: c, host: host}, nil
}

// Client returns the underlying moby client.
func (e *MobyEngine) Client() *client.Client { return e.c }

// DockerHost returns the endpoint of the active docker context ("" for the
// default), honouring DOCKER_HOST and DOCKER_CONTEXT like the docker CLI.
func DockerHost() (string, error) {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h, nil
	}
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil
		}
		dir = filepath.Join(home, ".docker")
	}
	name := os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
			_ = json.Unmarshal(b, &cfg)
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return "", nil
	}
	sum := sha256.Sum256([]byte(name))
	b, err := os.ReadFile(filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json"))
	if err != nil {
		return "", fmt.Errorf("docker context %q: %w (run `docker context ls`)", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return "", fmt.Errorf("docker context %q: %w", name, err)
	}
	host := meta.Endpoints["docker"].Host
	if strings.HasPrefix(host, "ssh://") {
		return "", fmt.Errorf("docker context %q points at %s: for remote hosts use `mlforge up --target ssh --host ...`", name, host)
	}
	return host, nil
}

// Host returns the endpoint in use.
func (e *MobyEngine) Host() string { return e.host }

// Close releases the client.
func (e *MobyEngine) Close() error { return e.c.Close() }

// Info implements Engine.
func (e *MobyEngine) Info(ctx context.Context) (EngineInfo, error) {
	res, err := e.c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return EngineInfo{}, err
	}
	return EngineInfo{Version: res.Info.ServerVersion, RootDir: res.Info.DockerRootDir, Host: e.host}, nil
}

// ImageID implements Engine.
func (e *MobyEngine) ImageID(ctx context.Context, ref string) (string, error) {
	res, err := e.c.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return res.ID, nil
}

// Tag implements Engine.
func (e *MobyEngine) Tag(ctx context.Context, src, target string) error {
	_, err := e.c.ImageTag(ctx, client.ImageTagOptions{Source: src, Target: target})
	return err
}

// Images implements Engine.
func (e *MobyEngine) Images(ctx context.Context, repo string) ([]ImageNames, error) {
	res, err := e.c.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("reference", repo)})
	if err != nil {
		return nil, err
	}
	var out []ImageNames
	for _, img := range res.Items {
		in := ImageNames{ID: img.ID, Created: time.Unix(img.Created, 0)}
		for _, name := range img.RepoTags {
			if strings.HasPrefix(name, repo+":") {
				in.Names = append(in.Names, name)
			}
		}
		if len(in.Names) > 0 {
			out = append(out, in)
		}
	}
	return out, nil
}

// Untag implements Engine.
func (e *MobyEngine) Untag(ctx context.Context, ref string) error {
	_, err := e.c.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true})
	if cerrdefs.IsConflict(err) || cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// HealthLog implements Engine.
func (e *MobyEngine) HealthLog(ctx context.Context, container string) ([]string, error) {
	res, err := e.c.ContainerInspect(ctx, container, client.ContainerInspectOptions{})
	if err != nil {
		return nil, err
	}
	st := res.Container.State
	if st == nil || st.Health == nil {
		return nil, errors.New("no health check")
	}
	var out []string
	for _, l := range st.Health.Log {
		out = append(out, fmt.Sprintf("exit %d: %s", l.ExitCode, strings.TrimSpace(l.Output)))
	}
	return out, nil
}
