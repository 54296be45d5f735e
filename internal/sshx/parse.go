package sshx

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

var userName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.-]*$`)

// Parse reads a host as every flag and setting spells it,
// user@address[:port], into the options that reach it (port 22 when
// absent). It is the one parser of host strings: configuration checks,
// flags and targets all call it.
func Parse(s string) (Options, error) {
	user, rest, ok := strings.Cut(s, "@")
	if !ok || user == "" || rest == "" {
		return Options{}, fmt.Errorf("%q is not user@address[:port] (for example ubuntu@203.0.113.7)", s)
	}
	if !userName.MatchString(user) {
		return Options{}, fmt.Errorf("%q: %q is not a valid user name", s, user)
	}
	o := Options{User: user, Addr: rest, Port: 22}
	if host, port, err := net.SplitHostPort(rest); err == nil {
		n, perr := strconv.Atoi(port)
		if perr != nil || n < 1 || n > 65535 {
			return Options{}, fmt.Errorf("%q: port %q must be a number from 1 to 65535", s, port)
		}
		o.Addr, o.Port = host, n
	}
	o.Addr = strings.Trim(o.Addr, "[]")
	if o.Addr == "" || strings.ContainsAny(o.Addr, " /@") {
		return Options{}, fmt.Errorf("%q: %q is not a host name or address", s, o.Addr)
	}
	return o, nil
}
