package idle

import (
	"fmt"
	"strings"

	"github.com/mlforge/mlforge/internal/shscript"
	"go.yaml.in/yaml/v3"
)

// CloudInit returns what the host's #cloud-config needs for the agent:
// entries to append to write_files and a runcmd entry to run after Docker
// is installed. The content is plain text: EC2 takes at most 16 KiB of
// user data (raw, before base64), so the whole document should be sent
// gzipped (cloud-init unpacks it), where plain text packs best; the
// agent adds about 5 KB to the gzipped document.
func CloudInit(o Options) (writeFiles []map[string]any, runcmd [][]string, err error) {
	files, err := Files(o)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		content := f.Content
		if strings.HasSuffix(f.Path, ".sh") {
			content = shscript.StripComments(content) // user data is size-limited
		}
		writeFiles = append(writeFiles, map[string]any{
			"path": f.Path, "permissions": fmt.Sprintf("%#o", f.Mode), "owner": "root:root", "content": content,
		})
	}
	return writeFiles, [][]string{{"sh", ScriptPath, "install"}}, nil
}

// CloudConfig is a #cloud-config document holding only the agent (for a
// multi-part user data, or to read what CloudInit adds).
func CloudConfig(o Options) ([]byte, error) {
	wf, rc, err := CloudInit(o)
	if err != nil {
		return nil, err
	}
	body, err := yaml.Marshal(map[string]any{"write_files": wf, "runcmd": rc})
	if err != nil {
		return nil, fmt.Errorf("rendering cloud-config: %w", err)
	}
	return append([]byte("#cloud-config\n"), body...), nil
}
