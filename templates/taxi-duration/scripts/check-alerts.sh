#!/bin/sh
# Checks the alerting set-up with the stack's own images (make check-alerts):
# promtool checks prometheus.yml and runs the alert rules' unit tests
# (monitoring/prometheus/tests/); amtool checks alertmanager.yml and that
# each alert in monitoring/alertmanager/routes_test.txt reaches the
# receivers listed there.
set -eu
cd "$(dirname "$0")/.."
prometheus=${PROMETHEUS_IMAGE:-prom/prometheus:v2.55.1}
alertmanager=${ALERTMANAGER_IMAGE:-prom/alertmanager:v0.28.1}

promtool() {
  docker run --rm --entrypoint promtool -v "$PWD/monitoring/prometheus:/etc/prometheus:ro" \
    -w /etc/prometheus "$prometheus" "$@"
}
amtool() {
  docker run --rm --entrypoint amtool -v "$PWD/monitoring/alertmanager:/etc/alertmanager:ro" \
    "$alertmanager" "$@"
}

promtool check config /etc/prometheus/prometheus.yml
for t in monitoring/prometheus/tests/*_test.yml; do
  promtool test rules "tests/$(basename "$t")"
done
amtool check-config /etc/alertmanager/alertmanager.yml

tests=0
failed=0
while read -r receivers labels; do
  case "$receivers" in '' | '#'*) continue ;; esac
  tests=$((tests + 1))
  # shellcheck disable=SC2086 # the labels are separate arguments
  if ! amtool config routes test --config.file=/etc/alertmanager/alertmanager.yml \
    --verify.receivers="$receivers" $labels >/dev/null 2>&1; then
    echo "route test failed: $labels should reach $receivers, reaches: $(amtool config routes test \
      --config.file=/etc/alertmanager/alertmanager.yml $labels 2>/dev/null)" >&2
    failed=$((failed + 1))
  fi
done <monitoring/alertmanager/routes_test.txt
if [ "$failed" -gt 0 ]; then
  echo "alert routes: $failed of $tests tests failed" >&2
  exit 1
fi
echo "alert routes: $tests tests passed"
