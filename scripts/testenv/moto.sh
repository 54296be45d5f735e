#!/usr/bin/env bash
# Installs moto's server (a local stand-in for the AWS APIs) in a venv under
# the test cache; tests start it on a 127.0.0.1 port. Idempotent.
set -euo pipefail
# shellcheck source=scripts/testenv/lib.sh
. "$(dirname "$0")/lib.sh"

MOTO_VERSION=${MOTO_VERSION:-5.1.22}
venv="$CACHE_DIR/moto"
stamp="$venv/.installed-$MOTO_VERSION"
if [ -f "$stamp" ] && [ -x "$venv/bin/moto_server" ]; then
  log "moto $MOTO_VERSION: already installed"
  exit 0
fi
log "installing moto[server]==$MOTO_VERSION into $venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
touch "$stamp"
log "moto: $("$venv/bin/moto_server" --help >/dev/null 2>&1 && echo ok)"
