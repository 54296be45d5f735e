#!/bin/bash
# The Feature with its default options (the latest release from GitHub):
# run by `devcontainer features test` where GitHub is reachable.
set -e
# shellcheck source=/dev/null
source dev-container-features-test-lib

check "mlforge runs" mlforge version
check "bash completion" test -s /etc/bash_completion.d/mlforge

reportResults
