#!/usr/bin/env bash
# The whole test suite, from nothing: installs and starts what the tests
# need (Docker engine, Compose v2, the pulumi CLI, stand-in images, ...;
# cached after the first run), then runs the Go tests and every check under
# scripts/ci/. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

step() { printf '\n==> %s\n' "$*"; }

step "installing test dependencies"
scripts/testenv/all.sh

step "gofmt and go vet"
unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...

step "go test"
log=$(mktemp)
status=0
go test -count=1 -timeout 70m -v ./... >"$log" 2>&1 || status=$?
grep -E '^(ok|FAIL|panic:)|--- (FAIL|SKIP)|^\s+[a-zA-Z0-9_]+_test\.go:[0-9]+:' "$log" || true
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
if [ "$status" -ne 0 ]; then
  echo "--- go test failed (exit $status); last lines of the log:" >&2
  tail -n 80 "$log" >&2
fi
echo "go test: ${passed} passed, ${failed} failed, ${skipped} skipped"
rm -f "$log"
[ "$status" -eq 0 ] || exit "$status"

for check in scripts/ci/*.sh; do
  [ -e "$check" ] || continue
  step "$check"
  bash "$check"
done
echo
echo "all checks passed"
