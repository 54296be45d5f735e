package aws

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mlforge/mlforge/bootstrap"
)

// tagNames are the names (the Name tag's suffix) of every tagged resource,
// so the tags of each can be checked before any is created.
func (c Config) tagNames() []string {
	names := []string{"artifacts", "host", "key", "data"}
	names = append(names, c.Images...)
	for i := range c.Workers {
		names = append(names, workerName(i))
	}
	return names
}

// checkTags verifies the tags of every resource against AWS's limits
// (tagKeyMax, tagValueMax, tagsMax, IAM's character set, the reserved
// "aws:" prefix).
func (c Config) checkTags() error {
	for _, name := range c.tagNames() {
		tags := c.tags(name)
		if len(tags) > tagsMax {
			return fmt.Errorf("tags of %s: %d tags, AWS allows at most %d per resource", name, len(tags), tagsMax)
		}
		for k, v := range tags {
			switch {
			case utf8.RuneCountInString(k) > tagKeyMax || k == "":
				return fmt.Errorf("tag key %q: AWS allows 1-%d characters", k, tagKeyMax)
			case utf8.RuneCountInString(v) > tagValueMax:
				return fmt.Errorf("tag %s of %s: %d characters, AWS allows at most %d", k, name, utf8.RuneCountInString(v), tagValueMax)
			case strings.HasPrefix(strings.ToLower(k), "aws:"):
				return fmt.Errorf("tag key %q: the aws: prefix is reserved for AWS", k)
			case !tagRE.MatchString(k) || !tagRE.MatchString(v):
				return fmt.Errorf("tag %s=%q of %s: AWS tags allow letters, digits, spaces and _ . : / = + - @ only", k, v, name)
			}
		}
	}
	return nil
}

// sampleDataDevices stand for the manager's data volume when user data is
// measured before the volume exists: an id of the longest form AWS issues.
var sampleDataDevices = DataDevices("vol-0123456789abcdef0")

// checkUserData renders every host's user data and checks it against
// EC2's 16 KB limit (UserDataMax, raw bytes before base64).
func (c Config) checkUserData() error {
	ud, err := c.managerUserData(sampleDataDevices)
	if err != nil {
		return err
	}
	if len(ud) > UserDataMax {
		return fmt.Errorf("user data: %d bytes, EC2 accepts at most %d (16 KB) before base64; shorten the cloud-init document (gzip-compress it: cloud-init reads gzip-compressed user data)", len(ud), UserDataMax)
	}
	for i, w := range c.Workers {
		if len(w.UserData) > UserDataMax {
			return fmt.Errorf("worker %d: user data: %d bytes, EC2 accepts at most %d (16 KB) before base64", i+1, len(w.UserData), UserDataMax)
		}
	}
	return nil
}

// userDataSizes maps each host to the size of its user data.
func (c Config) userDataSizes(manager pulumi.IntOutput) pulumi.IntMap {
	sizes := pulumi.IntMap{"host": manager}
	for i, w := range c.Workers {
		sizes[workerName(i)] = pulumi.Int(len(w.UserData))
	}
	return sizes
}

// managerUserData is the manager's user data as EC2 stores it: rendered by
// ManagerUserData, or UserData gzip-compressed.
func (c Config) managerUserData(dataDevices []string) ([]byte, error) {
	if c.ManagerUserData != nil {
		ud, err := c.ManagerUserData(dataDevices)
		if err != nil {
			return nil, fmt.Errorf("rendering the host's user data: %w", err)
		}
		return ud, nil
	}
	return bootstrap.Gzip([]byte(c.UserData))
}
