package sshx

import "errors"

// Hint says what to do next about an error from connecting to a host or
// running a command there as root ("" when it is not such an error).
func Hint(err error) string {
	var unknown *UnknownHostError
	var changed *HostKeyChangedError
	var auth *AuthError
	switch {
	case errors.As(err, &unknown):
		return "compare the fingerprint with the host's own (cloud console or ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on it), then re-run with --accept-new"
	case errors.As(err, &changed):
		return "do not continue unless you know why the key changed (a rebuilt machine); then remove the old key and re-run"
	case errors.As(err, &auth):
		return "pass --identity FILE with the key the host accepts, or load it into ssh-agent"
	case errors.Is(err, ErrSudoPassword), errors.Is(err, ErrNoSudo):
		return "bootstrap needs root: log in as root or give the user passwordless sudo"
	}
	return ""
}
