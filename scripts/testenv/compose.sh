#!/usr/bin/env bash
# Builds the Compose v2 CLI plugin from the Go module proxy (cached).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin="$CACHE_DIR/compose-$COMPOSE_VERSION/docker-compose"
plugin_dir=/usr/local/lib/docker/cli-plugins
if [ ! -x "$bin" ]; then
  log "building docker compose $COMPOSE_VERSION (several minutes, once)"
  mod="$CACHE_DIR/src/compose"
  scratch_module "$mod"
  (cd "$mod" && go get "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION" >/dev/null 2>&1 &&
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
      -o "$bin.tmp" github.com/docker/compose/v2/cmd)
  mv "$bin.tmp" "$bin"
fi
as_root mkdir -p "$plugin_dir"
if ! cmp -s "$bin" "$plugin_dir/docker-compose"; then
  as_root install -m 0755 "$bin" "$plugin_dir/docker-compose"
fi
docker compose version >/dev/null || die "docker compose does not answer"
log "docker compose: $(docker compose version --short)"
