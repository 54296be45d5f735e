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

have() { docker image inspect "$1" >/dev/null 2>&1; }

# debian_base SUITE: a minbase Debian image local/debian:SUITE made with
# debootstrap; the root file system tarball is cached.
debian_base() {
  local suite=$1 image="local/debian:$1" tarball="$CACHE_DIR/debian-$1-minbase.tar" root
  have "$image" && return 0
  mkdir -p "$CACHE_DIR"
  if [ ! -s "$tarball" ]; then
    log "debootstrap $suite (a few minutes, once)"
    root=$(mktemp -d "$CACHE_DIR/rootfs-$suite.XXXXXX")
    as_root debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian >"$CACHE_DIR/debootstrap-$suite.log" 2>&1 ||
      { tail -n 20 "$CACHE_DIR/debootstrap-$suite.log" >&2; as_root rm -rf "$root"; die "debootstrap $suite failed"; }
    as_root rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
    as_root tar -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    as_root rm -rf "$root"
  fi
  docker import "$tarball" "$image" >/dev/null
  log "imported $image"
}

# build_image TAG DOCKERFILE [FILE...]: builds images/DOCKERFILE as TAG when
# missing or built from another version of its files, with the machine's CA
# bundle in the context (the egress proxy of some build machines signs TLS
# with its own CA) and the FILEs (paths under images/).
build_image() {
  local tag=$1 file=$2 ctx logf images f recipe
  shift 2
  images="$(dirname "${BASH_SOURCE[0]}")/images"
  recipe=$( (cd "$images" && cat "$file" "$@") | sha256sum | cut -c1-16)
  if [ "$(docker image inspect --format '{{ index .Config.Labels "mlforge.test.recipe" }}' "$tag" 2>/dev/null)" = "$recipe" ]; then
    log "image $tag: present"
    return 0
  fi
  have "$tag" && log "image $tag: its files changed"
  ctx=$(mktemp -d)
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  cp "$images/$file" "$ctx/Dockerfile"
  for f in "$@"; do cp "$images/$f" "$ctx/"; done
  log "building $tag"
  logf="$CACHE_DIR/build-$(printf '%s' "$tag" | tr '/:' '__').log"
  DOCKER_BUILDKIT=0 docker build --label "mlforge.test.recipe=$recipe" -t "$tag" "$ctx" >"$logf" 2>&1 ||
    { tail -n 30 "$logf" >&2; rm -rf "$ctx"; die "building $tag failed"; }
  rm -rf "$ctx"
}
