package stacktest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// leanCheck lists, inside an image, what a runtime layer must not carry:
// the installer, compilers, caches, the big packages' test suites and C
// headers or Cython sources; and packages installed without their byte
// code (a container would compile it at every start).
const leanCheck = `
import os, shutil, sysconfig
site = sysconfig.get_paths()["purelib"]
bad = []
for tool in ("uv", "gcc", "cc", "g++"):
    if shutil.which(tool):
        bad.append("installed tool: " + shutil.which(tool))
# /opt/uv stays as the empty point the installer was mounted at
for path in ("/opt/uv", "/root/.cache", "/home/app/.cache"):
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        bad.append("left behind: " + path)
found = [p for p in ("numpy", "pandas", "scipy", "sklearn", "pyarrow") if os.path.isdir(os.path.join(site, p))]
if "sklearn" not in found:
    bad.append("no scikit-learn in " + site)
for pkg in found:
    top = os.path.join(site, pkg)
    if not os.path.isdir(os.path.join(top, "__pycache__")):
        bad.append(pkg + " has no byte code")
    for root, dirs, files in os.walk(top):
        if os.path.basename(root) == "tests":
            bad.append("test suite: " + root)
            dirs.clear()
            continue
        bad += [os.path.join(root, f) for f in files if f.endswith((".h", ".hpp", ".pyx", ".pxd"))][:3]
print("\n".join(bad) if bad else "lean")
`

// checkLeanImages runs leanCheck in the image of each service given.
func checkLeanImages(t *testing.T, p *Project, services ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, svc := range services {
		out, err := p.Compose(ctx, "run", "--rm", "--no-deps", "--user", "root", "--entrypoint", "python", svc, "-c", leanCheck)
		if err != nil {
			t.Fatalf("checking the %s image: %v", svc, err)
		}
		if got := strings.TrimSpace(out); !strings.HasSuffix(got, "lean") {
			t.Errorf("the %s image carries what a runtime layer should not:\n%s", svc, got)
		}
	}
}
