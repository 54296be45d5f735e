#!/usr/bin/env bash
# The taxi-duration stack's closed loop, measured on local Docker:
#
# 1. Seconds from the first drifted request to the model server answering
#    with the retrained model, median of RUNS (default 3), each on a fresh
#    stack: up, train, 500 normal rides, then two drifted months land in
#    data/incoming and 500 drifted rides are replayed. The clock starts
#    when the drifted replay starts (its first request follows the replay
#    container's start) and stops at the first prediction from a new
#    model_version; each run also says when the monitor flagged the drift,
#    when Alertmanager fired, and when the retrain started and ended.
#    The monitor runs every MONITOR_INTERVAL (30s here unless set; the
#    stack's default is 1h, which would dominate); the other timings are
#    the stack's defaults unless set in the environment
#    (PREFECT_RUNNER_POLL_FREQUENCY 10 s, MODEL_POLL_SECONDS 10 s,
#    Prometheus' 15 s rule evaluation, Alertmanager's 5 s group wait).
# 2. The stack's memory with and without the orchestrator (prefect, worker,
#    alertmanager, alert-bridge), idle, and with it after a retrain: docker
#    stats, or the containers' memory cgroups (usage less inactive file
#    cache, as docker stats counts) where docker stats reports none.
#
#   bench/loop.sh             # RUNS=1 bench/loop.sh for one run
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/testenv/lib.sh
command -v curl >/dev/null || die "curl is not installed"
RUNS=${RUNS:-3}
export MONITOR_INTERVAL=${MONITOR_INTERVAL:-30s}
core=(mlflow serve prometheus pushgateway)
orchestrator=(prefect worker alertmanager alert-bridge)

tmp=$(mktemp -d)
proj="$tmp/bench-loop"
dc() { docker compose --project-directory "$proj" -p mlforge-bench-loop --profile jobs "$@"; }
cleanup() { dc down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/mlforge" ./cmd/mlforge
"$tmp/mlforge" new "$proj" --template taxi-duration --no-git --set project_name=bench-loop >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve_port=$(port) prefect_port=$(port) am_port=$(port)
{
  echo "MLFLOW_PORT=$(port)"; echo "SERVE_PORT=$serve_port"; echo "PROMETHEUS_PORT=$(port)"
  echo "PUSHGATEWAY_PORT=$(port)"; echo "GRAFANA_PORT=$(port)"; echo "PREFECT_PORT=$prefect_port"
  echo "ALERTMANAGER_PORT=$am_port"
} >>"$proj/.env"

now() { date +%s.%N; }
served_version() {
  curl -fs -X POST -H 'content-type: application/json' \
    -d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}' "http://127.0.0.1:$serve_port/predict" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["model_version"])' 2>/dev/null || true
}
quiet() { "$@" >"$tmp/cmd.log" 2>&1 || { tail -20 "$tmp/cmd.log" >&2; die "failed: $*"; }; }

# memory LABEL: the running services' memory in MiB and their total.
memory() {
  # shellcheck disable=SC2046 # one argument per container
  python3 - "$1" $(dc ps -q) <<'PY'
import json, os, subprocess, sys
label, ids = sys.argv[1], sys.argv[2:]
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1e3, "MB": 1e6, "GB": 1e9}
def from_stats(cid):
    out = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{json .}}", cid],
                         capture_output=True, text=True, check=True).stdout
    used = json.loads(out)["MemUsage"].split("/")[0].strip()
    number = used.rstrip("BKMGiBk")
    return float(number) * UNITS[used[len(number):]]
def from_cgroup(cid):
    # usage less inactive file cache, as docker stats counts it
    for d, usage, inactive in (
        (f"/sys/fs/cgroup/memory/docker/{cid}", "memory.usage_in_bytes", "total_inactive_file"),
        (f"/sys/fs/cgroup/system.slice/docker-{cid}.scope", "memory.current", "inactive_file"),
    ):
        if os.path.exists(f"{d}/{usage}"):
            stat = dict(line.split() for line in open(f"{d}/memory.stat"))
            return int(open(f"{d}/{usage}").read()) - int(stat.get(inactive, 0))
    return 0
rows, source = [], "docker stats"
for cid in ids:
    full = subprocess.run(["docker", "inspect", "-f", "{{.Id}} {{index .Config.Labels \"com.docker.compose.service\"}}", cid],
                          capture_output=True, text=True, check=True).stdout.split()
    used = from_stats(cid)
    if used == 0:
        used, source = from_cgroup(full[0]), "memory cgroups (docker stats reports 0 here)"
    rows.append((full[1], used / 1024**2))
print(f"memory {label}, from {source}:")
for name, mib in sorted(rows):
    print(f"  {name:14} {mib:8.0f} MiB")
