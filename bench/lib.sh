# Shared by the benchmark scripts. Sourced.
# shellcheck shell=bash
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CACHE_DIR=${MLFORGE_TEST_CACHE:-/var/cache/mlforge-test}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build_mlforge: a release-like binary (stripped, trimmed) in $work.
build_mlforge() {
  (cd "$repo" && go build -trimpath -ldflags "-s -w" -o "$work/mlforge" ./cmd/mlforge)
  echo "$work/mlforge"
}

need() { command -v "$1" >/dev/null || { echo "bench: $1 is not installed (scripts/testenv/packages.sh installs it)" >&2; exit 1; }; }

# mean_ms FILE: the mean of a hyperfine JSON export, in milliseconds.
mean_ms() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.1f" % (x["mean"]*1000) for x in r))' "$1"; }
