package bootstrap

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"

	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/shscript"
	"go.yaml.in/yaml/v3"
)

// CloudInitOptions configures the #cloud-config user data rendered by CloudInit.
type CloudInitOptions struct {
	User           string // login user added to the docker group (e.g. "ubuntu")
	HostKeys       []HostKey
	AuthorizedKeys []string // extra keys for User
	Channel        string   // "distro" (default) or "docker-ce"
	// DataDevices are the data volume's possible device paths (see
	// Options.DataDevices); the first boot mounts it before Docker starts.
	DataDevices []string
	// Gzip makes UserData compress the document (see UserData).
	Gzip bool
	// Idle, when set, installs the idle-stop agent after Docker.
	Idle *idle.Options
}

// UserDataMax is EC2's limit on user data: 16 KB in raw form, before base64
// (RunInstances). The plain document is larger than that (the install
// script is embedded in it): EC2 needs it gzip-compressed.
const UserDataMax = 16 * 1024

// UserData renders the user data a cloud host gets, byte for byte what
// target aws hands EC2: CloudInit's #cloud-config document, gzip-compressed
// when opts.Gzip (cloud-init recognises gzip by its magic bytes; EC2 needs
// it, since the plain document exceeds UserDataMax). `mlforge bootstrap
// --cloud-init [--gzip]` prints it for any cloud's or VM tool's user-data
// field; compressed output is binary, so it belongs in a file (or base64).
func UserData(opts CloudInitOptions) ([]byte, error) {
	doc, err := CloudInit(opts)
	if err != nil || !opts.Gzip {
		return doc, err
	}
	return Gzip(doc)
}

// UserDataFor returns a renderer of opts' user data for a host whose data
// volume appears under the device paths it is given, once they are known
// (the form stacks/aws.Config.ManagerUserData takes: the volume's id, and
// so its paths, exist only when the stack runs).
func UserDataFor(opts CloudInitOptions) func(dataDevices []string) ([]byte, error) {
	return func(dataDevices []string) ([]byte, error) {
		o := opts
		o.DataDevices = dataDevices
		return UserData(o)
	}
}

// Gzip compresses user data deterministically (no name, no timestamp), so
// the same document always gives the same bytes.
func Gzip(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("compressing user data: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compressing user data: %w", err)
	}
	return buf.Bytes(), nil
}

// cloudInitScriptPath is where the install script lands on the machine.
const cloudInitScriptPath = "/var/lib/mlforge/install.sh"

// CloudInit renders #cloud-config user data that installs the host keys
// and runs the embedded install script at first boot.
func CloudInit(opts CloudInitOptions) ([]byte, error) {
	if err := validUser(opts.User); err != nil {
		return nil, fmt.Errorf("cloud-init user: %w", err)
	}
	channel, err := ParseChannel(opts.Channel)
	if err != nil {
		return nil, fmt.Errorf("cloud-init: %w", err)
	}
	if err := validDevices(opts.DataDevices); err != nil {
		return nil, fmt.Errorf("cloud-init: %w", err)
	}
	for i, k := range opts.AuthorizedKeys {
		if _, _, _, _, err := parseAuthorizedKey(k); err != nil {
			return nil, fmt.Errorf("cloud-init authorized key %d: %w", i+1, err)
		}
	}
	doc := map[string]any{}
	if len(opts.HostKeys) > 0 {
		keys := map[string]string{}
		seen := map[string]bool{}
		var types []string
		for _, k := range opts.HostKeys {
			if err := k.validate(); err != nil {
				return nil, fmt.Errorf("cloud-init host key: %w", err)
			}
			if seen[k.Type] {
				return nil, fmt.Errorf("cloud-init host key: two %s keys given, at most one per type", k.Type)
			}
			seen[k.Type] = true
			types = append(types, k.Type)
			keys[k.Type+"_private"] = k.PrivatePEM
			keys[k.Type+"_public"] = k.Public
		}
		doc["ssh_keys"] = keys
		// Only the given key types: none is generated besides them.
		doc["ssh_deletekeys"] = true
		doc["ssh_genkeytypes"] = types
	}
	if len(opts.AuthorizedKeys) > 0 {
		doc["users"] = []any{
			"default",
			map[string]any{
				"name":                opts.User,
				"ssh_authorized_keys": opts.AuthorizedKeys,
			},
		}
	}
	doc["write_files"] = []any{map[string]any{
		"path":        cloudInitScriptPath,
		"permissions": "0755",
		"owner":       "root:root",
		"content":     shscript.StripComments(Script()), // user data is size-limited

	}}
	args := Options{Channel: channel, User: opts.User, DataDevices: opts.DataDevices, SkipCloudInitWait: true}.Args()
	doc["runcmd"] = []any{append([]string{"sh", cloudInitScriptPath}, args...)}
	if err := addIdle(doc, opts.Idle); err != nil {
		return nil, fmt.Errorf("cloud-init idle stop: %w", err)
	}
	body, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("rendering cloud-config: %w", err)
	}
	return append([]byte("#cloud-config\n"), body...), nil
}

// addIdle appends the idle-stop agent's files and its install command
// (after Docker's) to a cloud-config document.
func addIdle(doc map[string]any, o *idle.Options) error {
	if o == nil {
		return nil
	}
	files, runcmd, err := idle.CloudInit(*o)
	if err != nil {
		return err
	}
	wf := doc["write_files"].([]any)
	for _, f := range files {
		wf = append(wf, f)
	}
	rc := doc["runcmd"].([]any)
	for _, c := range runcmd {
		rc = append(rc, c)
	}
	doc["write_files"], doc["runcmd"] = wf, rc
	return nil
}

// validUser accepts POSIX login names.
func validUser(u string) error {
	if u == "" {
		return fmt.Errorf("empty (set the login user, for example \"ubuntu\")")
	}
	for i, r := range u {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
			(i > 0 && (r == '-' || r == '.' || (r >= '0' && r <= '9')))
		if !ok {
			return fmt.Errorf("%q is not a valid login name", u)
		}
	}
	if len(u) > 32 || strings.HasPrefix(u, "-") {
		return fmt.Errorf("%q is not a valid login name", u)
	}
	return nil
}
