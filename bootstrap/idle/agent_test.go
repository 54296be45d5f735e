package idle_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
)

type quiet struct{}

func (quiet) Start(string)   {}
func (quiet) Update(string)  {}
func (quiet) End(error)      {}
func (quiet) Skip(string)    {}
func (quiet) Println(string) {}

// agent drives and observes the agent on the test host, through docker
// exec only: an SSH connection would itself count as activity.
type agent struct {
	t *testing.T
	h *sshtest.Host
}

func (a agent) sh(script string) string { a.t.Helper(); return a.h.Exec(a.t, script) }

// runJob starts the compose project's job with args, as mlforge run
// does but detached, and returns the container's name.
func (a agent) runJob(args string) string {
	a.t.Helper()
	lines := strings.Split(strings.TrimSpace(a.sh("cd /root/"+project+" && docker compose run -d job job "+args+" 2>/dev/null")), "\n")
	id := strings.TrimSpace(lines[len(lines)-1])
	return strings.TrimPrefix(strings.TrimSpace(a.sh("docker inspect -f '{{.Name}}' "+id)), "/")
}

// reset starts a new idle period: the state and the recorded stops go,
// under the agent's lock so no check is half-way.
func (a agent) reset() {
	a.sh("flock /var/lib/mlforge/idle.lock rm -f /var/lib/mlforge/idle.state " + stopsFile)
}

func (a agent) stops() int {
	out, _ := a.h.TryExec("cat " + stopsFile + " 2>/dev/null | wc -l")
	n, _ := strconv.Atoi(strings.TrimSpace(out))
	return n
}

// noStopFor fails if the stop fires within d.
func (a agent) noStopFor(d time.Duration) {
	a.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if a.stops() > 0 {
			a.t.Fatalf("the stop fired during activity:\n%s\n%s", a.sh("cat "+stopsFile), a.sh("tail -5 "+idle.LogPath))
		}
	}
}

// waitStop waits for the stop to fire and returns how long it took.
func (a agent) waitStop(within time.Duration) time.Duration {
	a.t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if a.stops() > 0 {
			return time.Since(start)
		}
		time.Sleep(250 * time.Millisecond)
	}
	a.t.Fatalf("no stop within %s of the activity ending:\n%s\n%s", within, a.sh("cat "+idle.StatePath), a.sh("tail -5 "+idle.LogPath))
	return 0
}

func (a agent) state() idle.State {
	a.t.Helper()
	s, err := idle.ParseState([]byte(a.sh("cat " + idle.StatePath)))
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// setConf changes one setting; the agent reads its configuration on every check.
func (a agent) setConf(key, value string) {
	a.sh(fmt.Sprintf("sed -i \"s|^%s=.*|%s='%s'|\" %s", key, key, value, idle.ConfPath))
}

// active checks that the agent sees the activity, by its reason.
func (a agent) active(want string) {
	a.t.Helper()
	s := a.state()
	if !s.Active || !strings.Contains(s.Reason, want) {
		a.t.Errorf("state during activity: active=%v reason %q, want %q", s.Active, s.Reason, want)
	}
}

// setUpHost copies the fakehost program into the host, makes it an image,
// starts the compose project's model server and the fake metadata service.
func setUpHost(t *testing.T, a agent) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fakehost")
	build := exec.Command("go", "build", "-o", bin, "./testdata/fakehost")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building fakehost: %v\n%s", err, out)
	}
	if out, err := exec.Command("docker", "cp", bin, a.h.Name+":/usr/local/bin/fakehost").CombinedOutput(); err != nil {
		t.Fatalf("copying fakehost: %v\n%s", err, out)
	}
	a.sh(`set -e
tar -C /usr/local/bin -c fakehost | docker import -c 'ENTRYPOINT ["/fakehost"]' - mlforge-test/fakehost:1 >/dev/null
mkdir -p /root/` + project + ` && cd /root/` + project + ` && cat >compose.yaml <<'EOF'
` + compose + `EOF
docker compose up -d --quiet-pull serve 2>&1
setsid nohup fakehost imds -listen 127.0.0.1:18080 -action-file /tmp/imds-action >/tmp/imds.log 2>&1 </dev/null &`)
}

// footprint measures the agent on the host while a job runs and the
// model server answers: CPU and peak memory of a check (which runs the
// whole set of probes), and the resident memory of the spot watch.
func footprint(a agent) {
	a.t.Helper()
	// The measuring checks must not find the loop holding the lock.
	a.sh("kill $(cat /var/lib/mlforge/idle-loop.pid)")
	defer a.sh("sh " + idle.ScriptPath + " install") // the loops again
	name := a.runJob("-ticks 1000 -every 1s")
	defer a.sh("docker rm -f " + name)
	a.sh("curl -fsS -X POST http://127.0.0.1:19696/predict")
	m := strings.TrimSpace(a.sh("fakehost measure -n 20 -- sh " + idle.ScriptPath + " check"))
	rss := strings.TrimSpace(a.sh("grep VmRSS /proc/$(cat /var/lib/mlforge/spot-watch.pid)/status"))
	a.t.Logf("one check (a job running, the model server up): %s; spot watch resident: %s", m, rss)
	var runs int
	var cpu float64
	var maxRSS int
	if _, err := fmt.Sscanf(m, "runs=%d cpu_ms_per_run=%f max_rss_kb=%d", &runs, &cpu, &maxRSS); err != nil || runs != 20 {
		a.t.Fatalf("measure: %q %v", m, err)
	}
	// Light: no process of a check may hold more than 32 MB.
	if maxRSS > 32*1024 {
		a.t.Errorf("a check's largest process held %d kB", maxRSS)
	}
	if s := a.state(); !strings.Contains(s.Reason, "job "+name) || s.ModelRequests == nil {
		a.t.Errorf("the measured checks did not see the job and the model server: %+v", s)
	}
}
