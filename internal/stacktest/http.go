package stacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Ride is one trip the model server scores.
type Ride struct {
	PULocationID int     `json:"PULocationID"`
	DOLocationID int     `json:"DOLocationID"`
	TripDistance float64 `json:"trip_distance"`
}

// CourseRide is the ride the course's clients send.
var CourseRide = Ride{PULocationID: 10, DOLocationID: 50, TripDistance: 40}

// Prediction is the server's answer for one ride.
type Prediction struct {
	Duration     float64 `json:"duration"`
	ModelVersion string  `json:"model_version"`
}

var client = &http.Client{Timeout: 10 * time.Second}

// Local returns the URL of path on a port published on 127.0.0.1.
func Local(port int, path string) string { return "http://127.0.0.1:" + strconv.Itoa(port) + path }

// WaitHTTP polls url until it answers with status want or timeout passes;
// the error says what it answered last.
func WaitHTTP(ctx context.Context, url string, want int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no answer"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting %s for %s to answer %d: last %s", timeout, url, want, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Predict posts one ride to the model server on port.
func Predict(ctx context.Context, port int, ride Ride) (Prediction, error) {
	var p Prediction
	err := postJSON(ctx, Local(port, "/predict"), ride, &p)
	return p, err
}

// PredictBatch posts several rides in one request (the batch form).
func PredictBatch(ctx context.Context, port int, rides []Ride) ([]Prediction, error) {
	var ps []Prediction
	err := postJSON(ctx, Local(port, "/predict"), rides, &ps)
	return ps, err
}

func postJSON(ctx context.Context, url string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: status %d: %s", url, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("POST %s: reading %q: %w", url, data, err)
	}
	return nil
}

func getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("GET %s: reading %q: %w", url, data, err)
	}
	return nil
}

// Sample is one series of an instant Prometheus query.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// QueryPrometheus runs an instant query against Prometheus on port.
func QueryPrometheus(ctx context.Context, port int, query string) ([]Sample, error) {
	u := Local(port, "/api/v1/query?query="+url.QueryEscape(query))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("querying prometheus: %w", err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("querying prometheus for %s: %w", query, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("querying prometheus for %s: %s", query, r.Error)
	}
	out := make([]Sample, 0, len(r.Data.Result))
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("querying prometheus for %s: value %q: %w", query, str, err)
		}
		out = append(out, Sample{Labels: s.Metric, Value: v})
	}
	return out, nil
}

// WaitPrometheus repeats query until it returns at least one series.
func WaitPrometheus(ctx context.Context, port int, query string, timeout time.Duration) ([]Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		s, err := QueryPrometheus(ctx, port, query)
		if err == nil && len(s) > 0 {
			return s, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("no series")
			}
			return nil, fmt.Errorf("waiting %s for prometheus to serve %s: %w", timeout, query, err)
		case <-time.After(time.Second):
		}
	}
}
