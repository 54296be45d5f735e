#!/bin/bash
# Scenario pinned_release: the pinned version from a release bundled with
# the Feature (baseUrl ./release), with completion.
set -e
# shellcheck source=/dev/null
source dev-container-features-test-lib

check "mlforge is the pinned release" bash -c "mlforge version --json | grep -q '\"version\": \"$EXPECTED_VERSION\"'"
check "mlforge is in /usr/local/bin" test -x /usr/local/bin/mlforge
check "bash completion" grep -q __start_mlforge /etc/bash_completion.d/mlforge
check "zsh completion" grep -q '#compdef mlforge' /usr/local/share/zsh/site-functions/_mlforge
check "fish completion" grep -q 'complete -c mlforge' /usr/share/fish/vendor_completions.d/mlforge.fish
check "completion loads in bash" bash -c "source /etc/bash_completion.d/mlforge && complete -p mlforge"
check "no Docker engine: a warning, not a failure" bash -c \
  "MLFORGE_DOCKER_WAIT=1 /usr/local/share/mlforge-feature/check-docker.sh 2>&1 | grep -q 'warning: no Docker engine reachable'"

reportResults
