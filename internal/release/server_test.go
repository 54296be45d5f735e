package release

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server serves release files the way GitHub lays releases out:
// BASE/download/TAG/FILE and BASE/latest/download/FILE. It records the
// paths asked for.
type Server struct {
	URL   string
	mu    sync.Mutex
	files map[string][]byte
	asked []string
}

// releaseFiles are the files of r that install.sh may fetch.
func releaseFiles(t testing.TB, r *Release) map[string][]byte {
	return map[string][]byte{
		"checksums.txt":              r.File(t, "checksums.txt"),
		"mlforge_linux_amd64.tar.gz": r.File(t, "mlforge_linux_amd64.tar.gz"),
	}
}

// serve publishes files as release tag of the server, and as the latest
// release when latest is set; the test may change files before requests.
func serve(t testing.TB, tag string, latest bool, files map[string][]byte) *Server {
	s := &Server{files: map[string][]byte{}}
	for name, b := range files {
		s.files["/download/"+tag+"/"+name] = b
		if latest {
			s.files["/latest/download/"+name] = b
		}
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.mu.Lock()
		s.asked = append(s.asked, req.URL.Path)
		b, ok := s.files[req.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	}))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// Asked returns the paths requested so far, in order.
func (s *Server) Asked() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.asked, " ")
}
