#!/bin/bash
# Scenario latest_without_completion: the latest release, completion off.
set -e
# shellcheck source=/dev/null
source dev-container-features-test-lib

check "mlforge runs" mlforge version
check "no bash completion" test ! -e /etc/bash_completion.d/mlforge
check "the Docker check is installed" test -x /usr/local/share/mlforge-feature/check-docker.sh

reportResults
