package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/internal/ui"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// TestRegistryOutlivesTheHost: the taxi template on AWS (the glue's stand-ins:
// a test host plays the instance, a loop device its data volume, moto's S3
// the account's bucket), up -> trained -> destroy -> up again on a new host
// from a fresh runner. The registry still has the model version and its
// production alias, the second up trains nothing, and the new host's model
// server answers with that version.
func TestRegistryOutlivesTheHost(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequirePulumi(t)
	for _, img := range []string{"python:3.11-slim", "prom/prometheus:v2.55.1", "prom/pushgateway:v1.10.0", "prom/alertmanager:v0.28.1"} {
		testenv.RequireImage(t, img)
	}
	endpoint := testenv.Moto(t)
	reg := testenv.Registry(t)
	t.Setenv("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
	backend := motoBucket(t, endpoint, "mlft-keep-state")
	const bucket = "mlft-keep-prod-artifacts-0123" // the stand-in program's bucket
	motoBucket(t, endpoint, bucket)
	const volume = "vol-0a1b2c3d4e5f60718"
	minor := testenv.LoopDevice(t, 1024) // before the hosts: detached after them

	repo := filepath.Join(t.TempDir(), "keep")
	if r := run(t, t.TempDir(), "new", repo, "--set", "project_name=mlft-keep", "--set", "aws_region=eu-west-1", "--no-git"); r.code != 0 {
		t.Fatalf("new: %s", r.errOut)
	}
	setProdForTests(t, repo, backend)
	moto, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	s3Port := moto.Port()
	mlflowOnS3(t, repo, "http://"+sshtest.ContainerGateway+":"+s3Port)
	repos, err := remote.ComposeRepositories(filepath.Join(repo, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	for _, name := range repos {
		urls[name] = reg + "/mlft-keep-prod-" + name
	}

	// instance boots a test host as EC2 would boot the environment's
	// instance: the data volume attached, Docker installed with its
	// volumes there (what cloud-init runs), the registry and the
	// account's S3 within its reach.
	instance := func() (*sshtest.Host, booting) {
		h := sshtest.Start(t, sshtest.Trixie)
		h.AttachBlockDevice(t, awsstack.DataDevices(volume)[0], minor)
		sshtest.ForwardToContainers(t, h, moto.Host)
		c, err := sshx.Dial(context.Background(), h.Options("root"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		boot := bootstrap.Options{DataDevices: awsstack.DataDevices(volume), DataWait: 20 * time.Second}
		if _, err := bootstrap.Run(context.Background(), bootstrap.SSHRunner{Client: c}, boot, ui.NewPlainStatus(io.Discard)); err != nil {
			t.Fatalf("first boot of %s: %v", h.Name, err)
		}
		h.Exec(t, `printf '#!/bin/sh\necho "status: done"\n' > /usr/local/bin/cloud-init && chmod +x /usr/local/bin/cloud-init`)
		sshtest.ReverseForward(t, c, reg)
		return h, booting{standIn: standIn{instanceID: motoInstance(t, endpoint), port: h.Port, repos: urls, dataVolume: volume}, host: h}
	}
	// up runs `mlforge up --env prod` as a fresh CI runner does.
	up := func(program booting) (*Factory, upJSON) {
		t.Helper()
		f, _ := machine(t, repo, endpoint, program.standIn)
		f.Deploy.Program = program.program
		start := time.Now()
		r := runWith(t, f, "up", "--env", "prod", "--yes", "--json")
		if r.code != 0 {
			logs, _ := program.host.TryExec("for c in $(docker ps -aq); do docker inspect -f '{{.Name}}' $c; docker logs --tail 20 $c 2>&1 | tr -cd '[:print:]\\n'; done")
			t.Fatalf("up --env prod: exit %d\n%s\nthe host's containers:\n%s", r.code, r.errOut, logs)
		}
		t.Logf("up --env prod on a fresh host: %s", time.Since(start).Round(time.Second))
		var o upJSON
		if err := json.Unmarshal([]byte(r.out), &o); err != nil {
			t.Fatalf("%v: %s", err, r.out)
		}
		return f, o
	}

	first, program := instance()
	f, o := up(program)
	if !o.Trained || o.ModelVersion == "" {
		t.Fatalf("first up: %+v, want a model trained and served", o)
	}
	if got := productionVersion(t, first); got != o.ModelVersion {
		t.Fatalf("the first host's registry: production is version %q, want %q", got, o.ModelVersion)
	}
	if got := servedVersion(t, first); got != o.ModelVersion {
		t.Fatalf("the first host's model server answers with version %q, want %q", got, o.ModelVersion)
	}
	if mounted := first.Exec(t, "findmnt -n -o SOURCE --mountpoint /var/lib/docker/volumes"); !strings.Contains(mounted, "/dev/") {
		t.Fatalf("the stack's volumes are not on the data volume (mounted from %q)", mounted)
	}

	r := runWith(t, f, "destroy", "--env", "prod", "--yes")
	if r.code != 0 {
		t.Fatalf("destroy: exit %d\n%s", r.code, r.errOut)
	}
	if !strings.Contains(r.out+r.errOut, "volume "+volume) {
		t.Errorf("destroy does not say it keeps the data volume:\n%s%s", r.out, r.errOut)
	}
	// EC2 terminates the instance: it stops (the file systems unmounted)
	// before the volume is detached.
	first.StopForDetach(t)
	first.Remove()

	second, program := instance()
	_, again := up(program)
	if again.Trained || again.ModelVersion != o.ModelVersion {
		t.Errorf("up on the new host: %+v, want version %s served again, nothing trained", again, o.ModelVersion)
	}
	if got := productionVersion(t, second); got != o.ModelVersion {
		t.Errorf("the new host's registry: production is version %q, want %q (the registry was lost with the host)", got, o.ModelVersion)
	}
	if got := servedVersion(t, second); got != o.ModelVersion {
		t.Errorf("the new host's model server answers with version %q, want %q", got, o.ModelVersion)
	}
}

// upJSON is what `up --json` reports about the model.
type upJSON struct {
	Trained      bool   `json:"trained"`
	ModelVersion string `json:"modelVersion"`
}

// mlflowOnS3 points the MLflow server's S3 client at endpoint (moto's S3,
// reached from the host's containers through the host), and lets every
// service reach it (MLflow hands its clients presigned S3 URLs): on AWS the
// instance role and S3 itself do this.
func mlflowOnS3(t *testing.T, repo, endpoint string) {
	t.Helper()
	editServices(t, repo, func(services *yaml.Node) {
		mlflowS3Client(t, services, endpoint)
		for i := 1; i < len(services.Content); i += 2 {
			var hosts yaml.Node
			if err := yaml.Unmarshal([]byte(`["`+sshtest.ContainerGateway+`:host-gateway"]`), &hosts); err != nil {
				t.Fatal(err)
			}
			services.Content[i].Content = append(services.Content[i].Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "extra_hosts"}, hosts.Content[0])
		}
	})
}

// inService runs a Python snippet in the host's container of a compose
// service and returns what it prints.
func inService(t *testing.T, h *sshtest.Host, service, code string) string {
	t.Helper()
	out, err := h.TryExec(fmt.Sprintf(`docker exec "$(docker ps -q --filter label=com.docker.compose.service=%s | head -n1)" python -c '%s'`, service, code))
	if err != nil {
		t.Fatalf("in %s on %s: %v\n%s", service, h.Name, err, out)
	}
	return strings.TrimSpace(out)
}

// productionVersion is the version the host's MLflow registry has under
// the taxi model's production alias.
func productionVersion(t *testing.T, h *sshtest.Host) string {
	t.Helper()
	return inService(t, h, "mlflow", `import json, urllib.request as u
r = u.urlopen("http://127.0.0.1:5000/api/2.0/mlflow/registered-models/alias?name=taxi-duration&alias=production", timeout=10)
print(json.load(r)["model_version"]["version"])`)
}

// servedVersion is the model version in the host's model server's answer
// to a ride.
func servedVersion(t *testing.T, h *sshtest.Host) string {
	t.Helper()
	return inService(t, h, "serve", `import json, urllib.request as u
req = u.Request("http://127.0.0.1:9696/predict", data=b"{\"PULocationID\": 10, \"DOLocationID\": 50, \"trip_distance\": 40}", headers={"Content-Type": "application/json"})
print(json.load(u.urlopen(req, timeout=10))["model_version"])`)
}
