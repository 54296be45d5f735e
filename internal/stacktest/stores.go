package stacktest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// S3Image is moto's server in a container (built by the test environment's
// images script): the S3 endpoint the stack's own containers use.
const S3Image = "mlforge-test/moto:5.1.22"

// s3Override adds the s3 service to the stack and points MLflow's S3
// client at it. docker compose reads docker-compose.override.yml beside
// the project's compose file without being told.
const s3Override = `# Test override: MLflow's artifact store on S3, moto standing in for AWS.
services:
  s3:
    image: ` + S3Image + `
    ports:
      - "127.0.0.1:${S3_PORT:?}:5000"
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/moto-api/', timeout=3)"]
      interval: 2s
      timeout: 5s
      retries: 30
  mlflow:
    environment:
      MLFLOW_S3_ENDPOINT_URL: http://s3:5000
      AWS_ACCESS_KEY_ID: testing
      AWS_SECRET_ACCESS_KEY: testing
    depends_on:
      s3:
        condition: service_healthy
  worker:
    environment:
      AWS_ENDPOINT_URL_S3: http://s3:5000
      AWS_ACCESS_KEY_ID: testing
      AWS_SECRET_ACCESS_KEY: testing
    depends_on:
      s3:
        condition: service_healthy
`

// WithS3 puts the stack's MLflow artifact store on an S3 bucket, as on
// AWS where it is the environment's bucket, and the new labelled months
// under its incoming/ prefix: the override file adds the s3 service, .env
// sets what the template's compose file reads (MLFLOW_ARTIFACTS_DESTINATION,
// INCOMING_URI). Call before Up, then CreateBucket.
func (p *Project) WithS3(t testing.TB, bucket string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(p.Dir, "docker-compose.override.yml"), []byte(s3Override), 0o644); err != nil {
		t.Fatal(err)
	}
	err := SetEnv(filepath.Join(p.Dir, ".env"), map[string]string{
		"S3_PORT":                      strconv.Itoa(p.Ports.S3),
		"MLFLOW_ARTIFACTS_DESTINATION": "s3://" + bucket + "/mlflow",
		"INCOMING_URI":                 "s3://" + bucket + "/incoming/",
		"AWS_DEFAULT_REGION":           "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
}

// CreateBucket creates a bucket on the S3 endpoint at port.
func CreateBucket(ctx context.Context, port int, bucket string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, Local(port, "/"+bucket), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", bucket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("creating bucket %s: %s: %s", bucket, resp.Status, body)
	}
	return nil
}

// PutS3Object stores body under key in a bucket on the S3 endpoint at port.
func PutS3Object(ctx context.Context, port int, bucket, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, Local(port, "/"+bucket+"/"+key), bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("putting s3://%s/%s: %w", bucket, key, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("putting s3://%s/%s: %s: %s", bucket, key, resp.Status, data)
	}
	return nil
}

// S3Keys lists the keys under prefix in a bucket on the S3 endpoint at port.
func S3Keys(ctx context.Context, port int, bucket, prefix string) ([]string, error) {
	u := Local(port, "/"+bucket+"?list-type=2&max-keys=1000&prefix="+url.QueryEscape(prefix))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing s3://%s/%s: %w", bucket, prefix, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing s3://%s/%s: %s: %s", bucket, prefix, resp.Status, body)
	}
	var list struct {
		Contents []struct{ Key string }
	}
	if err := xml.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("listing s3://%s/%s: %w", bucket, prefix, err)
	}
	keys := make([]string, len(list.Contents))
	for i, c := range list.Contents {
		keys[i] = c.Key
	}
	return keys, nil
}

// WithPostgres puts MLflow's backend store and Prefect's database on the
// template's optional PostgreSQL service, the way its README says: the
// postgres profile, MLFLOW_BACKEND_STORE_URI and PREFECT_DATABASE_URL with
// the generated POSTGRES_PASSWORD from .env.
func (p *Project) WithPostgres(t testing.TB) {
	t.Helper()
	env, err := os.ReadFile(filepath.Join(p.Dir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	password := ""
	for _, line := range strings.Split(string(env), "\n") {
		if v, ok := strings.CutPrefix(line, "POSTGRES_PASSWORD="); ok {
			password = v
		}
	}
	if password == "" {
		t.Fatal(".env has no POSTGRES_PASSWORD")
	}
	p.Profiles = append(p.Profiles, "postgres")
	err = SetEnv(filepath.Join(p.Dir, ".env"), map[string]string{
		"MLFLOW_BACKEND_STORE_URI": "postgresql://mlflow:" + password + "@postgres:5432/mlflow",
		"PREFECT_DATABASE_URL":     "postgresql+asyncpg://mlflow:" + password + "@postgres:5432/prefect",
	})
	if err != nil {
		t.Fatal(err)
	}
}
