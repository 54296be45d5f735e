#!/usr/bin/env bash
# The template's model server under a bounded wrk load on loopback, side by
# side with the course's Flask + gunicorn design (one sync worker) and with
# `mlflow models serve`, all three serving the same registered model:
#
# 1. a throwaway MLflow server (SQLite, local artifacts) from the template's
#    own MLflow lock (requirements/mlflow.txt);
# 2. the template's train job registers the model and moves @production;
# 3. the template's server (python -m taxi_duration.serve, its own uvicorn
#    settings, SERVE_WORKERS 1 and $WORKERS) loads models:/taxi-duration@production
#    from that registry; the course's server gets the same fitted
#    DictVectorizer and LinearRegression as its (dv, model) pickle;
#    `mlflow models serve -m models:/taxi-duration@production --env-manager local`
#    serves the same version from the MLflow venv;
# 4. wrk at each of CONCURRENCY connections against each server in turn.
#
#   bench/serve-load.sh                         # 10 s per run, 1 8 16 64 connections
#   DURATION=30s CONCURRENCY="8 64" bench/serve-load.sh
#   BEFORE=main bench/serve-load.sh             # also the template's server as of that git ref
#
# Request formats: the template and the course take the ride itself,
# {"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40};
# mlflow models serve takes {"dataframe_records": [ride, ...]}.
# Prints requests/s and p50/p99 latency per server and concurrency, then the
# template's ratios to the other two.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
. scripts/testenv/lib.sh
command -v curl >/dev/null || die "curl is not installed"
command -v wrk >/dev/null || die "wrk is not installed (scripts/testenv/packages.sh installs it)"
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-1 8 16 64}
WORKERS=${WORKERS:-2}
tpl="$repo/templates/taxi-duration"
base="$repo/bench/serve-baseline"

# venv NAME REQUIREMENTS...: a virtualenv cached per lock content.
venv() {
  local name=$1 key dir
  shift
  key=$( (python3.11 --version; cat "$@") | sha256sum | cut -c1-16)
  dir="$CACHE_DIR/venvs/$name-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "creating $dir"
    rm -rf "$dir"
    python3.11 -m venv "$dir"
    local args=()
    for r in "$@"; do args+=(-r "$r"); done
    "$dir/bin/pip" install --quiet --no-cache-dir "${args[@]}" >&2
    touch "$dir/.complete"
  fi
  echo "$dir"
}
venv=$(venv bench-serve "$tpl/requirements/dev.txt" "$base/requirements.txt")
mlvenv=$(venv bench-mlflow "$tpl/requirements/mlflow.txt")

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM
export PYTHONPATH="$tpl/src:$base" PYTHONDONTWRITEBYTECODE=1 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=1 \
  MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for URL BODY: until a POST of BODY answers 200.
wait_for() {
  for _ in $(seq 1 900); do
    curl -fs -o /dev/null -X POST -H 'content-type: application/json' -d "$2" "$1" && return 0
    sleep 0.2
  done
  die "$1 did not answer"
}

ride='{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}'
records="{\"dataframe_records\": [$ride]}"

mlport=$(free_port)
"$mlvenv/bin/mlflow" server --host 127.0.0.1 --port "$mlport" --workers 1 \
  --backend-store-uri "sqlite:///$tmp/mlflow.db" --artifacts-destination "$tmp/artifacts" --serve-artifacts \
  >"$tmp/mlflow-server.log" 2>&1 &
pids+=($!)
export MLFLOW_TRACKING_URI="http://127.0.0.1:$mlport"
for _ in $(seq 1 900); do curl -fs -o /dev/null "$MLFLOW_TRACKING_URI/health" && break; sleep 0.2; done
curl -fs -o /dev/null "$MLFLOW_TRACKING_URI/health" || die "the MLflow server did not start: $(tail -5 "$tmp/mlflow-server.log")"
(cd "$tpl" && "$venv/bin/python" -m taxi_duration.train) >"$tmp/train.log" 2>&1 || die "train failed: $(tail -5 "$tmp/train.log")"
"$venv/bin/python" "$base/train.py" "models:/taxi-duration@production" "$tmp" >&2

