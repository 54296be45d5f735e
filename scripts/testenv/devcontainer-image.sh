#!/usr/bin/env bash
# Builds the stand-in for the devcontainer base image the templates name
# (mcr.microsoft.com/devcontainers/python:1-3.11-bookworm) from the local
# python:3.11-slim stand-in, with this machine's docker CLI and Compose
# plugin inside (images/devcontainer-python.Dockerfile says why). Rebuilt
# when its recipe or those binaries change. Idempotent.
set -euo pipefail
# shellcheck source=scripts/testenv/lib.sh
. "$(dirname "$0")/lib.sh"

tag=mcr.microsoft.com/devcontainers/python:1-3.11-bookworm
images="$(dirname "$0")/images"
docker_cli=$(command -v docker) || die "no docker CLI (scripts/testenv/dockerd.sh installs it)"
compose=/usr/local/lib/docker/cli-plugins/docker-compose
[ -x "$compose" ] || die "no Compose v2 plugin at $compose (scripts/testenv/compose.sh builds it)"
have python:3.11-slim || die "no python:3.11-slim stand-in (scripts/testenv/images.sh builds it)"
recipe=$( (cat "$images/devcontainer-python.Dockerfile" "$docker_cli" "$compose"; docker image inspect --format '{{.Id}}' python:3.11-slim) |
  sha256sum | cut -c1-16)
if [ "$(docker image inspect --format '{{ index .Config.Labels "mlforge.test.recipe" }}' "$tag" 2>/dev/null)" = "$recipe" ]; then
  log "image $tag: present"
  exit 0
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$images/devcontainer-python.Dockerfile" "$ctx/Dockerfile"
cp "$docker_cli" "$ctx/docker"
cp "$compose" "$ctx/docker-compose"
log "building $tag"
logf="$CACHE_DIR/build-devcontainer-python.log"
DOCKER_BUILDKIT=0 docker build --label "mlforge.test.recipe=$recipe" -t "$tag" "$ctx" >"$logf" 2>&1 ||
  { tail -n 30 "$logf" >&2; die "building $tag failed"; }
log "built $tag"
