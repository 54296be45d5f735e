#!/bin/sh
# Writes .env with a fresh Grafana admin password when it is missing (a new
# clone: .env is never committed). Never overwrites an existing .env.
set -eu
cd "$(dirname "$0")/.."
if [ -f .env ]; then
  echo ".env exists: keeping it"
  exit 0
fi
# A password given in the environment (e.g. a CI secret) wins over a new one.
password=${GRAFANA_ADMIN_PASSWORD:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
umask 077
{ grep -v '^GRAFANA_ADMIN_PASSWORD=' .env.example; printf 'GRAFANA_ADMIN_PASSWORD=%s\n' "$password"; } > .env.tmp
mv .env.tmp .env
echo "wrote .env (mode 0600) with a generated Grafana admin password"
