package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/provision"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"golang.org/x/crypto/ssh/agent"
)

func checkPulumi(ctx context.Context, getenv func(string) string) check {
	c := check{Name: "pulumi CLI"}
	home, err := provision.Home(getenv)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	userHome, _ := os.UserHomeDir()
	pulumi := provision.PulumiCLI{Home: home, UserHome: userHome, Install: func(context.Context, string) (auto.PulumiCommand, error) {
		return nil, errors.New("not installed (doctor does not download)")
	}}
	cmd, err := pulumi.Locate(ctx)
	if err != nil {
		c.Detail = "not found"
		c.Fix = errs.Hint(err)
		return c
	}
	c.OK, c.Detail = true, "version "+cmd.Version().String()
	return c
}

func checkRegion(region, source string) check {
	c := check{Name: "AWS region"}
	if region == "" {
		c.Detail, c.Fix = "not set", "set aws.region in mlforge.yaml (or AWS_REGION)"
		return c
	}
	c.OK, c.Detail = true, region+" (from "+source+")"
	return c
}

func checkCredentials(ctx context.Context, deps deploy.Deps, region string) check {
	c := check{Name: "AWS credentials", Fix: "configure credentials: `aws configure`, `aws sso login --profile P` with AWS_PROFILE=P, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}
	if region == "" {
		region = "us-east-1"
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	client, err := deps.AWS(ctx, region)
	if err == nil {
		var id awsapi.Identity
		if id, err = client.CallerIdentity(ctx); err == nil {
			c.OK, c.Detail, c.Fix = true, id.ARN, ""
			return c
		}
	}
	c.Detail = firstLineOf(err.Error())
	return c
}

func checkDocker(ctx context.Context) check {
	out, err := runQuick(ctx, "docker", "version", "--format", "{{.Server.Version}}")
	if err != nil {
		return check{Name: "Docker engine", Detail: out, Fix: "install Docker Engine (https://docs.docker.com/engine/install/) and start it; add yourself to the docker group"}
	}
	return check{Name: "Docker engine", OK: true, Detail: "version " + out}
}

func checkCompose(ctx context.Context) check {
	out, err := runQuick(ctx, "docker", "compose", "version", "--short")
	if err != nil {
		return check{Name: "Docker Compose v2", Detail: out, Fix: "install the Compose v2 plugin (package docker-compose-plugin or docker-compose-v2)"}
	}
	return check{Name: "Docker Compose v2", OK: true, Detail: "version " + out}
}

func checkAgent(getenv func(string) string) check {
	c := check{Name: "ssh-agent", Fix: "for target ssh start one and add your key: eval \"$(ssh-agent)\" && ssh-add (target aws uses the environment's own key and does not need it)"}
	sock := getenv("SSH_AUTH_SOCK")
	if sock == "" {
		c.Detail = "SSH_AUTH_SOCK not set"
		return c
	}
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		c.Detail = "not reachable at " + sock
		return c
	}
	defer conn.Close()
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		c.Detail = "not answering: " + err.Error()
		return c
	}
	if len(keys) == 0 {
		c.Detail, c.Fix = "running, no keys", "add your key: ssh-add"
		return c
	}
	c.OK, c.Detail, c.Fix = true, fmt.Sprintf("%d keys", len(keys)), ""
	return c
}

// runQuick runs a local command with a short timeout, returning its trimmed output.
func runQuick(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s := firstLineOf(strings.TrimSpace(out.String()))
	if err != nil && s == "" {
		s = err.Error()
	}
	return s, err
}

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