print(f"  {'total':14} {sum(m for _, m in rows):8.0f} MiB")
PY
}

# timeline T0: seconds from T0 to the drift flagged, the alert, the retrain.
timeline() {
  python3 - "$1" "$prefect_port" "$am_port" <<'PY'
import json, sys, urllib.request
from datetime import datetime
t0, prefect, am = float(sys.argv[1]), sys.argv[2], sys.argv[3]
def runs(name):
    body = json.dumps({"deployments": {"name": {"any_": [name]}}, "sort": "ID_DESC", "limit": 200}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{prefect}/api/flow_runs/filter", data=body,
                                 headers={"content-type": "application/json"}, method="POST")
    return json.load(urllib.request.urlopen(req, timeout=10))
def at(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - t0 if stamp else None
def message(r):
    return (r.get("state") or {}).get("message") or ""
flagged = [at(r["end_time"]) for r in runs("monitor")
           if message(r).startswith("drift detected") and at(r["end_time"]) > 0]
alerts = [at(a["startsAt"]) for a in json.load(urllib.request.urlopen(f"http://127.0.0.1:{am}/api/v2/alerts", timeout=10))
          if a["labels"].get("alertname") == "TaxiDurationDataDrift"]
promoted = [r for r in runs("retrain") if message(r).startswith("promoted")]
first = min(promoted, key=lambda r: r["start_time"]) if promoted else None
fmt = lambda v: "-" if v is None else f"{v:.1f}"
print(fmt(min(flagged) if flagged else None), fmt(min(alerts) if alerts else None),
      fmt(at(first["start_time"]) if first else None), fmt(at(first["end_time"]) if first else None))
PY
}

# run N: one fresh stack, the loop timed; prints one result line.
run() {
  local n=$1 t0 before v total
  dc down -v --timeout 5 >/dev/null 2>&1 || true
  rm -f "$proj"/data/incoming/*.parquet
  if [ "$n" = 1 ]; then
    quiet dc up -d --wait --wait-timeout 300 "${core[@]}"
    sleep 20
    memory "without the orchestrator (idle)" >"$tmp/mem-core"
    quiet dc up -d --wait --wait-timeout 300 "${orchestrator[@]}"
    sleep 30
    memory "with the orchestrator (idle)" >"$tmp/mem-idle"
  else
    quiet dc up -d --wait --wait-timeout 300 "${core[@]}" "${orchestrator[@]}"
  fi
  quiet dc run --rm train
  quiet dc run --rm --no-deps replay python -m taxi_duration.replay --rows 500
  quiet dc run --rm --no-deps --user "$(id -u):$(id -g)" -v "$proj/data/incoming:/out" \
    replay python -m taxi_duration.sample --drifted --out /out 2024-03 2024-04
  before=$(served_version)
  t0=$(now)
  quiet dc run --rm --no-deps replay python -m taxi_duration.replay --rows 500 \
    --data data/incoming/green_tripdata_2024-03.parquet
  while :; do
    v=$(served_version)
    if [ -n "$v" ] && [ "$v" != "$before" ]; then break; fi
    if awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 900) }'; then die "no new model after 15 minutes"; fi
    sleep 0.5
  done
  total=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  read -r flagged alert started ended <<<"$(timeline "$t0")"
  printf '%-4s %8s %8s %9s %9s %9s %8s\n' "$n" "$flagged" "$alert" "$started" "$ended" "$total" "$before->$v"
  echo "$total" >>"$tmp/totals"
  if [ "$n" = 1 ]; then sleep 10; memory "with the orchestrator (after the retrain)" >"$tmp/mem-after"; fi
}

echo "taxi-duration closed loop: seconds from the first drifted request"
echo "machine: $(nproc) cores, docker $(docker version --format '{{.Server.Version}}'), compose $(docker compose version --short)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "MONITOR_INTERVAL=$MONITOR_INTERVAL PREFECT_RUNNER_POLL_FREQUENCY=${PREFECT_RUNNER_POLL_FREQUENCY:-10}" \
  "MODEL_POLL_SECONDS=${MODEL_POLL_SECONDS:-10} (Prometheus evaluates every 15 s, Alertmanager waits 5 s)"
quiet dc build
printf '%-4s %8s %8s %9s %9s %9s %8s\n' run flagged alert "retrain>" ">retrain" "new model" versions
for n in $(seq 1 "$RUNS"); do run "$n"; done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
sort -n "$tmp/totals" | awk '{ v[NR] = $1 } END { printf "median of %d: %.1f s from the first drifted request to the new model answering\n", NR, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
echo
cat "$tmp/mem-core" "$tmp/mem-idle" "$tmp/mem-after"
