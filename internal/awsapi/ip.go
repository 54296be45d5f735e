package awsapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// IPSource tells the caller's public IPv4 address as the internet sees it.
type IPSource interface {
	PublicIP(ctx context.Context) (net.IP, error)
}

// CheckIPURL is AWS's own what-is-my-address service.
const CheckIPURL = "https://checkip.amazonaws.com"

// HTTPIPSource asks a URL that answers with the caller's address as text.
type HTTPIPSource struct {
	URL    string
	Client *http.Client
}

// PublicIP fetches and parses the address.
func (s HTTPIPSource) PublicIP(ctx context.Context) (net.IP, error) {
	url := s.URL
	if url == "" {
		url = CheckIPURL
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("detecting your public address via %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err != nil {
		return nil, fmt.Errorf("detecting your public address via %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("detecting your public address via %s: HTTP %d", url, resp.StatusCode)
	}
	ip := net.ParseIP(strings.TrimSpace(string(body)))
	if ip == nil || ip.To4() == nil {
		return nil, fmt.Errorf("detecting your public address via %s: answer %q is not an IPv4 address", url, strings.TrimSpace(string(body)))
	}
	return ip.To4(), nil
}

// CallerCIDR is the caller's address as a /32, for the SSH allow-list.
// Private, loopback and unspecified answers are refused: they would lock
// the caller out.
func CallerCIDR(ctx context.Context, src IPSource) (string, error) {
	ip, err := src.PublicIP(ctx)
	if err != nil {
		return "", err
	}
	if ip.IsPrivate() || ip.IsLoopback() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() {
		return "", fmt.Errorf("detected address %s is not public", ip)
	}
	return ip.String() + "/32", nil
}
