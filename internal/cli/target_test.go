package cli

import (
	"maps"
	"strings"
	"testing"
)

func TestAWSSettingsPutArtifactsOnTheBucket(t *testing.T) {
	got, err := awsSettings("taxi-dev-artifacts-1a2b", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"MLFLOW_ARTIFACTS_DESTINATION": "s3://taxi-dev-artifacts-1a2b/mlflow",
		"AWS_DEFAULT_REGION":           "eu-west-1",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := awsSettings("", "eu-west-1"); err == nil || !strings.Contains(err.Error(), "bucketName") {
		t.Errorf("no bucket: err = %v, want one naming the bucketName output", err)
	}
}
