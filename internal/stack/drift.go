package stack

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
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
