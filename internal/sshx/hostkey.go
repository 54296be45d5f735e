package sshx

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// UnknownHostError is returned when a host's key is not in known_hosts and
// AcceptNew is off.
type UnknownHostError struct {
	Host        string // addr:port
	KeyType     string
	Fingerprint string // SHA256:...
	KnownHosts  string
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("host %s is not known (%s key %s not in %s); check the fingerprint and re-run with --accept-new to record it",
		e.Host, e.KeyType, e.Fingerprint, e.KnownHosts)
}

// HostKeyChangedError is returned when a host presents a key other than the
// one recorded or pinned: possibly a rebuilt machine, possibly an attack.
type HostKeyChangedError struct {
	Host     string
	Known    []string // "SHA256:... (file:line)" or "SHA256:... (pinned)"
	Got      string   // SHA256 of the presented key
	FixHint  string
	Filename string
}

func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("host key of %s has CHANGED: expected %s, the host presented %s; if the machine was rebuilt, %s",
		e.Host, strings.Join(e.Known, " or "), e.Got, e.FixHint)
}

// knownHostsMu serialises appends to known_hosts by concurrent dials.
var knownHostsMu sync.Mutex

// hostKeyCheck returns the callback verifying host keys and the key
// algorithms to ask for (those already known for the host, so a host with
// several keys is checked against the one on record).
func hostKeyCheck(o Options) (ssh.HostKeyCallback, []string, error) {
	if o.HostKey != "" {
		pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(o.HostKey))
		if err != nil {
			return nil, nil, fmt.Errorf("parsing the pinned host key: %w", err)
		}
		cb := func(host string, _ net.Addr, key ssh.PublicKey) error {
			if string(key.Marshal()) == string(pinned.Marshal()) {
				return nil
			}
			return &HostKeyChangedError{Host: host, Known: []string{ssh.FingerprintSHA256(pinned) + " (pinned)"},
				Got: ssh.FingerprintSHA256(key), FixHint: "update the pinned key"}
		}
		return cb, algorithmsFor(pinned.Type()), nil
	}
	file := o.KnownHostsFile
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return nil, nil, fmt.Errorf("creating %s: %w", filepath.Dir(file), err)
		}
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			return nil, nil, fmt.Errorf("creating %s: %w", file, err)
		}
	}
	check, err := knownhosts.New(file)
	if err != nil {
		return nil, nil, fmt.Errorf("reading known hosts %s: %w", file, err)
	}
	cb := func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := check(host, remote, key)
		var ke *knownhosts.KeyError
		if err == nil || !errors.As(err, &ke) {
			return err
		}
		if len(ke.Want) > 0 {
			known := make([]string, len(ke.Want))
			for i, w := range ke.Want {
				known[i] = fmt.Sprintf("%s (%s:%d)", ssh.FingerprintSHA256(w.Key), w.Filename, w.Line)
			}
			return &HostKeyChangedError{Host: host, Known: known, Got: ssh.FingerprintSHA256(key), Filename: file,
				FixHint: fmt.Sprintf("remove the old key with 'ssh-keygen -R %s -f %s' and connect again", knownhosts.Normalize(host), file)}
		}
		if !o.AcceptNew {
			return &UnknownHostError{Host: host, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), KnownHosts: file}
		}
		return appendKnownHost(file, host, key)
	}
	return cb, knownAlgorithms(check, o.HostPort()), nil
}

func appendKnownHost(file, host string, key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("recording the host key of %s: %w", host, err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(host)}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("recording the host key of %s in %s: %w", host, file, err)
	}
	return f.Close()
}

// knownAlgorithms asks the callback about a throwaway key to learn which key
// types are on record for host.
func knownAlgorithms(check ssh.HostKeyCallback, host string) []string {
	probe, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize))) // a key no host has
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if err := check(host, &net.TCPAddr{IP: net.IPv4zero}, probe); !errors.As(err, &ke) {
		return preferred
	}
	var algos []string
	if len(ke.Want) == 0 {
		return preferred
	}
	seen := map[string]bool{}
	for _, w := range ke.Want {
		for _, a := range algorithmsFor(w.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

// preferred asks unknown hosts for their ed25519 key first, the type
// mlforge pins and the one people compare fingerprints of.
var preferred = []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}
