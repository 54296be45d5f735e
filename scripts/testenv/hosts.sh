#!/usr/bin/env bash
# Builds what the bootstrap and SSH tests need: a Debian 13 (trixie) base
# image made with debootstrap (tarball cached), sshd "host" images for
# trixie (bookworm's comes from images.sh), and an image with cloud-init
# for schema checks. Idempotent; images are rebuilt only when missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

BASE=local/debian:trixie
tarball="$CACHE_DIR/debian-trixie-minbase.tar"

have() { docker image inspect "$1" >/dev/null 2>&1; }

mkdir -p "$CACHE_DIR"
if ! have "$BASE"; then
  if [ ! -s "$tarball" ]; then
    log "debootstrap trixie (a few minutes, once)"
    root=$(mktemp -d "$CACHE_DIR/rootfs-trixie.XXXXXX")
    as_root debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian >"$CACHE_DIR/debootstrap-trixie.log" 2>&1 ||
      { tail -n 20 "$CACHE_DIR/debootstrap-trixie.log" >&2; as_root rm -rf "$root"; die "debootstrap trixie failed"; }
    as_root rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
    as_root tar -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    as_root rm -rf "$root"
  fi
  docker import "$tarball" "$BASE" >/dev/null
  log "imported $BASE"
fi

# build TAG DOCKERFILE
build() {
  local tag=$1 file=$2 ctx logf
  if have "$tag"; then log "image $tag: present"; return; fi
  ctx=$(mktemp -d)
  cp "$here/images/$file" "$ctx/Dockerfile"
  log "building $tag"
  logf="$CACHE_DIR/build-$(printf '%s' "$tag" | tr '/:' '__').log"
  DOCKER_BUILDKIT=0 docker build -t "$tag" "$ctx" >"$logf" 2>&1 ||
    { tail -n 30 "$logf" >&2; rm -rf "$ctx"; die "building $tag failed"; }
  rm -rf "$ctx"
}

have mlforge-test/sshd-host:bookworm || die "mlforge-test/sshd-host:bookworm is missing: run images.sh first"
build mlforge-test/sshd-host:trixie sshd-host-trixie.Dockerfile
build mlforge-test/cloud-init:trixie cloud-init.Dockerfile
