package bootstrap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
)

// dataDevice is where the test hosts see the loop device standing in for
// an EBS data volume.
const dataDevice = "/dev/mlforge-test-data"

func dataOpts() bootstrap.Options {
	// The first path never exists: the script takes the first that does,
	// as it does with an EBS volume's NVMe and Xen names.
	return bootstrap.Options{DataDevices: []string{"/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0000", dataDevice},
		DataWait: 20 * time.Second, LockTimeout: 2 * time.Minute}
}

// mountedFrom is the device mounted at Docker's volumes directory, "" when none.
func mountedFrom(h *sshtest.Host) string {
	out, _ := h.TryExec("findmnt -n -o SOURCE --mountpoint /var/lib/docker/volumes")
	return strings.TrimSpace(out)
}

// A fresh host with a blank data volume: the volume is formatted and
// mounted before Docker is installed, recorded in fstab, and a named
// volume lands on it; a second run changes nothing and formats nothing.
func TestDataVolumeOnFreshHost(t *testing.T) {
	t.Parallel()
	minor := testenv.LoopDevice(t, 64)
	h := sshtest.Start(t, sshtest.Trixie)
	h.AttachBlockDevice(t, dataDevice, minor)
	res, err := bootstrapHost(t, dial(t, h, "root"), dataOpts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := stepStatus(res)
	if !strings.HasPrefix(steps["data"], "done: ") || !strings.Contains(steps["data"], "formatted and mounted") || res.DataDevice == "" {
		t.Fatalf("data step: %q (device %q)", steps["data"], res.DataDevice)
	}
	if ids := stepIDs(res); strings.Index(ids, "data") > strings.Index(ids, "engine") {
		t.Errorf("steps %s: the volume must be mounted before Docker is installed", ids)
	}
	if got := mountedFrom(h); got == "" {
		t.Fatal("nothing mounted at /var/lib/docker/volumes")
	}
	fstab := h.Exec(t, "grep -c 'mlforge data volume' /etc/fstab; grep 'mlforge data volume' /etc/fstab")
	if !strings.HasPrefix(fstab, "1\nUUID=") || !strings.Contains(fstab, " /var/lib/docker/volumes ext4 defaults,nofail 0 2 ") {
		t.Errorf("fstab entry: %q", fstab)
	}
	h.Exec(t, "docker volume create team >/dev/null && echo kept > /var/lib/docker/volumes/team/_data/marker")
	if src := h.Exec(t, "findmnt -n -o SOURCE --target /var/lib/docker/volumes/team/_data"); strings.TrimSpace(src) != mountedFrom(h) {
		t.Errorf("the named volume is on %q, not on the data volume %q", src, mountedFrom(h))
	}

	again, err := bootstrapHost(t, dial(t, h, "root"), dataOpts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := stepStatus(again)["data"]; !strings.HasPrefix(s, "skipped: ") || !strings.Contains(s, "already mounted") || again.Changed {
		t.Errorf("second run: data %q, changed %v", s, again.Changed)
	}
	if out := h.Exec(t, "cat /var/lib/docker/volumes/team/_data/marker; grep -c 'mlforge data volume' /etc/fstab"); out != "kept\n1\n" {
		t.Errorf("after the second run: %q (the volume must not be formatted again, nor fstab grow)", out)
	}
}

// A host that ran without a data volume gets one: Docker is stopped, its
// volumes move onto the blank volume, Docker comes back with them. Then
// the host is replaced: the volume, moved to a fresh host, is mounted
// with its data (not formatted) before Docker starts, and the stack's
// volume is there.
func TestDataVolumeMovesAndOutlivesTheHost(t *testing.T) {
	t.Parallel()
	minor := testenv.LoopDevice(t, 64)
	a := sshtest.Start(t, sshtest.Trixie)
	if _, err := bootstrapHost(t, dial(t, a, "root"), bootstrap.Options{LockTimeout: 2 * time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	a.Exec(t, `docker volume create --label com.docker.compose.project=taxi taxi_mlflow >/dev/null &&
		docker run --rm -v taxi_mlflow:/d mlforge/verify:1 sh -c 'echo registry-v1 > /d/model'`)
	a.AttachBlockDevice(t, dataDevice, minor)
	res, err := bootstrapHost(t, dial(t, a, "root"), dataOpts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := stepStatus(res)
	if !strings.Contains(steps["data"], "volumes moved from the root disk") || !strings.HasPrefix(steps["daemon"], "done: ") {
		t.Fatalf("data %q, daemon %q: want the volumes moved and Docker started again", steps["data"], steps["daemon"])
	}
	if got := readModel(t, a); got != "registry-v1" {
		t.Fatalf("after the move the volume holds %q", got)
	}
	if mountedFrom(a) == "" {
		t.Fatal("the data volume is not mounted")
	}

	// The old host lets go of the volume (EC2 stops an instance before
	// detaching), then a new host gets it.
	a.StopForDetach(t)
	b := sshtest.Start(t, sshtest.Trixie)
	b.AttachBlockDevice(t, dataDevice, minor)
	res, err = bootstrapHost(t, dial(t, b, "root"), dataOpts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := stepStatus(res)["data"]; !strings.Contains(s, "mounted (its data kept)") {
		t.Fatalf("replaced host: data step %q, want the volume mounted as it is", s)
	}
	if got := readModel(t, b); got != "registry-v1" {
		t.Errorf("the replaced host sees %q in the stack's volume, want the old host's registry-v1", got)
	}
	if labels := b.Exec(t, "docker volume inspect -f '{{index .Labels \"com.docker.compose.project\"}}' taxi_mlflow"); strings.TrimSpace(labels) != "taxi" {
		t.Errorf("volume labels on the replaced host: %q (compose would not adopt it)", labels)
	}
}

func readModel(t *testing.T, h *sshtest.Host) string {
	t.Helper()
	return strings.TrimSpace(h.Exec(t, `docker run --rm -v taxi_mlflow:/d mlforge/verify:1 sh -c 'read -r m < /d/model; echo "$m"'`))
}

func stepIDs(res *bootstrap.Result) string {
	var ids []string
	for _, s := range res.Steps {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ",")
}

// A device that never appears fails the bootstrap, naming the paths.
func TestDataVolumeMissing(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Trixie)
	opts := bootstrap.Options{DataDevices: []string{"/dev/xvdz"}, DataWait: time.Second}
	_, err := bootstrapHost(t, dial(t, h, "root"), opts, nil)
	if err == nil || !strings.Contains(err.Error(), "no data volume appeared within 1s (looked for /dev/xvdz)") {
		t.Fatalf("err = %v", err)
	}
	if out, _ := h.TryExec("command -v dockerd"); strings.TrimSpace(out) != "" {
		t.Error("Docker was installed although its data volume is missing")
	}
}
