#!/bin/sh
# Writes .env with a fresh Grafana admin password when it is missing (a new
# clone: .env is never committed). Never overwrites an existing .env.
set -eu
cd "$(dirname "$0")/.."
if [ -f .env ]; then
  echo ".env exists: keeping it"
  exit 0
fi
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
umask 077
sed "s/^GRAFANA_ADMIN_PASSWORD=.*/GRAFANA_ADMIN_PASSWORD=$password/" .env.example > .env.tmp
mv .env.tmp .env
echo "wrote .env (mode 0600) with a generated Grafana admin password"
