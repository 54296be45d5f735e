#!/usr/bin/env bash
# Proves the taxi-duration template's alerting set-up: scaffolds the project
# and runs its scripts/check-alerts.sh with the stack's Prometheus and
# Alertmanager images (stand-ins where no registry is reachable): promtool
# checks prometheus.yml and runs the alert rules' unit tests, amtool checks
# alertmanager.yml and tests the routes (drift to the retrain flow and to
# people, the other alerts to people).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/testenv/lib.sh
. scripts/testenv/lib.sh
for image in prom/prometheus:v2.55.1 prom/alertmanager:v0.28.1; do
  have "$image" || die "image $image is missing: run scripts/testenv/images.sh"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/mlforge" ./cmd/mlforge
"$tmp/mlforge" new "$tmp/taxi" --template taxi-duration --set project_name=taxi-alerts --no-git >/dev/null
"$tmp/taxi/scripts/check-alerts.sh"
echo "template-alerts: all checks passed"
