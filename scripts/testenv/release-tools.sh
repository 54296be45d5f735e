#!/usr/bin/env bash
# Installs what the release checks need: goreleaser (built once from the Go
# module proxy into the cache) and the Dev Containers CLI (from npm, into
# the cache). Idempotent.
set -euo pipefail
# shellcheck source=scripts/testenv/lib.sh
. "$(dirname "$0")/lib.sh"

GORELEASER_VERSION=${GORELEASER_VERSION:-v2.15.1}
DEVCONTAINER_CLI_VERSION=${DEVCONTAINER_CLI_VERSION:-0.89.0}
bin="$CACHE_DIR/bin"
mkdir -p "$bin"

if [ -x "$bin/goreleaser" ] && "$bin/goreleaser" --version 2>/dev/null | grep -q "${GORELEASER_VERSION#v}"; then
  log "goreleaser $GORELEASER_VERSION: present"
else
  log "building goreleaser $GORELEASER_VERSION (a few minutes, once)"
  scratch="$CACHE_DIR/src/goreleaser"
  scratch_module "$scratch"
  (
    cd "$scratch"
    go get "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION" >/dev/null 2>&1
    go build -ldflags "-X main.version=${GORELEASER_VERSION#v}" -o "$bin/goreleaser.tmp" github.com/goreleaser/goreleaser/v2
  ) || die "building goreleaser failed"
  mv "$bin/goreleaser.tmp" "$bin/goreleaser"
fi

dc="$CACHE_DIR/devcontainer-cli-$DEVCONTAINER_CLI_VERSION"
if [ -x "$dc/node_modules/.bin/devcontainer" ]; then
  log "devcontainer CLI $DEVCONTAINER_CLI_VERSION: present"
else
  command -v npm >/dev/null || die "npm is needed for the Dev Containers CLI (apt-get install npm)"
  log "installing the devcontainer CLI $DEVCONTAINER_CLI_VERSION"
  rm -rf "$dc.tmp"
  mkdir -p "$dc.tmp"
  (cd "$dc.tmp" && npm install --silent --no-audit --no-fund "@devcontainers/cli@$DEVCONTAINER_CLI_VERSION" >/dev/null) ||
    die "npm install @devcontainers/cli failed"
  rm -rf "$dc"
  mv "$dc.tmp" "$dc"
fi
ln -sf "$dc/node_modules/.bin/devcontainer" "$bin/devcontainer"
