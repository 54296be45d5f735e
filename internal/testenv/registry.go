package testenv

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// RegistryServer is a Docker distribution registry (Debian's
// docker-registry) behind a proxy that makes it as strict as an ECR
// repository with IMMUTABLE tags: a manifest pushed to a tag that exists
// is refused, as ECR refuses it (HTTP 400, TAG_INVALID, "The image tag
// '...' already exists in the '...' repository and cannot be overwritten
// because the repository is immutable."). AWS documents the refusal for
// any push to an existing tag ("Image tag mutability", ECR User Guide),
// so the stand-in refuses the same content pushed twice as well. It
// counts what clients did, for tests to check.
type RegistryServer struct {
	Addr string // host:port on 127.0.0.1; engines treat loopback registries as insecure, so no TLS

	backend *url.URL
	mu      sync.Mutex // serialises manifest pushes, so two cannot both find a tag free
	stats   RegistryStats
}

// RegistryStats counts requests that reached the registry.
type RegistryStats struct {
	ManifestChecks  int // HEAD or GET of a manifest by tag
	ManifestPuts    int // manifests stored
	ManifestRefused int // manifest pushes refused because the tag exists
	BlobUploads     int // blobs uploaded (completed uploads)
}

// Stats returns the counts so far.
func (r *RegistryServer) Stats() RegistryStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Registry starts a strict registry (StrictRegistry) and returns its address.
func Registry(t testing.TB) string {
	t.Helper()
	return StrictRegistry(t).Addr
}

// StrictRegistry starts a registry with storage in the test's temp dir,
// reached through the immutability proxy on a 127.0.0.1 port, until the
// test ends.
func StrictRegistry(t testing.TB) *RegistryServer {
	t.Helper()
	bin := RequireTool(t, "docker-registry")
	backend := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), backend)
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startServer(t, "http://"+backend+"/v2/", bin, "serve", path)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &RegistryServer{Addr: l.Addr().String(), backend: &url.URL{Scheme: "http", Host: backend}}
	srv := &http.Server{Handler: r}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

// manifestPath matches /v2/NAME/manifests/REFERENCE.
var manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)

// manifestTypes are the manifest media types a registry may hold.
var manifestTypes = []string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}

// ServeHTTP checks manifest pushes against existing tags and hands every
// request to the registry.
func (r *RegistryServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	proxy := httputil.NewSingleHostReverseProxy(r.backend)
	m := manifestPath.FindStringSubmatch(req.URL.Path)
	byTag := m != nil && !strings.Contains(m[2], ":")
	switch {
	case byTag && req.Method == http.MethodPut:
		r.mu.Lock()
		defer r.mu.Unlock()
		exists, err := r.tagExists(m[1], m[2])
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if exists {
			r.stats.ManifestRefused++
			tagInvalid(w, m[1], m[2])
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		proxy.ServeHTTP(rec, req)
		if rec.status/100 == 2 {
			r.stats.ManifestPuts++
		}
		return
	case byTag && (req.Method == http.MethodHead || req.Method == http.MethodGet):
		r.count(func(s *RegistryStats) { s.ManifestChecks++ })
	case req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/blobs/uploads/") && req.URL.Query().Get("digest") != "":
		rec := &statusRecorder{ResponseWriter: w}
		proxy.ServeHTTP(rec, req)
		if rec.status/100 == 2 {
			r.count(func(s *RegistryStats) { s.BlobUploads++ })
		}
		return
	}
	proxy.ServeHTTP(w, req)
}

func (r *RegistryServer) count(f func(*RegistryStats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// tagExists asks the registry whether NAME:TAG holds a manifest.
func (r *RegistryServer) tagExists(name, tag string) (bool, error) {
	req, err := http.NewRequest(http.MethodHead, r.backend.String()+"/v2/"+name+"/manifests/"+tag, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("registry stand-in: checking %s:%s: %w", name, tag, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("registry stand-in: checking %s:%s: HTTP %d", name, tag, resp.StatusCode)
}

// tagInvalid answers like ECR does for a push to an existing tag of an
// immutable repository.
func tagInvalid(w http.ResponseWriter, name, tag string) {
	body, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{
		"code": "TAG_INVALID",
		"message": fmt.Sprintf("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.",
			tag, name),
	}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(body)
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