names=() urls=() bodies=()
start() { # start NAME URL BODY CMD...
  local name=$1 url=$2 body=$3
  shift 3
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name") urls+=("$url") bodies+=("$body")
  wait_for "$url" "$body"
}

port=$(free_port)
start course "http://127.0.0.1:$port/predict" "$ride" \
  env BENCH_BASELINE_MODEL="$tmp/lin_reg.bin" "$venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers 1 \
  --chdir "$base" predict:app
for w in 1 "$WORKERS"; do
  port=$(free_port)
  start "template-$w" "http://127.0.0.1:$port/predict" "$ride" \
    env HOST=127.0.0.1 PORT="$port" SERVE_WORKERS="$w" PREDICTIONS_DIR="$tmp/predictions-$w" \
    "$venv/bin/python" -m taxi_duration.serve
done
if [ -n "${BEFORE:-}" ]; then
  mkdir -p "$tmp/before"
  git archive "$BEFORE" templates/taxi-duration/src | tar -x -C "$tmp/before"
  port=$(free_port)
  # its own entry point's settings, as uvicorn flags (it bound 0.0.0.0 only)
  start before-1 "http://127.0.0.1:$port/predict" "$ride" \
    env PYTHONPATH="$tmp/before/templates/taxi-duration/src:$base" PREDICTIONS_DIR="$tmp/predictions-before" \
    "$venv/bin/uvicorn" --factory taxi_duration.serve:app_from_env --host 127.0.0.1 --port "$port" --workers 1 \
    --no-access-log
fi
port=$(free_port)
start mlflow "http://127.0.0.1:$port/invocations" "$records" \
  env PATH="$mlvenv/bin:$PATH" mlflow models serve -m "models:/taxi-duration@production" --env-manager local \
  --host 127.0.0.1 --port "$port"
grep -h "fast path\|general path" "$tmp"/template-*.log | sed 's/^[^ ]* [^ ]* //' | sort -u >&2

lua() { # lua BODY: a wrk script posting BODY
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
    "$("$venv/bin/python" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1")"
}

echo "wrk: $DURATION per run, POST the course's ride; $(nproc) cores, $(python3.11 --version 2>&1)"
echo "servers: course = flask + gunicorn, 1 sync worker; template-N = starlette + uvicorn, N worker(s);"
echo "         mlflow = mlflow models serve (MLflow $("$mlvenv/bin/python" -c 'import mlflow; print(mlflow.__version__)'), {\"dataframe_records\": [ride]})"
printf '%6s %-12s %10s %10s %10s  %s\n' conns server "req/s" p50 p99 errors
for c in $CONCURRENCY; do
  for i in "${!names[@]}"; do
    lua "${bodies[$i]}" >"$tmp/post-$i.lua"
    t=2
    [ "$c" -lt 2 ] && t=1
    wrk -t1 -c"$c" -d2s -s "$tmp/post-$i.lua" "${urls[$i]}" >/dev/null
    out=$(timeout 120 wrk -t"$t" -c"$c" -d"$DURATION" --latency -s "$tmp/post-$i.lua" "${urls[$i]}")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    printf '%6s %-12s %10s %10s %10s  %s\n' "$c" "${names[$i]}" "$rps" "$p50" "$p99" "$errors"
    echo "$c ${names[$i]} $rps $p99" >>"$tmp/results"
  done
done

echo
"$venv/bin/python" - "$tmp/results" <<'PY'
import sys
from collections import defaultdict


def ms(v):
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)


runs = defaultdict(dict)
for line in open(sys.argv[1]):
    c, name, rps, p99 = line.split()
    runs[int(c)][name] = (float(rps), ms(p99))
for c, servers in sorted(runs.items()):
    for name, (rps, p99) in sorted(servers.items()):
        if name in ("course", "mlflow"):
            continue
        for other in ("course", "mlflow"):
            o_rps, o_p99 = servers[other]
            ok = "ok" if rps >= 2 * o_rps and p99 <= o_p99 else "MISSED"
            print(
                f"{c:3d} conns {name}: {rps / o_rps:5.2f}x {other}'s throughput, "
                f"p99 {p99:7.2f} ms vs {o_p99:7.2f} ms ({p99 - o_p99:+.2f}) {ok}"
            )
PY
