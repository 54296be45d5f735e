// Command mlforge takes an ML project from an empty folder to a running
// train, deploy and monitor stack on local Docker, an SSH host, or AWS.
package main

import (
	"os"

	"github.com/mlforge/mlforge/internal/cli"
	"github.com/mlforge/mlforge/internal/quietterm"
)

func main() {
	quietterm.Restore()
	os.Exit(cli.Main())
}
