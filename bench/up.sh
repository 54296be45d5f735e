#!/usr/bin/env bash
# mlforge up on local Docker, to the first successful prediction:
#   cold   images built from scratch (the project's images removed first)
#   warm   build cache hot, containers and volumes absent (trains again)
#   no-op  everything already up
# and the same warm start done by hand with docker compose (up --wait,
# run train, wait for the model). Targets: warm within 10% of bare
# compose, no-op under 3 s. Grafana is skipped where it cannot be pulled.
# Usage: bench/up.sh [--no-cold]
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
mlforge=$(build_mlforge)
cold=1; [ "${1:-}" = "--no-cold" ] && cold=0

name="mlforge-bench-up"
dir="$work/$name"
"$mlforge" new "$dir" --set project_name=$name >/dev/null
cd "$dir" || exit 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/port: 9696/port: $port/" mlforge.yaml
skip=(); docker image inspect grafana/grafana:11.3.0 >/dev/null 2>&1 || skip=(--skip grafana)
services=(mlflow serve prometheus pushgateway)
trap '"$mlforge" down --volumes --yes >/dev/null 2>&1; rm -rf "$work"' EXIT

now() { date +%s.%N; }
predict() {
  until curl -fsS -X POST "http://127.0.0.1:$port/predict" -H 'content-type: application/json' \
    -d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}' >/dev/null 2>&1; do sleep 0.2; done
}
elapsed() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
run_up() { local t0; t0=$(now); "$mlforge" up "${skip[@]}" >/dev/null 2>&1; predict; elapsed "$t0" "$(now)"; }

if [ "$cold" = 1 ]; then
  for img in mlflow serve jobs; do
    docker images --format '{{.Repository}}:{{.Tag}}' "$name-$img" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  done
  echo "cold up (images built) to first prediction: $(run_up) s"
else
  "$mlforge" up "${skip[@]}" >/dev/null 2>&1
fi
"$mlforge" down --volumes --yes >/dev/null 2>&1
echo "warm up (cache hot, no containers) to first prediction: $(run_up) s"
t0=$(now); "$mlforge" up "${skip[@]}" >/dev/null 2>&1; echo "no-op up: $(elapsed "$t0" "$(now)") s (target < 3 s)"
"$mlforge" down --volumes --yes >/dev/null 2>&1

export SERVE_PORT=$port
t0=$(now)
docker compose up -d --wait "${services[@]}" >/dev/null 2>&1
docker compose --profile jobs run --rm train >/dev/null 2>&1
predict
echo "bare docker compose (up --wait, run train) to first prediction: $(elapsed "$t0" "$(now)") s"
docker compose --profile '*' down -v >/dev/null 2>&1
