package stack

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/mlforge/mlforge/internal/config"
)

// Drift is one drift metric as Prometheus serves it.
type Drift struct {
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
}

// DriftSummary asks Prometheus (on its published port) for the stack's
// drift metrics: every series whose name contains "drift", except the
// per-feature ones.
func DriftSummary(ctx context.Context, p Prober, port int) ([]Drift, error) {
	q := url.QueryEscape(`{__name__=~".*drift.*", feature=""}`)
	status, body, err := p.Get(ctx, port, "/api/v1/query?query="+q)
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, errNotReady
	}
	var resp struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, err
	}
	var out []Drift
	for _, r := range resp.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			continue
		}
		out = append(out, Drift{Metric: r.Metric["__name__"], Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metric < out[j].Metric })
	return out, nil
}

// PushedDrift reads the same metrics from the pushgateway's /metrics (on
// its published port): what the last monitor run pushed, before
// Prometheus has scraped it.
func PushedDrift(ctx context.Context, p Prober, port int) ([]Drift, error) {
	status, body, err := p.Get(ctx, port, "/metrics")
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, errNotReady
	}
	seen := map[string]bool{}
	var out []Drift
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		series, value := line[:i], line[i+1:]
		name, labels, _ := strings.Cut(series, "{")
		if !strings.Contains(name, "drift") || strings.Contains(labels, `feature="`) || seen[name] {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		seen[name] = true
		out = append(out, Drift{Metric: name, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metric < out[j].Metric })
	return out, nil
}

// LatestDrift returns the drift of the last monitor run: as Prometheus
// (role metrics) serves it, or, until Prometheus has scraped that run's
// push, as the pushgateway (role pushgateway) holds it. Services not in
// running are not asked. Empty when neither has any.
func LatestDrift(ctx context.Context, p Prober, cfg *config.Config, running map[string]bool) []Drift {
	sources := []struct {
		role string
		read func(context.Context, Prober, int) ([]Drift, error)
	}{{"metrics", DriftSummary}, {"pushgateway", PushedDrift}}
	for _, src := range sources {
		for _, name := range servicesWithRole(cfg, src.role) {
			if !running[name] {
				continue
			}
			if d, err := src.read(ctx, p, cfg.Services[name].Port); err == nil && len(d) > 0 {
				return d
			}
		}
	}
	return []Drift{}
}
