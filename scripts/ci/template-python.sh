#!/usr/bin/env bash
# Proves the taxi-duration template's generated project on this machine:
# scaffold it with the built mlforge, install its pinned dev dependencies
# from PyPI (a virtualenv cached per lock file), run its ruff and pytest,
# and its flow tests against a throwaway Prefect server (pytest -m
# orchestrator), lint its workflows with actionlint, check its compose file
# with compose v2 and the Grafana provisioning files statically (Grafana
# has no image here). The alerting configuration is template-alerts.sh's;
# the stack itself runs in internal/stacktest's Go tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
scripts/testenv/template-deps.sh
. scripts/testenv/lib.sh
export PATH="$CACHE_DIR/bin:$PATH"

step() { printf '\n--> %s\n' "$*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "scaffolding the project"
go build -o "$tmp/mlforge" ./cmd/mlforge
proj="$tmp/taxi"
"$tmp/mlforge" new "$proj" --template taxi-duration --set project_name=taxi-ci
"$tmp/mlforge" config validate -f "$proj/mlforge.yaml"
cd "$proj"
[ "$(stat -c %a .env)" = 600 ] || die ".env is not mode 0600"
[ -z "$(git status --porcelain)" ] || die "the fresh project is not clean (is .env git-ignored?): $(git status --porcelain)"

step "installing the pinned dev dependencies (requirements/dev.txt)"
key=$( (python3.11 --version; cat requirements/dev.txt) | sha256sum | cut -c1-16)
venv="$CACHE_DIR/venvs/taxi-dev-$key"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  python3.11 -m venv "$venv"
  "$venv/bin/pip" install --quiet --no-cache-dir -r requirements/dev.txt
  touch "$venv/.complete"
else
  log "virtualenv cached: $venv"
fi
py="$venv/bin"

step "ruff"
"$py/ruff" check .
"$py/ruff" format --check .

step "pytest (unit tests)"
"$py/pytest" -p no:cacheprovider

step "pytest -m orchestrator (flows, worker and alert bridge against a throwaway Prefect server)"
"$py/pytest" -p no:cacheprovider -m orchestrator

step "actionlint"
actionlint -color=false .github/workflows/*.yml
shellcheck scripts/*.sh

step "docker compose config"
docker compose --profile jobs config --quiet
COMPOSE_PROFILES=postgres docker compose config --quiet
( mv .env "$tmp/env"; trap 'mv "$tmp/env" .env' EXIT
  if docker compose config --quiet 2>"$tmp/err"; then die "compose must refuse to run without the generated passwords"; fi
  grep -qE '(GRAFANA_ADMIN|POSTGRES)_PASSWORD' "$tmp/err" || die "compose's error does not name the missing password: $(cat "$tmp/err")" )

step "grafana provisioning (static)"
"$py/python" "$repo/scripts/ci/grafana_check.py" monitoring/grafana --metrics src

echo
echo "template-python: all checks passed"
