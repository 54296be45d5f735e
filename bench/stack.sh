#!/usr/bin/env bash
# Time from `docker compose up` to the first successful prediction of the
# taxi-duration stack (mlflow, serve, prometheus, pushgateway; Grafana has
# no image on machines without a registry), in three cases:
#   cold     images built with --no-cache (pip downloads from PyPI), fresh volumes
#   warm     images cached, fresh volumes (up, train, first prediction)
#   restart  images and volumes kept (up, the server loads the registered model)
#
#   bench/stack.sh            # all three
#   COLD=0 bench/stack.sh     # skip the cold build
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/testenv/lib.sh
command -v curl >/dev/null || die "curl is not installed"
COLD=${COLD:-1}
services=(mlflow serve prometheus pushgateway)

tmp=$(mktemp -d)
proj="$tmp/bench-stack"
dc() { docker compose --project-directory "$proj" -p mlforge-bench-stack --profile jobs "$@"; }
cleanup() { dc down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/mlforge" ./cmd/mlforge
"$tmp/mlforge" new "$proj" --template taxi-duration --no-git --set project_name=bench-stack >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve_port=$(port)
{
  echo "MLFLOW_PORT=$(port)"; echo "SERVE_PORT=$serve_port"; echo "PROMETHEUS_PORT=$(port)"
  echo "PUSHGATEWAY_PORT=$(port)"; echo "GRAFANA_PORT=$(port)"
} >>"$proj/.env"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
predict() {
  curl -fs -o /dev/null -X POST -H 'content-type: application/json' \
    -d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}' "http://127.0.0.1:$serve_port/predict"
}
wait_prediction() {
  for _ in $(seq 1 600); do predict && return 0; sleep 0.1; done
  die "no successful prediction after 60 s"
}

# run NAME TRAIN: up, train when TRAIN=1, first prediction; one result line.
run() {
  local name=$1 train=$2 t0 up tr total
  t0=$(now)
  dc up -d --wait "${services[@]}" >"$tmp/up.log" 2>&1 || { tail -20 "$tmp/up.log"; die "up failed"; }
  up=$(since "$t0")
  tr=-
  if [ "$train" = 1 ]; then
    local t1; t1=$(now)
    dc run --rm train >"$tmp/train.log" 2>&1 || { tail -20 "$tmp/train.log"; die "train failed"; }
    tr=$(since "$t1")
  fi
  wait_prediction
  total=$(since "$t0")
  printf '%-9s %9s %9s %9s %9s\n' "$name" "${build:--}" "$up" "$tr" "$total"
}

echo "taxi-duration stack: seconds from docker compose up to the first successful POST /predict"
echo "machine: $(nproc) cores, docker $(docker version --format '{{.Server.Version}}'), compose $(docker compose version --short)"
printf '%-9s %9s %9s %9s %9s\n' case build up train "to first prediction"
if [ "$COLD" = 1 ]; then
  t=$(now)
  dc build --no-cache >"$tmp/build.log" 2>&1 || { tail -20 "$tmp/build.log"; die "build failed"; }
  build=$(since "$t")
  run cold 1
  dc down -v --timeout 5 >/dev/null 2>&1
fi
t=$(now)
dc build >"$tmp/build.log" 2>&1 || { tail -20 "$tmp/build.log"; die "build failed"; }
build=$(since "$t")
run warm 1
dc down --timeout 5 >/dev/null 2>&1
build=
run restart 0
echo "(build is not part of 'to first prediction'; up includes waiting for every health check)"
