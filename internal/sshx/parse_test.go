package sshx

import "testing"

func TestParse(t *testing.T) {
	cases := map[string]string{
		"ubuntu@1.2.3.4":         "ubuntu@1.2.3.4:22",
		"root@host.example:2222": "root@host.example:2222",
		"ec2-user@[::1]:22":      "ec2-user@[::1]:22",
		"u@::1":                  "u@[::1]:22",
	}
	for in, want := range cases {
		o, err := Parse(in)
		if err != nil || o.Address() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, o.Address(), err, want)
		}
	}
	for _, bad := range []string{"", "host", "@host", "user@", "user@host:0", "user@host:99999", "us er@host", "u@a b"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
