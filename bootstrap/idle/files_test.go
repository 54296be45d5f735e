package idle

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/internal/shscript"
	"github.com/mlforge/mlforge/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bootstrap/idle -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./bootstrap/idle -update, then review):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestConf(t *testing.T) {
	golden(t, "defaults.conf", Conf(Options{}))
	golden(t, "taxi-spot.conf", Conf(Options{Timeout: 90 * time.Minute, Interval: 30 * time.Second, StallLimit: 1500 * time.Millisecond,
		CPUThreshold: 25, GPUThreshold: 100, Project: "taxi", JobLabel: "orchestrator.job",
		ModelMetricsURL: "http://127.0.0.1:9696/metrics", ModelCounter: "taxi_requests_total", SSHPorts: []int{22, 2222},
		Spot: true, SpotPoll: 2 * time.Second, IMDSURL: "http://127.0.0.1:18080", StopCommand: `echo "it's $IDLE_REASON" >>/tmp/stops`,
		ComposeGrace: 45 * time.Second}))
	golden(t, "off.conf", Conf(Options{Off: true}))
}

// The configuration is sh that sources back to the values given,
// quotes included.
func TestConfSourcesBack(t *testing.T) {
	conf := Conf(Options{Project: "taxi", StopCommand: `echo "it's $IDLE_REASON" >>/tmp/stops`, SSHPorts: []int{22, 2222}})
	cmd := exec.Command("sh", "-c", conf+"\nprintf '%s|%s|%s|%s' \"$STOP_COMMAND\" \"$SSH_PORTS\" \"$IDLE_TIMEOUT\" \"$PROJECT\"")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != `echo "it's $IDLE_REASON" >>/tmp/stops|22 2222|3600|taxi` {
		t.Errorf("sourced: %q %v", out, err)
	}
}

func TestFilesAndInstallScript(t *testing.T) {
	files, err := Files(Options{Project: "taxi"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Path != ScriptPath || files[0].Mode != 0o755 || files[0].Content != Script() ||
		files[1].Path != ConfPath || !strings.Contains(files[1].Content, "PROJECT='taxi'") {
		t.Errorf("files: %+v", files)
	}
	s, err := InstallScript(Options{Project: "taxi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mkdir -p /usr/local/lib/mlforge", "base64 -d >/usr/local/lib/mlforge/idle.sh.new",
		"chmod 755 /usr/local/lib/mlforge/idle.sh.new", "mv -f /etc/mlforge/idle.conf.new /etc/mlforge/idle.conf",
		"sh /usr/local/lib/mlforge/idle.sh install"} {
		if !strings.Contains(s, want) {
			t.Errorf("install script lacks %q", want)
		}
	}
	if _, err := Files(Options{CPUThreshold: 300}); err == nil {
		t.Error("invalid options: no error")
	}
	if _, err := InstallScript(Options{CPUThreshold: 300}); err == nil {
		t.Error("invalid options: no error from InstallScript")
	}
}

func TestCloudInit(t *testing.T) {
	o := Options{Project: "taxi", Spot: true}
	wf, rc, err := CloudInit(o)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Files(o)
	for i, f := range wf {
		content := want[i].Content
		if strings.HasSuffix(want[i].Path, ".sh") {
			// scripts travel without their comment lines (user data is size-limited)
			content = shscript.StripComments(content)
			if len(content) >= len(want[i].Content) {
				t.Errorf("write_files[%d]: the script's comments were not stripped", i)
			}
		}
		if f["path"] != want[i].Path || f["content"] != content || f["permissions"] != fmt.Sprintf("%#o", want[i].Mode) {
			t.Errorf("write_files[%d] %v: path, content or permissions differ from %s", i, f["path"], want[i].Path)
		}
	}
	// the stripped agent is still a valid sh program
	stripped, _ := wf[0]["content"].(string)
	if out, err := exec.Command("sh", "-n", "-c", stripped).CombinedOutput(); err != nil {
		t.Errorf("sh -n on the stripped agent: %v\n%s", err, out)
	}
	if len(rc) != 1 || strings.Join(rc[0], " ") != "sh /usr/local/lib/mlforge/idle.sh install" {
		t.Errorf("runcmd: %v", rc)
	}
	doc, err := CloudConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	var parsed map[string]any
	if err := yaml.Unmarshal(doc, &parsed); err != nil || !bytes.HasPrefix(doc, []byte("#cloud-config\n")) {
		t.Fatalf("cloud-config: %v", err)
	}
	// EC2 takes 16 KiB of user data (gzipped documents included); the
	// agent's share of a gzipped document must stay small.
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	_, _ = zw.Write(doc)
	_ = zw.Close()
	t.Logf("cloud-config of the agent: %d bytes, %d gzipped", len(doc), z.Len())
	if z.Len() > 6*1024 {
		t.Errorf("the agent adds %d gzipped bytes to the user data; EC2 allows 16384 in all", z.Len())
	}
}

// TestCloudConfigSchema checks the agent's cloud-config with cloud-init's
// own validator.
func TestCloudConfigSchema(t *testing.T) {
	const image = "mlforge-test/cloud-init:trixie"
	testenv.RequireImage(t, image)
	doc, err := CloudConfig(Options{Project: "taxi"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "user-data"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("docker", "run", "--rm", "-v", dir+":/data:ro", image, "schema", "--config-file", "/data/user-data").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Valid schema") {
		t.Fatalf("cloud-init schema rejected the agent's cloud-config (%v):\n%s", err, out)
	}
}
