package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Prober makes HTTP requests to a service's published port: GETs of
// health and status, POSTs of JSON to APIs (the orchestrator's).
type Prober interface {
	Get(ctx context.Context, port int, path string) (status int, body []byte, err error)
	Post(ctx context.Context, port int, path string, body []byte) (status int, out []byte, err error)
}

// HTTPProber reaches ports published on 127.0.0.1: this machine's with the
// default transport, a remote host's with a transport that dials through
// SSH.
type HTTPProber struct {
	Transport http.RoundTripper // nil: http.DefaultTransport
}

// LocalProber probes this machine's loopback ports.
var LocalProber = HTTPProber{}

// Get implements Prober.
func (p HTTPProber) Get(ctx context.Context, port int, path string) (int, []byte, error) {
	return p.do(ctx, http.MethodGet, port, path, nil)
}

// Post sends a JSON body to a service's published port.
func (p HTTPProber) Post(ctx context.Context, port int, path string, body []byte) (int, []byte, error) {
	return p.do(ctx, http.MethodPost, port, path, body)
}

func (p HTTPProber) do(ctx context.Context, method string, port int, path string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var in io.Reader
	if body != nil {
		in = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), in)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("content-type", "application/json")
	}
	resp, err := (&http.Client{Transport: p.Transport}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out, err
}

// ModelVersion asks the model service's health endpoint which model
// version it serves ("" when none or unknown).
func ModelVersion(ctx context.Context, p Prober, port int, path string) (ready bool, version string) {
	status, body, err := p.Get(ctx, port, path)
	if err != nil {
		return false, ""
	}
	return status == http.StatusOK, versionOf(body)
}

// versionOf reads model_version from a health answer ("" when absent).
func versionOf(body []byte) string {
	var h struct {
		ModelVersion any `json:"model_version"`
	}
	if json.Unmarshal(body, &h) == nil && h.ModelVersion != nil {
		return fmt.Sprint(h.ModelVersion)
	}
	return ""
}
