package swarm

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

// FilesDir is where, in the project directory on the first manager, the
// derived stack, job and proxy files are kept (sync never touches the
// state directory).
func FilesDir(projectDir string) string { return path.Join(projectDir, stack.StateDir, "swarm") }

// SocketDir is the directory on the tracking node where the proxy
// listens and the edge connects.
func SocketDir(projectDir string) string { return path.Join(projectDir, stack.StateDir, "run") }

// Records kept with the files: the stack's volumes for `down --volumes`,
// and the services a healthy stack runs, for status.
const (
	volumesFile  = "volumes"
	servicesFile = "services"
)

// Expected reads the services a healthy stack runs, as the last deploy
// recorded them; none when nothing was deployed.
func Expected(ctx context.Context, sh Shell, projectDir string) ([]string, error) {
	var out, errOut bytes.Buffer
	p := quote(FilesDir(projectDir) + "/" + servicesFile)
	if err := sh.Run(ctx, "if [ -f "+p+" ]; then cat "+p+"; fi", nil, &out, &errOut); err != nil {
		return nil, fmt.Errorf("reading the deployed services: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return strings.Fields(out.String()), nil
}

// Expected lists the services a healthy stack runs: the compose file's
// long-running ones, the proxy and the edge.
func (st *Stack) Expected() []string {
	out := append([]string(nil), st.Services...)
	if _, ok := st.File.Services[ProxyService]; ok {
		out = append(out, EdgeService, ProxyService)
	}
	sort.Strings(out)
	return out
}

// Deploy writes the derived files to the first manager and deploys the
// stack there with `docker stack deploy --prune`: services that changed
// roll out as their update settings say, services no longer in the file
// are removed. A change of swarm.encrypt needs the network recreated,
// which a deploy cannot do: it is refused with what to run.
type Deploy struct {
	Shell   Shell  // the first manager
	Dir     string // the project directory there
	Name    string // the stack's name
	Derived *Stack
	Encrypt bool
}

func (d *Deploy) String() string { return "deploy the stack" }

// Run implements pipeline.Step.
func (d *Deploy) Run(ctx context.Context, r pipeline.Reporter) error {
	if err := d.checkNetworks(ctx); err != nil {
		return err
	}
	if err := d.write(ctx); err != nil {
		return err
	}
	r.Update("docker stack deploy")
	out := &bytes.Buffer{}
	cmd := "cd " + quote(FilesDir(d.Dir)) + " && docker stack deploy --prune --resolve-image never -c stack.yml " + quote(d.Name)
	if err := d.Shell.Run(ctx, cmd, nil, out, out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.Println(ui.Indent(tailLines(out.String(), 30), "   | "))
		return errs.WithHint(fmt.Errorf("docker stack deploy: %w", err), "the output above says why")
	}
	d.pruneConfigs(ctx)
	r.Update(fmt.Sprintf("%d services", len(d.Derived.File.Services)))
	return nil
}

// write puts the stack file, the job files, the proxy's configurations
// and the volume list in FilesDir, and creates the socket directory
// (writable by the proxy's user; the ports it stands for are on the
// loopback, open to every local user, all the same).
func (d *Deploy) write(ctx context.Context) error {
	files := map[string][]byte{"stack.yml": d.Derived.File.YAML(),
		volumesFile:  []byte(strings.Join(d.Derived.VolumeList, "\n") + "\n"),
		servicesFile: []byte(strings.Join(d.Derived.Expected(), "\n") + "\n")}
	if d.Derived.ProxyCfg != nil {
		files["proxy.cfg"], files["edge.cfg"] = d.Derived.ProxyCfg, d.Derived.EdgeCfg
	}
	for name, f := range d.Derived.Jobs {
		files["job-"+name+".yml"] = f.YAML()
	}
	archive, err := tarOf(files)
	if err != nil {
		return err
	}
	script := "set -e; d=" + quote(FilesDir(d.Dir)) + "; rm -rf \"$d\"; mkdir -p \"$d\" " + quote(SocketDir(d.Dir)) +
		"; chmod 1777 " + quote(SocketDir(d.Dir)) + "; tar -x -C \"$d\""
	var errOut bytes.Buffer
	if err := d.Shell.Run(ctx, script, bytes.NewReader(archive), io.Discard, &errOut); err != nil {
		return fmt.Errorf("writing the stack files to %s: %w: %s", FilesDir(d.Dir), err, strings.TrimSpace(errOut.String()))
	}
	return nil
}

// checkNetworks refuses to deploy when an existing network of the stack
// was created with the other encryption setting.
func (d *Deploy) checkNetworks(ctx context.Context) error {
	for _, key := range sortedKeys(d.Derived.File.Networks) {
		n := d.Derived.File.Networks[key]
		if n["external"] == true {
			continue
		}
		var out bytes.Buffer
		name := d.Name + "_" + key
		if err := d.Shell.Run(ctx, "docker network inspect --format '{{json .Options}}' "+quote(name), nil, &out, io.Discard); err != nil {
			continue // not created yet
		}
		has := strings.Contains(out.String(), `"encrypted"`)
		if has != d.Encrypt {
			return errs.WithHint(fmt.Errorf("swarm.encrypt is %v but network %s was created with encryption %v", d.Encrypt, name, has),
				"run `mlforge down` (the stack's volumes stay) and `mlforge up` again to recreate it, or set swarm.encrypt back")
		}
	}
	return nil
}

// pruneConfigs removes the stack's configs no service uses any more (the
// proxy's earlier versions); those still in use by a task stopping fail
// to go and are removed by the next deploy.
func (d *Deploy) pruneConfigs(ctx context.Context) {
	var keep []string
	for _, c := range d.Derived.File.Configs {
		if n, _ := c["name"].(string); n != "" {
			keep = append(keep, n)
		}
	}
	sort.Strings(keep)
	script := "docker config ls --filter label=com.docker.stack.namespace=" + quote(d.Name) + " --format '{{.Name}}' | " +
		"grep -vxF -e " + quote(strings.Join(append(keep, "-"), "\n")) + " | xargs -r docker config rm >/dev/null 2>&1 || true"
	_ = d.Shell.Run(ctx, script, nil, io.Discard, io.Discard)
}

func tarOf(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		b := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// quote quotes s for a POSIX shell.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// tailLines returns the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
