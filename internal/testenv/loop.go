package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// LoopDevice attaches a blank sparse file of sizeMB as a loop device on
// this machine, the block device that stands in for a cloud data volume (a
// test host cannot create loop devices itself), and returns its minor
// number. It is detached when the test ends, after the hosts using it are
// gone (cleanups run last-registered first).
func LoopDevice(t testing.TB, sizeMB int) int {
	t.Helper()
	RequireTool(t, "losetup")
	file := filepath.Join(t.TempDir(), "data.img")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(sizeMB) << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command("losetup", "--find", "--show", file).CombinedOutput()
	if err != nil {
		// Without loop devices there is no block device to stand in for
		// the volume: CI must have them, elsewhere the test says why it skips.
		if os.Getenv("CI") != "" {
			t.Fatalf("losetup (loop devices are needed for the data volume tests): %v\n%s", err, out)
		}
		t.Skipf("no loop device for the data volume (losetup: %v: %s)", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("losetup", "-d", dev).Run() })
	var minor int
	if _, err := fmt.Sscanf(dev, "/dev/loop%d", &minor); err != nil {
		t.Fatalf("losetup gave %q", dev)
	}
	return minor
}
