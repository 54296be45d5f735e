package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultBase is the AWS Price List API's public endpoint (no credentials).
const DefaultBase = "https://pricing.us-east-1.amazonaws.com"

// source opens an offer file of a service (AmazonEC2, AmazonS3,
// AmazonECR) for a region.
type source interface {
	Open(ctx context.Context, service, region string) (io.ReadCloser, string, error)
}

// httpSource downloads the current offer files:
// BASE/offers/v1.0/aws/SERVICE/current/REGION/index.json.
type httpSource struct {
	Base   string
	Client *http.Client
}

func (s httpSource) Open(ctx context.Context, service, region string) (io.ReadCloser, string, error) {
	url := strings.TrimRight(s.Base, "/") + "/offers/v1.0/aws/" + service + "/current/" + region + "/index.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, url, err
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, url, fmt.Errorf("downloading %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, url, fmt.Errorf("downloading %s: HTTP %d (is %s a region AWS prices %s in?)", url, resp.StatusCode, region, service)
	}
	return resp.Body, url, nil
}

// dirSource reads offer files downloaded beforehand, laid out like the
// API's paths: DIR/SERVICE/current/REGION/index.json.
type dirSource struct{ Dir string }

func (s dirSource) Open(_ context.Context, service, region string) (io.ReadCloser, string, error) {
	path := filepath.Join(s.Dir, service, "current", region, "index.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, path, fmt.Errorf("opening the offer file: %w", err)
	}
	return f, path, nil
}
