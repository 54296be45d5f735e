package testenv

import (
	"bufio"
	"os"
	"strings"
	"sync"
	"testing"
)

// Printed collects everything commands printed during tests, by test.
type Printed struct {
	mu  sync.Mutex
	out map[string]*strings.Builder
}

// Add records what a command printed during t.
func (p *Printed) Add(t testing.TB, text ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		p.out = map[string]*strings.Builder{}
	}
	b, ok := p.out[t.Name()]
	if !ok {
		b = &strings.Builder{}
		p.out[t.Name()] = b
	}
	for _, s := range text {
		b.WriteString(s)
		b.WriteString("\n")
	}
}

// Of returns what was printed during t.
func (p *Printed) Of(t testing.TB) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.out[t.Name()]; ok {
		return b.String()
	}
	return ""
}

// NoSecrets fails t when a secret appears in printed. secrets maps what
// each one is to its value; a PEM private key is looked for line by line
// (any line of its body gives it away), empty values are ignored.
func NoSecrets(t testing.TB, printed string, secrets map[string]string) {
	t.Helper()
	checked := 0
	for what, value := range secrets {
		for _, needle := range secretParts(value) {
			checked++
			if strings.Contains(printed, needle) {
				t.Errorf("mlforge printed a secret (%s)", what)
				break
			}
		}
	}
	if checked == 0 {
		t.Errorf("no secrets to look for: the check would pass on anything")
	}
}

// secretParts are the strings that give a secret away.
func secretParts(value string) []string {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil
	}
	if !strings.Contains(value, "PRIVATE KEY-----") {
		return []string{value}
	}
	var parts []string
	for _, l := range strings.Split(value, "\n") {
		if l = strings.TrimSpace(l); len(l) >= 16 && !strings.HasPrefix(l, "-----") {
			parts = append(parts, l)
		}
	}
	return parts
}

// EnvSecrets reads the values of an env file's secrets: the variables
// whose names say PASSWORD, SECRET, TOKEN or PASSPHRASE.
func EnvSecrets(t testing.TB, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(k), "#") {
			continue
		}
		for _, word := range []string{"PASSWORD", "SECRET", "TOKEN", "PASSPHRASE"} {
			if strings.Contains(k, word) {
				out[k+" in "+file] = strings.Trim(v, `"'`)
			}
		}
	}
	return out
}
