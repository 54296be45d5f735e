package stacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Alert is an alert as Alertmanager's API v2 lists it.
type Alert struct {
	Labels    map[string]string `json:"labels"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
	Status struct {
		State string `json:"state"` // active, suppressed, unprocessed
	} `json:"status"`
}

// ReceiverNames lists the receivers the alert was routed to.
func (a Alert) ReceiverNames() []string {
	names := make([]string, len(a.Receivers))
	for i, r := range a.Receivers {
		names[i] = r.Name
	}
	return names
}

// Alerts lists the alerts Alertmanager on port knows (GET /api/v2/alerts).
func Alerts(ctx context.Context, port int) ([]Alert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, Local(port, "/api/v2/alerts"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing alertmanager's alerts: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing alertmanager's alerts: %s", resp.Status)
	}
	var alerts []Alert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		return nil, fmt.Errorf("listing alertmanager's alerts: %w", err)
	}
	return alerts, nil
}
