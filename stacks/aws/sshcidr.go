package aws

import (
	"fmt"
	"net/netip"
)

// sshNetworks are the SSH allow-list split by address family, as the
// security group takes them (cidrBlocks and ipv6CidrBlocks).
type sshNetworks struct{ v4, v6 []string }

// checkSSH validates aws.sshCidrs: each a CIDR block with no host bits,
// never the whole internet, and no wider than a /16 (IPv4) or /48 (IPv6)
// unless aws.allowWideSSH is set.
func (c Config) checkSSH() error {
	_, err := c.sshNetworks()
	return err
}

func (c Config) sshNetworks() (sshNetworks, error) {
	var n sshNetworks
	if len(c.SSHCidrs) == 0 {
		return n, fmt.Errorf("aws.sshCidrs: empty; SSH must be limited to known networks (the caller's /32 by default)")
	}
	for _, cidr := range c.SSHCidrs {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return n, fmt.Errorf("aws.sshCidrs: %q is not a CIDR block such as 203.0.113.7/32 or 2001:db8::/64", cidr)
		}
		if p.Addr().Is4In6() {
			return n, fmt.Errorf("aws.sshCidrs: %q is an IPv4 network written as IPv6; write it as %s/%d", cidr, p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Masked() != p {
			return n, fmt.Errorf("aws.sshCidrs: %q has host bits set; did you mean %s?", cidr, p.Masked())
		}
		if p.Bits() == 0 {
			return n, fmt.Errorf("aws.sshCidrs: %q opens SSH to the whole internet; list your own networks", cidr)
		}
		min := minSSHBits4
		if p.Addr().Is6() {
			min = minSSHBits6
		}
		if p.Bits() < min && !c.AllowWideSSH {
			return n, fmt.Errorf("aws.sshCidrs: %q is wider than a /%d (%s); list narrower networks, or set aws.allowWideSSH: true to accept it",
				cidr, min, addresses(p))
		}
		if p.Addr().Is4() {
			n.v4 = append(n.v4, p.String())
		} else {
			n.v6 = append(n.v6, p.String())
		}
	}
	return n, nil
}

// wide reports whether any network is wider than the default limits.
func (c Config) wide() bool {
	for _, cidr := range c.SSHCidrs {
		p, err := netip.ParsePrefix(cidr)
		if err == nil && ((p.Addr().Is4() && p.Bits() < minSSHBits4) || (p.Addr().Is6() && p.Bits() < minSSHBits6)) {
			return true
		}
	}
	return false
}

// addresses describes how many addresses a network holds.
func addresses(p netip.Prefix) string {
	host := 128 - p.Bits()
	if p.Addr().Is4() {
		host = 32 - p.Bits()
	}
	if host < 63 {
		return fmt.Sprintf("%d addresses", uint64(1)<<host)
	}
	return fmt.Sprintf("2^%d addresses", host)
}
