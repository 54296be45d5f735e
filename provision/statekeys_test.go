package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/bootstrap"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// stateOf returns outputs holding keys as the program exports them.
func stateOf(t *testing.T, dir, instance string) map[string]Output {
	t.Helper()
	keys, err := EnvKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	k := StateKeys(keys, dir)
	m := map[string]any{"loginPrivate": k.LoginPrivate, "loginPublic": k.LoginPublic,
		"hostPrivate": k.HostPrivate, "hostPublic": k.HostPublic, "hostRotatedFor": k.HostRotatedFor}
	return map[string]Output{
		awsstack.OutInstanceID: {Value: instance},
		awsstack.OutKeys:       {Value: "[secret]", Secret: true, revealed: m},
	}
}

func TestRestoreKeys(t *testing.T) {
	alice, bob := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(alice, rotatedMarker), []byte("i-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	state := stateOf(t, alice, "i-1")
	// A machine with nothing gets everything, the marker included.
	if wrote, err := RestoreKeys(bob, state); err != nil || !wrote {
		t.Fatalf("restore into an empty directory: %v, %v", wrote, err)
	}
	for _, f := range []string{"id_ed25519", "id_ed25519.pub", "ssh_host_ed25519_key", "ssh_host_ed25519_key.pub", rotatedMarker} {
		a, _ := os.ReadFile(filepath.Join(alice, f))
		b, err := os.ReadFile(filepath.Join(bob, f))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s: not restored (%v)", f, err)
		}
	}
	if st, _ := os.Stat(filepath.Join(bob, "id_ed25519")); st.Mode().Perm() != 0o600 {
		t.Errorf("restored private key has mode %o", st.Mode().Perm())
	}
	if _, err := LoadKeys(bob); err != nil {
		t.Errorf("LoadKeys after a restore: %v", err)
	}
	// Nothing to do the second time.
	if wrote, _ := RestoreKeys(bob, state); wrote {
		t.Error("a second restore wrote again")
	}
	// A host key this machine pinned after rotating i-1, which the state
	// does not record yet, stays; one for another instance gives way.
	rotated, _ := bootstrap.GenerateHostKey()
	pin := func(mark string) {
		if err := writePair(filepath.Join(bob, "ssh_host_ed25519_key"), rotated.PrivatePEM, rotated.Public); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(bob, rotatedMarker), []byte(mark+"\n"), 0o600)
	}
	unrecorded := stateOf(t, alice, "i-1")
	unrecorded[awsstack.OutKeys].revealed.(map[string]any)["hostRotatedFor"] = ""
	pin("i-1")
	RestoreKeys(bob, unrecorded)
	if b, _ := os.ReadFile(filepath.Join(bob, "ssh_host_ed25519_key.pub")); !strings.Contains(string(b), strings.Fields(rotated.Public)[1]) {
		t.Error("a rotation not yet recorded was overwritten by the state")
	}
	pin("i-0")
	RestoreKeys(bob, state)
	if b, _ := os.ReadFile(filepath.Join(bob, "ssh_host_ed25519_key.pub")); strings.Contains(string(b), strings.Fields(rotated.Public)[1]) {
		t.Error("a stale host key (another instance) was kept over the state's")
	}
	// Outputs without keys (an environment from before) change nothing.
	if wrote, err := RestoreKeys(t.TempDir(), map[string]Output{}); wrote || err != nil {
		t.Errorf("no keys in the state: %v, %v", wrote, err)
	}
}
