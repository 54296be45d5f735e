package provision

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/ui"
)

// TestHostWaitOverRealSSH runs the stages against a real sshd host (a
// container on 127.0.0.1): SSH passes with the pinned host key; the host
// has no cloud-init, so that stage fails with cloud-init's own diagnosis.
// A wrong pinned key fails the SSH stage at once.
func TestHostWaitOverRealSSH(t *testing.T) {
	h := sshtest.Start(t, sshtest.Bookworm)
	inst := fakeInstances{state: awsapi.InstanceState{State: "running", PublicIP: "127.0.0.1"}, console: "boot"}
	wait := func(hostKey string) (string, error) {
		w := &HostWait{
			Instance:  &Instance{InstanceID: "i-0abc", Port: h.Port, User: sshtest.SudoUser, KeyFile: h.Identity, HostKey: hostKey, HostKeyFingerprint: "SHA256:pinned"},
			Instances: inst, Poll: 100 * time.Millisecond,
			Timeouts: Timeouts{Running: 10 * time.Second, SSH: 30 * time.Second, CloudInit: 30 * time.Second, Docker: 30 * time.Second},
		}
		var buf bytes.Buffer
		err := pipeline.Run(context.Background(), ui.NewPlainStatus(&buf), w.Steps())
		return buf.String(), err
	}

	out, err := wait(h.HostKey)
	if !strings.Contains(out, "✓ SSH reachable with the pinned host key") || err == nil ||
		!strings.Contains(err.Error(), "cloud-init finished: cloud-init did not finish") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("stages:\n%s\nerror: %v", out, err)
	}

	other, err := bootstrap.GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err = wait(other.Public)
	if err == nil || !strings.Contains(out, "✗ SSH reachable") || !strings.Contains(err.Error(), "expected SHA256:pinned") {
		t.Errorf("wrong pinned key:\n%s\nerror: %v", out, err)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("a wrong host key was retried (%s)", time.Since(start))
	}
}
