package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/internal/stack"
)

// ecrComponent is one path component of an ECR repository name
// (CreateRepository's pattern).
var ecrComponent = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)

// badSeparators are runs of separators ECR does not accept between
// letters and digits (it takes ".", "_", "__" and runs of "-").
var badSeparators = regexp.MustCompile(`[^a-z0-9]*[^a-z0-9-][^a-z0-9]*`)

// RepositoryName names the registry repository (on AWS, the environment's
// ECR repository) of the image a compose service builds. Provisioning
// creates one repository per name and the deploy pushes each built image
// to the repository of its service, so both must use this function, on
// the compose file as written (image: not interpolated):
//
//   - image: literal (taxi-serve:latest, ghcr.io/me/serve@sha256:...), or
//     templated before its last path element (${REGISTRY}/serve:${TAG}):
//     that element without tag or digest ("taxi-serve", "serve");
//   - image: absent, or its last element templated (${IMAGE}): the
//     service's name.
//
// The result is lower case and fits one ECR path component; when making
// it fit changed it, 6 hex digits of the original keep it unique.
func RepositoryName(service, image string) string {
	name := service
	if image != "" {
		last := path.Base(image)
		if i := strings.IndexAny(last, ":@"); i > 0 {
			last = last[:i]
		}
		if !strings.Contains(last, "$") && last != "." && last != "/" {
			name = last
		}
	}
	lower := strings.ToLower(name)
	if ecrComponent.MatchString(lower) && len(lower) <= 128 {
		return lower
	}
	clean := strings.Trim(badSeparators.ReplaceAllString(lower, "-"), "-")
	if len(clean) > 120 {
		clean = strings.Trim(clean[:120], "-")
	}
	sum := sha256.Sum256([]byte(name))
	if clean == "" {
		clean = "image"
	}
	return clean + "-" + hex.EncodeToString(sum[:])[:6]
}

// ComposeRepositories maps each service of a compose file that builds an
// image (has a build section) to its repository name.
func ComposeRepositories(composeFile string) (map[string]string, error) {
	b, err := os.ReadFile(composeFile)
	if err != nil {
		return nil, fmt.Errorf("reading the compose file: %w", err)
	}
	var doc struct {
		Services map[string]struct {
			Image string `yaml:"image"`
			Build any    `yaml:"build"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", composeFile, err)
	}
	repos := map[string]string{}
	for svc, s := range doc.Services {
		if s.Build != nil {
			repos[svc] = RepositoryName(svc, s.Image)
		}
	}
	return repos, nil
}

// Image is one built image to ship through the registry: its reference
// here (what compose runs) and the name of its repository.
type Image struct {
	Ref        string
	Repository string
}

// RegistryImages pairs each built image reference of the stack (as
// resolved by compose) with the repository of the services that build it
// (repos, from ComposeRepositories). Services sharing an image share its
// repository; the first by name decides when they disagree.
func RegistryImages(model *stack.Model, refs []string, repos map[string]string) ([]Image, error) {
	byRef := map[string]string{}
	services := model.Built()
	for _, s := range services {
		ref := model.ImageRef(s)
		if _, seen := byRef[ref]; !seen && repos[s.Name] != "" {
			byRef[ref] = repos[s.Name]
		}
	}
	var out []Image
	for _, ref := range refs {
		repo, ok := byRef[ref]
		if !ok {
			names := make([]string, 0, len(services))
			for _, s := range services {
				names = append(names, s.Name+"="+model.ImageRef(s))
			}
			sort.Strings(names)
			return nil, fmt.Errorf("image %s is built by no service of the compose file (built: %s)", ref, strings.Join(names, ", "))
		}
		out = append(out, Image{Ref: ref, Repository: repo})
	}
	return out, nil
}
