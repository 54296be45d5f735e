#!/usr/bin/env bash
# Builds local stand-ins for the registry images the stack needs, since no
# container registry is reachable from CI: a Debian base made with
# debootstrap, and on it python:3.11-slim, prom/prometheus and
# prom/pushgateway with the same entrypoints and tools as the originals.
# The debootstrap tarball is cached; images are rebuilt only when missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

BASE=local/debian:bookworm
tarball="$CACHE_DIR/debian-bookworm-minbase.tar"

have() { docker image inspect "$1" >/dev/null 2>&1; }

if ! have "$BASE"; then
  if [ ! -s "$tarball" ]; then
    log "debootstrap bookworm (a few minutes, once)"
    root=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
    as_root debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$CACHE_DIR/debootstrap.log" 2>&1 ||
      { tail -n 20 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
    as_root rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
    as_root tar -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    as_root rm -rf "$root"
  fi
  docker import "$tarball" "$BASE" >/dev/null
  log "imported $BASE"
fi

# build TAG DOCKERFILE: builds a stand-in with the host's CA bundle in context
# (the egress proxy of the test machines signs TLS with its own CA).
build() {
  local tag=$1 file=$2 ctx
  if have "$tag"; then log "image $tag: present"; return; fi
  ctx=$(mktemp -d)
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  cp "$here/images/$file" "$ctx/Dockerfile"
  log "building $tag"
  local logf="$CACHE_DIR/build-$(printf '%s' "$tag" | tr '/:' '__').log"
  DOCKER_BUILDKIT=0 docker build -t "$tag" "$ctx" >"$logf" 2>&1 ||
    { tail -n 30 "$logf" >&2; die "building $tag failed"; }
  rm -rf "$ctx"
}

build python:3.11-slim python.Dockerfile
build prom/prometheus:v2.55.1 prometheus.Dockerfile
build prom/pushgateway:v1.10.0 pushgateway.Dockerfile
build mlforge-test/sshd-host:bookworm sshd-host.Dockerfile
