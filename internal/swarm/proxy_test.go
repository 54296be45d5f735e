package swarm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

// haproxyCheck runs `haproxy -c` of the proxy image on a configuration.
func haproxyCheck(t *testing.T, cfg []byte) (string, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(f, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("docker", "run", "--rm", "-v", f+":"+haproxyCfg+":ro", ProxyImage,
		"haproxy", "-c", "-f", haproxyCfg).CombinedOutput()
	return string(out), err
}

// The proxy's and the edge's configurations are valid for HAProxy 3.0
// itself, and the check would catch a bad one.
func TestProxyConfigsPassHAProxysCheck(t *testing.T) {
	testenv.RequireImage(t, ProxyImage)
	st, err := Derive(loadCompose(t), taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string][]byte{"proxy": st.ProxyCfg, "edge": st.EdgeCfg} {
		if out, err := haproxyCheck(t, cfg); err != nil {
			t.Errorf("%s configuration refused: %v\n%s", name, err, out)
		}
	}
	bad := strings.Replace(string(st.ProxyCfg), "mode 666", "modes 666", 1)
	if out, err := haproxyCheck(t, []byte(bad)); err == nil || !strings.Contains(out, "unknown keyword 'modes'") {
		t.Errorf("a broken configuration passed the check: %v\n%s", err, out)
	}
}

func TestRoutes(t *testing.T) {
	c := loadCompose(t)
	routes, err := Routes(c, []string{"mlflow", "prometheus", "serve"}, taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{{5000, "mlflow", 5000, false}, {9090, "prometheus", 9090, false}, {9696, "serve", 9696, true}}
	if len(routes) != len(want) {
		t.Fatalf("routes %+v", routes)
	}
	for i := range want {
		if routes[i] != want[i] {
			t.Errorf("route %d = %+v, want %+v", i, routes[i], want[i])
		}
	}
	c.Services["prometheus"]["ports"] = c.Services["mlflow"]["ports"]
	if _, err := Routes(c, []string{"mlflow", "prometheus"}, taxiSpec()); err == nil || !strings.Contains(err.Error(), "both publish port 5000") {
		t.Errorf("two services on one port: %v", err)
	}
}
