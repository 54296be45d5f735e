package bootstrap

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// CloudInitOptions configures the #cloud-config user data rendered by CloudInit.
type CloudInitOptions struct {
	User           string // login user added to the docker group (e.g. "ubuntu")
	HostKeys       []HostKey
	AuthorizedKeys []string // extra keys for User
	Channel        string   // "distro" (default) or "docker-ce"
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
		"content":     Script(),
	}}
	args := Options{Channel: channel, User: opts.User, SkipCloudInitWait: true}.Args()
	doc["runcmd"] = []any{append([]string{"sh", cloudInitScriptPath}, args...)}
	body, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("rendering cloud-config: %w", err)
	}
	return append([]byte("#cloud-config\n"), body...), nil
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
