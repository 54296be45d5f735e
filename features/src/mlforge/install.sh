#!/bin/sh
# Dev Container Feature "mlforge": installs a pinned mlforge release into
# /usr/local/bin through install-mlforge.sh (the release installer: SHA-256
# verified, nothing installed on a mismatch), its shell completion, and a
# start-up check that warns when no Docker engine is reachable. Runs as root
# while the dev container image is built; options arrive as VERSION,
# BASEURL and COMPLETION.
set -eu

VERSION=${VERSION:-latest}
BASEURL=${BASEURL:-}
COMPLETION=${COMPLETION:-true}
here=$(cd "$(dirname "$0")" && pwd)
share=/usr/local/share/mlforge-feature

say() { printf 'mlforge feature: %s\n' "$*" >&2; }

# ensure_downloader installs curl and CA certificates when neither curl nor
# wget is present (slim images), with the distribution's package manager.
ensure_downloader() {
  if command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1; then
    return 0
  fi
  say "installing curl"
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates >/dev/null
    rm -rf /var/lib/apt/lists/*
  elif command -v apk >/dev/null 2>&1; then
    apk add --no-cache curl ca-certificates >/dev/null
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y -q curl ca-certificates
  else
    say "error: neither curl nor wget is installed and no known package manager is present"
    exit 1
  fi
}

install_completion() {
  [ "$COMPLETION" = true ] || return 0
  mkdir -p /etc/bash_completion.d /usr/local/share/zsh/site-functions /usr/share/fish/vendor_completions.d
  mlforge completion bash >/etc/bash_completion.d/mlforge
  mlforge completion zsh >/usr/local/share/zsh/site-functions/_mlforge
  mlforge completion fish >/usr/share/fish/vendor_completions.d/mlforge.fish
  say "installed bash, zsh and fish completion"
}

install_docker_check() {
  mkdir -p "$share"
  cp "$here/check-docker.sh" "$share/check-docker.sh"
  chmod 755 "$share/check-docker.sh"
}

main() {
  case $BASEURL in
    ./*) BASEURL="file://$here/${BASEURL#./}" ;;
  esac
  [ -z "$BASEURL" ] || export MLFORGE_BASE_URL="$BASEURL"
  ensure_downloader
  sh "$here/install-mlforge.sh" --version "$VERSION" --dir /usr/local/bin
  install_completion
  install_docker_check
}

main "$@"
