#!/usr/bin/env bash
# The template's model server under a bounded wrk load on loopback, side by
# side with the course's Flask + gunicorn design (one sync worker) serving
# the same model. Both run as local processes in the same Python 3.11
# virtualenv (the template's pinned dev lock plus flask and gunicorn).
#
#   bench/serve-load.sh                 # 15 s per server, 16 connections
#   DURATION=30s CONNECTIONS=32 bench/serve-load.sh
#
# Prints requests/s and p50/p99 latency per server, then the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
. scripts/testenv/lib.sh
command -v curl >/dev/null || die "curl is not installed"
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
tpl="$repo/templates/taxi-duration"
base="$repo/bench/serve-baseline"
command -v wrk >/dev/null || die "wrk is not installed (scripts/testenv/packages.sh installs it)"

key=$( (python3.11 --version; cat "$tpl/requirements/dev.txt" "$base/requirements.txt") | sha256sum | cut -c1-16)
venv="$CACHE_DIR/venvs/bench-serve-$key"
if [ ! -f "$venv/.complete" ]; then
  log "creating $venv"
  rm -rf "$venv"
  python3.11 -m venv "$venv"
  "$venv/bin/pip" install --quiet --no-cache-dir -r "$tpl/requirements/dev.txt" -r "$base/requirements.txt"
  touch "$venv/.complete"
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
export PYTHONPATH="$tpl/src:$base" PYTHONDONTWRITEBYTECODE=1
"$venv/bin/python" "$base/train.py" "$tpl/data/sample/green_tripdata_2024-01.parquet" "$tmp" >&2

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_up() {
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null -X POST -H 'content-type: application/json' \
      -d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}' "http://127.0.0.1:$1/predict" && return 0
    sleep 0.2
  done
  die "server on port $1 did not answer"
}

# load NAME PORT: warm up, run wrk, print one result line.
load() {
  local name=$1 port=$2 out
  wrk -t1 -c4 -d2s -s "$base/post.lua" "http://127.0.0.1:$port/predict" >/dev/null
  out=$(timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$base/post.lua" "http://127.0.0.1:$port/predict")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  printf '%-44s %10s %10s %10s  %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
  echo "$rps" >"$tmp/rps-$3"
  echo "$p99" >"$tmp/p99-$3"
}

stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per server, POST /predict (the course's ride)"
echo "machine: $(nproc) cores, $(python3.11 --version 2>&1)"
printf '%-44s %10s %10s %10s\n' server "req/s" p50 p99

port=$(free_port)
BENCH_BASELINE_MODEL="$tmp/lin_reg.bin" "$venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers 1 \
  --chdir "$base" predict:app >"$tmp/gunicorn.log" 2>&1 &
pids+=($!); wait_up "$port"
load "course: flask + gunicorn, 1 sync worker" "$port" baseline
stop "${pids[-1]}"

for w in 1 "$WORKERS"; do
  port=$(free_port)
  mp="$tmp/prom-$w"; mkdir -p "$mp"
  env_mp=()
  [ "$w" -gt 1 ] && env_mp=(PROMETHEUS_MULTIPROC_DIR="$mp")
  env "${env_mp[@]}" BENCH_MODEL="$tmp/pipeline.pkl" BENCH_PREDICTIONS="$tmp/predictions-$w" \
    "$venv/bin/uvicorn" --factory ours:app --host 127.0.0.1 --port "$port" --workers "$w" \
    --no-access-log --log-level warning >"$tmp/uvicorn-$w.log" 2>&1 &
  pids+=($!); wait_up "$port"
  load "template: starlette + uvicorn, $w worker(s)" "$port" "ours-$w"
  stop "${pids[-1]}"
done

echo
"$venv/bin/python" - "$tmp" "$WORKERS" <<'PY'
import sys
tmp, w = sys.argv[1], sys.argv[2]
def num(name):
    return open(f"{tmp}/{name}").read().strip()
def ms(v):
    v = v.strip()
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
base_rps, base_p99 = float(num("rps-baseline")), ms(num("p99-baseline"))
for key in ("1", w):
    rps, p99 = float(num(f"rps-ours-{key}")), ms(num(f"p99-ours-{key}"))
    print(f"template with {key} worker(s): {rps / base_rps:.2f}x the course's throughput, p99 {p99:.2f} ms vs {base_p99:.2f} ms")
PY
