// Command fakehost plays the parts of a host the idle stop's tests need
// and a test host lacks: a model server with a Prometheus request counter,
// a job that prints a heartbeat and then may fall silent, an EC2 metadata
// service (IMDSv2, as strict as EC2's about tokens) that can announce a
// spot interruption, and a meter of a command's CPU time and memory. It
// is built static and copied into the test host.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fakehost model|job|imds|measure ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "model":
		err = model(os.Args[2:])
	case "job":
		err = job(os.Args[2:])
	case "imds":
		err = imds(os.Args[2:])
	case "measure":
		err = measure(os.Args[2:])
	default:
		err = fmt.Errorf("unknown part %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakehost:", err)
		os.Exit(1)
	}
}
