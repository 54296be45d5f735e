package stacktest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// retrainRoute is the retrain route's timing in the template's
// monitoring/alertmanager/alertmanager.yml.
const retrainRoute = `      receiver: retrain
      group_wait: 5s
      group_interval: 1m
      repeat_interval: 6h
`

// SetRetrainRepeat shortens how often Alertmanager sends a drift alert
// that keeps firing to the retrain flow (every repeat, checked every
// interval), so a test sees the next retrain in seconds instead of hours.
func (p *Project) SetRetrainRepeat(t testing.TB, interval, repeat string) {
	t.Helper()
	path := filepath.Join(p.Dir, "monitoring", "alertmanager", "alertmanager.yml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), retrainRoute) {
		t.Fatalf("%s: the retrain route's timings are not the template's any more:\n%s", path, data)
	}
	route := strings.NewReplacer("group_interval: 1m", "group_interval: "+interval, "repeat_interval: 6h", "repeat_interval: "+repeat).
		Replace(retrainRoute)
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), retrainRoute, route, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// DropMonths writes generated drifted months into the project's
// data/incoming/ with the template's own generator, run in the jobs image
// as the test's user (the folder is the test's).
func (p *Project) DropMonths(t testing.TB, months ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"run", "--rm", "--no-deps", "--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
		"-v", filepath.Join(p.Dir, "data", "incoming") + ":/out",
		"replay", "python", "-m", "taxi_duration.sample", "--drifted", "--out", "/out"}
	if _, err := p.Compose(ctx, append(args, months...)...); err != nil {
		t.Fatalf("generating drifted months %v: %v", months, err)
	}
}

// Replay sends rows rides of a trip file (a path inside the jobs image,
// such as data/incoming/FILE) to the model server and returns the output.
func (p *Project) Replay(t testing.TB, data string, rows int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := p.Compose(ctx, "run", "--rm", "--no-deps", "replay",
		"python", "-m", "taxi_duration.replay", "--data", data, "--rows", fmt.Sprint(rows))
	if err != nil {
		t.Fatalf("replaying %s: %v", data, err)
	}
	return out
}
