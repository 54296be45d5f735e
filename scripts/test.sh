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

# Earlier runs on this machine leave superseded images behind (the stack
# tests rebuild on purpose): drop the untagged ones older than a day.
docker image prune -f --filter until=24h >/dev/null || true

step "gofmt and go vet"
unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...

step "go test"
log=$(mktemp)
events=$(mktemp)
status=0
go test -count=1 -timeout 70m -json ./... >"$events" 2>&1 || status=$?
failures=$(python3 scripts/gotest-report.py "$events" "$log")
grep -E '^(ok|FAIL|panic:)|--- (FAIL|SKIP)|^\s+[a-zA-Z0-9_]+\.go:[0-9]+:' "$log" || true
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
if [ "$status" -ne 0 ]; then
  echo "--- go test failed (exit $status); last lines of the log:" >&2
  tail -n 80 "$log" >&2
  echo "$failures" >&2
fi
echo "gotest: ${passed} passed, ${failed} failed, ${skipped} skipped"
rm -f "$log" "$events"
[ "$status" -eq 0 ] || exit "$status"

# Every check under scripts/ci; pytest's own summary lines are counted too.
for check in scripts/ci/*.sh; do
  [ -e "$check" ] || continue
  step "$check"
  out=$(mktemp)
  bash "$check" 2>&1 | tee "$out"
  read -r p f <<<"$(python3 - "$out" <<'PY'
import re, sys
p = f = 0
for line in open(sys.argv[1], errors="replace"):
    if re.match(r"^=+ .* in [0-9.]+s", line):
        p += sum(int(n) for n in re.findall(r"(\d+) passed", line))
        f += sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", line))
print(p, f)
PY
)"
  rm -f "$out"
  passed=$((passed + p)); failed=$((failed + f))
done
echo
echo "all checks passed"
echo "summary: ${passed} passed, ${failed} failed, ${skipped} skipped"
