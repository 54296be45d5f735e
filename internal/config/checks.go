package config

import (
	"fmt"
	"net/netip"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/sshx"
)

// checks are the named validators used in `check` tags. Each returns an
// error whose message reads well after "field: ".
var checks = map[string]func(string) error{
	"name":      checkName,
	"name-keys": checkName,
	// Compose service names, and the job names mlforge derives from them.
	"service":      checkServiceName,
	"service-keys": checkServiceName,
	"relpath":      checkRelPath,
	"sshhost":      func(s string) error { _, err := sshx.Parse(s); return err },
	"region":       checkRegion,
	"ec2type":      checkInstanceType,
	"cidr":         checkCIDR,
	"backend":      checkBackend,
	"secrets":      checkSecrets,
	"idlestop":     func(s string) error { _, _, err := idle.ParseTimeout(s); return err },
}

// checkPatterns approximate the named checks in the JSON Schema, so editors
// flag most mistakes the loader would.
var checkPatterns = map[string]string{
	"name":         namePattern,
	"name-keys":    namePattern,
	"service":      servicePattern,
	"service-keys": servicePattern,
	"region":       `^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`,
	"ec2type":      `^[a-z][a-z0-9-]*\.[a-z0-9-]+$`,
	"cidr":         `^[0-9a-fA-F.:]+/[0-9]{1,3}$`,
	"idlestop":     `^(off|([0-9]+h)?([0-9]+m)?)$`,
}

const namePattern = `^[a-z][a-z0-9-]{0,38}[a-z0-9]$`

// servicePattern is what compose accepts as a service name: the
// compose-spec schema's patternProperties for services.
const servicePattern = `^[a-zA-Z0-9._-]+$`

var (
	regexMu    sync.Mutex
	regexCache = map[string]*regexp.Regexp{}
)

func compiled(expr string) *regexp.Regexp {
	regexMu.Lock()
	defer regexMu.Unlock()
	re, ok := regexCache[expr]
	if !ok {
		re = regexp.MustCompile(expr)
		regexCache[expr] = re
	}
	return re
}

func checkString(s string, tag reflect.StructTag) error {
	if enum, ok := tag.Lookup("enum"); ok {
		allowed := strings.Split(enum, "|")
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", s, strings.Join(allowed, ", "))
	}
	if p, ok := tag.Lookup("pattern"); ok && !compiled(p).MatchString(s) {
		return fmt.Errorf("%q does not match %s", s, p)
	}
	if c, ok := tag.Lookup("check"); ok && !strings.HasSuffix(c, "-keys") {
		return checks[c](s)
	}
	return nil
}

func checkInt(n int, tag reflect.StructTag) error {
	if enum, ok := tag.Lookup("enum"); ok {
		for _, a := range strings.Split(enum, "|") {
			if strconv.Itoa(n) == a {
				return nil
			}
		}
		return fmt.Errorf("%d is not supported (supported: %s)", n, strings.ReplaceAll(enum, "|", ", "))
	}
	if lo, ok := tag.Lookup("min"); ok {
		if m, _ := strconv.Atoi(lo); n < m {
			return fmt.Errorf("%d is below the minimum %d", n, m)
		}
	}
	if hi, ok := tag.Lookup("max"); ok {
		if m, _ := strconv.Atoi(hi); n > m {
			return fmt.Errorf("%d is above the maximum %d", n, m)
		}
	}
	return nil
}

func checkName(s string) error {
	if !compiled(namePattern).MatchString(s) {
		return fmt.Errorf("%q is not a valid name: use 2-40 lower-case letters, digits and dashes, starting with a letter", s)
	}
	return nil
}

func checkServiceName(s string) error {
	if !compiled(servicePattern).MatchString(s) {
		return fmt.Errorf("%q is not a compose service name: use letters, digits, dots, underscores and dashes", s)
	}
	return nil
}

func checkRelPath(s string) error {
	if s == "" || path.IsAbs(s) || strings.HasPrefix(s, "~") {
		return fmt.Errorf("%q must be a path relative to the project root", s)
	}
	if clean := path.Clean(s); clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("%q points outside the project", s)
	}
	return nil
}

func checkRegion(s string) error {
	if !compiled(checkPatterns["region"]).MatchString(s) {
		return fmt.Errorf("%q is not a valid AWS region (for example us-east-1, eu-west-1)", s)
	}
	return nil
}

// Instance sizes that exist across EC2 families; "metal" and "metal-48xl"
// forms too. A family must start with letters and a generation digit.
var (
	instanceFamily = `^(u-[0-9]+tb[0-9]*|(a|c|d|dl|f|g|gr|h|hpc|i|im|inf|is|m|mac|p|r|t|trn|u|vt|x|z)[0-9]+[a-z-]*)$`
	instanceSize   = `^(nano|micro|small|medium|large|xlarge|[0-9]+xlarge|metal|metal-[0-9]+xl|[0-9]+tb[0-9]*)$`
)

func checkInstanceType(s string) error {
	family, size, ok := strings.Cut(s, ".")
	if !ok || !compiled(instanceFamily).MatchString(family) || !compiled(instanceSize).MatchString(size) {
		return fmt.Errorf("%q is not a valid EC2 instance type (for example t3.large, m7i.xlarge, g5.xlarge)", s)
	}
	return nil
}

func checkCIDR(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return fmt.Errorf("%q is not a CIDR block (for example 203.0.113.7/32)", s)
	}
	if p.Bits() == 0 {
		return fmt.Errorf("%q opens SSH to the whole internet: name your own network, for example %s/32", s, p.Addr())
	}
	if p.Masked() != p {
		return fmt.Errorf("%q has host bits set: did you mean %s?", s, p.Masked())
	}
	return nil
}

func checkBackend(s string) error {
	for _, scheme := range []string{"file://", "s3://", "gs://", "azblob://", "https://", "http://"} {
		if strings.HasPrefix(s, scheme) && len(s) > len(scheme) {
			return nil
		}
	}
	return fmt.Errorf("%q is not a Pulumi backend URL (file://DIR, s3://bucket/prefix, https://api.pulumi.com)", s)
}

func checkSecrets(s string) error {
	if s == "passphrase" || (strings.HasPrefix(s, "awskms://") && len(s) > len("awskms://")) {
		return nil
	}
	return fmt.Errorf("%q is not a supported secrets provider (passphrase, or awskms://KEY-ID?region=REGION)", s)
}
