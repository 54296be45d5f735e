#!/usr/bin/env bash
# Installs what the template checks need besides the base test environment:
# actionlint (built once from the Go module proxy into the cache) and a
# Python 3.11 that can create virtualenvs. Idempotent.
set -euo pipefail
# shellcheck source=scripts/testenv/lib.sh
. "$(dirname "$0")/lib.sh"

ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-v1.7.12}
bin="$CACHE_DIR/bin"
mkdir -p "$bin"

if [ -x "$bin/actionlint" ] && "$bin/actionlint" -version 2>/dev/null | grep -q "${ACTIONLINT_VERSION#v}"; then
  log "actionlint $ACTIONLINT_VERSION: present"
else
  log "building actionlint $ACTIONLINT_VERSION"
  scratch="$CACHE_DIR/src/actionlint"
  scratch_module "$scratch"
  (
    cd "$scratch"
    go get "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >/dev/null 2>&1
    go build -ldflags "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
      -o "$bin/actionlint.tmp" github.com/rhysd/actionlint/cmd/actionlint
  ) || die "building actionlint failed"
  mv "$bin/actionlint.tmp" "$bin/actionlint"
fi

if ! python3.11 -m venv --help >/dev/null 2>&1 || ! python3.11 -c 'import ensurepip' 2>/dev/null; then
  log "installing python3.11 with venv"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv >/dev/null
fi
log "python3.11: $(python3.11 --version 2>&1)"
