#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (idempotent).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(docker.io debootstrap shellcheck hyperfine wrk openssh-client git make jq iproute2 docker-registry curl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "debian packages: already installed"
  exit 0
fi
log "installing: ${missing[*]}"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
