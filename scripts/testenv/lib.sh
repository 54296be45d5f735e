# Shared helpers for the test-environment scripts. Sourced, not run.
# shellcheck shell=bash

CACHE_DIR=${MLFORGE_TEST_CACHE:-/var/cache/mlforge-test}
COMPOSE_VERSION=${COMPOSE_VERSION:-v2.40.3}
PULUMI_VERSION=${PULUMI_VERSION:-v3.274.1}

log() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# scratch_module DIR: an empty Go module outside the project, to build tools in.
scratch_module() {
  mkdir -p "$1"
  if [ ! -f "$1/go.mod" ]; then
    (cd "$1" && go mod init scratch.local/tools >/dev/null 2>&1)
  fi
}
