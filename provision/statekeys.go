package provision

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// rotatedMarker records, in the key directory, the instance whose
// first-boot host key was replaced by the pinned one.
const rotatedMarker = "host_key_rotated"

// StateKeys are the keys the environment keeps in its state (as a secret
// output), read from the key directory.
func StateKeys(k *Keys, dir string) *awsstack.StateKeys {
	return &awsstack.StateKeys{LoginPrivate: readFile(k.KeyFile), LoginPublic: k.PublicKey,
		HostPrivate: k.Host.PrivatePEM, HostPublic: k.Host.Public,
		HostRotatedFor: strings.TrimSpace(readFile(filepath.Join(dir, rotatedMarker)))}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// RestoreKeys brings the environment's keys from its state outputs into
// dir, so that any machine with the backend and the passphrase reaches the
// host its creator made: the state's keys win, except a host key this
// machine pinned for the current instance that the state does not record
// yet (a rotation whose recording was interrupted). It reports whether it
// wrote anything; outputs without keys change nothing.
func RestoreKeys(dir string, out map[string]Output) (bool, error) {
	m, ok := out[awsstack.OutKeys].Reveal().(map[string]any)
	if !ok {
		return false, nil
	}
	str := func(k string) string { v, _ := m[k].(string); return v }
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	wrote := false
	login := filepath.Join(dir, "id_ed25519")
	if str("loginPrivate") != "" && readFile(login) != str("loginPrivate") {
		if err := writePair(login, str("loginPrivate"), str("loginPublic")); err != nil {
			return false, fmt.Errorf("restoring the environment's login key: %w", err)
		}
		wrote = true
	}
	host := filepath.Join(dir, "ssh_host_ed25519_key")
	instance, _ := out[awsstack.OutInstanceID].Value.(string)
	localMark := strings.TrimSpace(readFile(filepath.Join(dir, rotatedMarker)))
	pending := localMark == instance && str("hostRotatedFor") != instance
	if str("hostPrivate") == "" || readFile(host) == str("hostPrivate") || pending {
		return wrote, nil
	}
	if err := writePair(host, str("hostPrivate"), str("hostPublic")); err != nil {
		return false, fmt.Errorf("restoring the environment's host key: %w", err)
	}
	mark := filepath.Join(dir, rotatedMarker)
	if r := str("hostRotatedFor"); r != "" {
		if err := writeAtomic(mark, []byte(r+"\n"), 0o600); err != nil {
			return false, err
		}
	} else {
		os.Remove(mark)
	}
	return true, nil
}
