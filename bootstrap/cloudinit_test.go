package bootstrap

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/shscript"
	"go.yaml.in/yaml/v3"
)

func TestGenerateHostKeyFingerprint(t *testing.T) {
	k, err := GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.Type != "ed25519" || !strings.HasPrefix(k.Public, "ssh-ed25519 AAAA") {
		t.Fatalf("unexpected key %+v", k)
	}
	if !strings.Contains(k.PrivatePEM, "BEGIN OPENSSH PRIVATE KEY") {
		t.Fatalf("private key is not OpenSSH PEM: %q", k.PrivatePEM[:40])
	}
	fp, err := k.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 {
		t.Fatalf("fingerprint %q is not SHA256:<43 chars>", fp)
	}
	if err := k.validate(); err != nil {
		t.Fatal(err)
	}
}

func TestCloudInitRendersKeysAndScript(t *testing.T) {
	k, err := GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	user, err := GenerateHostKey() // any ed25519 public key will do as a login key
	if err != nil {
		t.Fatal(err)
	}
	out, err := CloudInit(CloudInitOptions{User: "ubuntu", HostKeys: []HostKey{k}, AuthorizedKeys: []string{user.Public}, Channel: "docker-ce"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "#cloud-config\n") {
		t.Fatalf("missing #cloud-config header: %q", out[:20])
	}
	var doc struct {
		SSHKeys     map[string]string `yaml:"ssh_keys"`
		DeleteKeys  bool              `yaml:"ssh_deletekeys"`
		GenKeyTypes []string          `yaml:"ssh_genkeytypes"`
		Users       []any             `yaml:"users"`
		WriteFiles  []struct {
			Path, Content, Permissions string
		} `yaml:"write_files"`
		RunCmd [][]string `yaml:"runcmd"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	if doc.SSHKeys["ed25519_private"] != k.PrivatePEM || doc.SSHKeys["ed25519_public"] != k.Public {
		t.Errorf("host key not installed verbatim: %v", doc.SSHKeys)
	}
	if !doc.DeleteKeys || strings.Join(doc.GenKeyTypes, ",") != "ed25519" {
		t.Errorf("only the given host key types may exist: deletekeys=%v genkeytypes=%v", doc.DeleteKeys, doc.GenKeyTypes)
	}
	if len(doc.WriteFiles) != 1 || doc.WriteFiles[0].Content != shscript.StripComments(Script()) || doc.WriteFiles[0].Permissions != "0755" {
		t.Errorf("install script not written (without its comment lines)")
	}
	want := "sh " + cloudInitScriptPath + " --channel docker-ce --user ubuntu --no-cloud-init-wait"
	if len(doc.RunCmd) != 1 || strings.Join(doc.RunCmd[0], " ") != want {
		t.Errorf("runcmd = %v, want [%s]", doc.RunCmd, want)
	}
	if len(doc.Users) != 2 || doc.Users[0] != "default" {
		t.Errorf("users = %v, want default plus ubuntu with keys", doc.Users)
	}
}

func TestCloudInitRejectsBadInput(t *testing.T) {
	good, _ := GenerateHostKey()
	other, _ := GenerateHostKey()
	mismatched := HostKey{Type: "ed25519", PrivatePEM: good.PrivatePEM, Public: other.Public}
	tests := []struct {
		name string
		opts CloudInitOptions
		want string
	}{
		{"no user", CloudInitOptions{}, "cloud-init user: empty"},
		{"bad user", CloudInitOptions{User: "a b"}, `"a b" is not a valid login name`},
		{"bad channel", CloudInitOptions{User: "u", Channel: "snap"}, `channel "snap" is not one of distro, docker-ce`},
		{"bad authorized key", CloudInitOptions{User: "u", AuthorizedKeys: []string{"nope"}}, "authorized key 1"},
		{"mismatched host key", CloudInitOptions{User: "u", HostKeys: []HostKey{mismatched}}, "do not match"},
		{"rsa host key", CloudInitOptions{User: "u", HostKeys: []HostKey{{Type: "rsa"}}}, `"rsa" is not supported`},
		{"two ed25519", CloudInitOptions{User: "u", HostKeys: []HostKey{good, good}}, "two ed25519 keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CloudInit(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// taxiUserData is the user data of the taxi template's AWS host: one
// ed25519 host key, one authorized login key, the data volume's devices.
func taxiUserData(t *testing.T, gz bool, devices []string) []byte {
	t.Helper()
	host, err := GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	login, err := GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	ud, err := UserData(CloudInitOptions{User: "ubuntu", HostKeys: []HostKey{host}, AuthorizedKeys: []string{login.Public},
		DataDevices: devices, Gzip: gz})
	if err != nil {
		t.Fatal(err)
	}
	return ud
}

// The plain document exceeds EC2's 16 KB (the install script is inside);
// gzip-compressed it fits with room to spare, and decompresses to the
// plain document byte for byte. The sizes are logged for the record.
func TestUserDataFitsEC2(t *testing.T) {
	devs := []string{"/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0", "/dev/xvdf"}
	noKeys, err := UserData(CloudInitOptions{User: "ubuntu"})
	if err != nil {
		t.Fatal(err)
	}
	plain := taxiUserData(t, false, devs)
	gz := taxiUserData(t, true, devs)
	t.Logf("user data: %d bytes plain without host keys, %d plain with a host key and a login key, %d gzip-compressed (EC2 limit %d)",
		len(noKeys), len(plain), len(gz), UserDataMax)
	if len(gz) > UserDataMax {
		t.Errorf("gzip-compressed user data is %d bytes, over EC2's %d", len(gz), UserDataMax)
	}
	if !bytes.HasPrefix(gz, []byte{0x1f, 0x8b}) {
		t.Fatalf("compressed user data does not start with gzip's magic bytes: % x", gz[:2])
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(back, []byte("#cloud-config\n")) || len(back) < len(plain)-200 || len(back) > len(plain)+200 {
		t.Errorf("decompressed user data is not the document (%d bytes, plain %d)", len(back), len(plain))
	}
	again, _ := Gzip(back)
	if second, _ := Gzip(back); !bytes.Equal(again, second) {
		t.Error("gzip output differs between runs of the same document")
	}
}

// The data devices reach the install command in runcmd; a device that is
// not an absolute path is refused.
func TestCloudInitDataDevices(t *testing.T) {
	out, err := CloudInit(CloudInitOptions{User: "ubuntu", DataDevices: []string{"/dev/disk/by-id/nvme-x", "/dev/xvdf"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		RunCmd [][]string `yaml:"runcmd"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	want := "sh " + cloudInitScriptPath + " --user ubuntu --data-device /dev/disk/by-id/nvme-x --data-device /dev/xvdf --no-cloud-init-wait"
	if len(doc.RunCmd) != 1 || strings.Join(doc.RunCmd[0], " ") != want {
		t.Errorf("runcmd = %v, want [%s]", doc.RunCmd, want)
	}
	render := UserDataFor(CloudInitOptions{User: "ubuntu", Gzip: true})
	gz, err := render([]string{"/dev/disk/by-id/nvme-x", "/dev/xvdf"})
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := Gzip(out); !bytes.Equal(gz, plain) {
		t.Error("UserDataFor's output differs from the compressed CloudInit document for the same devices")
	}
	for _, bad := range []string{"xvdf", "/dev/x y", "/dev/$(reboot)", "/dev/../etc"} {
		if _, err := CloudInit(CloudInitOptions{User: "ubuntu", DataDevices: []string{bad}}); err == nil || !strings.Contains(err.Error(), "data device") {
			t.Errorf("device %q: got %v", bad, err)
		}
	}
}
