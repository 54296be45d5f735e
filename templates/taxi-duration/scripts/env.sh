#!/bin/sh
# Writes .env with fresh Grafana and PostgreSQL passwords when it is missing (a new
# clone: .env is never committed). Never overwrites an existing .env.
set -eu
cd "$(dirname "$0")/.."
if [ -f .env ]; then
  echo ".env exists: keeping it"
  exit 0
fi
# A password given in the environment (e.g. a CI secret) wins over a new one.
random() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
grafana=${GRAFANA_ADMIN_PASSWORD:-$(random)}
postgres=${POSTGRES_PASSWORD:-$(random)}
umask 077
{
  grep -v -e '^GRAFANA_ADMIN_PASSWORD=' -e '^POSTGRES_PASSWORD=' .env.example
  printf 'GRAFANA_ADMIN_PASSWORD=%s\nPOSTGRES_PASSWORD=%s\n' "$grafana" "$postgres"
} > .env.tmp
mv .env.tmp .env
echo "wrote .env (mode 0600) with generated Grafana and PostgreSQL passwords"
