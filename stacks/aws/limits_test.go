package aws

import (
	"crypto/rand"
	"strings"
	"testing"
)

// Tags beyond AWS's limits are refused before any call, naming the tag.
func TestTagLimits(t *testing.T) {
	c := testConfig()
	for _, name := range c.tagNames() {
		for k, v := range c.tags(name) {
			if len(k) > tagKeyMax || len(v) > tagValueMax || !tagRE.MatchString(k+v) {
				t.Errorf("tag %s=%s of %s breaks AWS's limits", k, v, name)
			}
		}
	}
	long := testConfig()
	long.Images = []string{strings.Repeat("i", 128)}
	long.Project, long.Env = strings.Repeat("p", 40), strings.Repeat("e", 40)
	if err := long.checkTags(); err != nil {
		t.Errorf("longest names: %v", err)
	}
	// A Name tag past 256 characters (an image key longer than any the
	// image rules let through) is refused, naming the tag.
	huge := testConfig()
	huge.Images = []string{strings.Repeat("i", 300)}
	if err := huge.checkTags(); err == nil || !strings.Contains(err.Error(), "tag Name") || !strings.Contains(err.Error(), "256") {
		t.Errorf("a 300-character tag value: got %v", err)
	}
}

// User data above EC2's 16 KB (raw, before base64) is refused before any
// call, for the manager and for every worker.
func TestUserDataLimit(t *testing.T) {
	noise := make([]byte, UserDataMax)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	c := testConfig()
	c.ManagerUserData = func([]string) ([]byte, error) { return noise, nil }
	if err := c.Validate(); err != nil {
		t.Fatalf("exactly 16 KB: %v", err)
	}
	c.ManagerUserData = func([]string) ([]byte, error) { return append(noise, 'x'), nil }
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "user data: 16385 bytes") {
		t.Errorf("16 KB + 1: got %v", err)
	}
	// A plain document is compressed: 40 KB of cloud-config fits.
	c = testConfig()
	c.ManagerUserData = nil
	c.UserData = testUserData + strings.Repeat("# padding that compresses well\n", 1300)
	if err := c.Validate(); err != nil {
		t.Errorf("40 KB of compressible cloud-config: %v", err)
	}
	c = testConfig()
	c.Workers = []Worker{testWorker(t, 1)}
	c.Workers[0].UserData = append(noise, 'x')
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "worker 1: user data") {
		t.Errorf("worker over 16 KB: got %v", err)
	}
}

// The plan reports each host's user data size.
func TestUserDataSizeInOutputs(t *testing.T) {
	c := testConfig()
	c.Workers = []Worker{testWorker(t, 1)}
	p := plan(t, c)
	sizes, _ := p.Outputs[OutUserDataBytes].(map[string]any)
	want, _ := c.managerUserData(sampleDataDevices)
	if sizes["host"] != float64(len(want)) || sizes["worker-1"] != float64(len(c.Workers[0].UserData)) {
		t.Errorf("%s = %v, want host %d and worker-1 %d", OutUserDataBytes, sizes, len(want), len(c.Workers[0].UserData))
	}
}
