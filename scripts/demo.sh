#!/usr/bin/env bash
# From nothing to a running train -> deploy -> monitor stack on local
# Docker: installs the Docker engine and Compose v2 when missing, builds
# mlforge, scaffolds the default template (taxi-duration) into DIR
# (default ./mlforge-demo), runs `mlforge up`, asks the model for a
# prediction, replays a month of rides as traffic, runs the drift monitor
# and prints `mlforge status`.
# Where no container registry is reachable, the base images are built
# locally first (Grafana, which has no such stand-in, is then skipped).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-mlforge-demo}")

"$repo/scripts/testenv/packages.sh"
"$repo/scripts/testenv/dockerd.sh"
"$repo/scripts/testenv/compose.sh"

have() { docker image inspect "$1" >/dev/null 2>&1; }
if ! have python:3.11-slim && ! docker pull -q python:3.11-slim >/dev/null 2>&1; then
  echo "no registry reachable: building local base images" >&2
  "$repo/scripts/testenv/images.sh"
fi
skip=()
if ! have grafana/grafana:11.3.0 && ! docker pull -q grafana/grafana:11.3.0 >/dev/null 2>&1; then
  echo "grafana/grafana:11.3.0 cannot be pulled here: running the stack without Grafana" >&2
  skip=(--skip grafana)
fi

mkdir -p "$repo/bin"
(cd "$repo" && go build -o bin/mlforge ./cmd/mlforge)
mlforge="$repo/bin/mlforge"

if [ ! -f "$dir/mlforge.yaml" ]; then
  "$mlforge" new "$dir"
fi
cd "$dir"
"$mlforge" up "${skip[@]}"

port=$(awk '/^  serve:/{s=1} s&&/port:/{print $2; exit}' mlforge.yaml)
echo
echo "POST /predict with the course's ride:"
curl -fsS -X POST "http://127.0.0.1:${port}/predict" -H 'content-type: application/json' \
  -d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}'
echo
"$mlforge" run replay
sleep 1 # the server writes its prediction log every half second
"$mlforge" run monitor
"$mlforge" status
echo
echo "The stack keeps running; stop it with: (cd $dir && $mlforge down)"
