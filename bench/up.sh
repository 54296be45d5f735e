#!/usr/bin/env bash
# mlforge up on local Docker, to the first successful prediction:
#   cold   the project's images removed and Docker's build cache pruned
#          (so every layer is built and every package downloaded again)
#   warm   build cache hot, containers and volumes absent (trains again)
#   no-op  everything already up
# and the warm start done by hand with docker compose in the same run:
# up --wait of the same services, run train, wait for the model.
# Targets (the numbers before this work in brackets): cold <= 60 s (91.8),
# warm no slower than 19 s (the four services of the time: mlflow, serve,
# prometheus, pushgateway; measured again with the loop's services skipped)
# nor than bare compose starting the same services, no-op <= 1 s.
# --no-cold skips the cold start (it prunes Docker's whole build cache).
# Grafana is skipped where it cannot be pulled.
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
# what up starts: the services of the default profile, less the skipped
mapfile -t services < <(docker compose config --services | grep -vxF -e "${skip[1]:-}")
trap '"$mlforge" down --volumes --yes >/dev/null 2>&1; rm -rf "$work"' EXIT

now() { date +%s.%N; }
predict() {
  until curl -fsS -X POST "http://127.0.0.1:$port/predict" -H 'content-type: application/json' \
    -d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}' >/dev/null 2>&1; do sleep 0.2; done
}
elapsed() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
run_up() { local t0; t0=$(now); "$mlforge" up "${skip[@]}" "$@" >/dev/null 2>&1; predict; elapsed "$t0" "$(now)"; }

if [ "$cold" = 1 ]; then
  for img in mlflow serve jobs; do
    docker images --format '{{.Repository}}:{{.Tag}}' "$name-$img" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  done
  docker builder prune --all --force >/dev/null 2>&1
  echo "cold up (build cache pruned) to first prediction: $(run_up) s   (target <= 60 s; before: 91.8 s)"
else
  "$mlforge" up "${skip[@]}" >/dev/null 2>&1
fi
"$mlforge" down --volumes --yes >/dev/null 2>&1
echo "warm up (cache hot, no containers) to first prediction: $(run_up) s   (${#services[@]} services)"
t0=$(now); "$mlforge" up "${skip[@]}" >/dev/null 2>&1
echo "no-op up: $(elapsed "$t0" "$(now)") s   (target <= 1 s)"
"$mlforge" down --volumes --yes >/dev/null 2>&1
loop=(--skip prefect --skip worker --skip alertmanager --skip alert-bridge)
echo "warm up, the baseline's four services (the loop's skipped): $(run_up "${loop[@]}") s   (target: no slower than 19 s)"
"$mlforge" down --volumes --yes >/dev/null 2>&1

export SERVE_PORT=$port
t0=$(now)
docker compose up -d --wait "${services[@]}" >/dev/null 2>&1
docker compose --profile jobs run --rm train >/dev/null 2>&1
predict
echo "bare docker compose, the same ${#services[@]} services (up --wait, run train) to first prediction: $(elapsed "$t0" "$(now)") s   (before: 19 s for mlflow, serve, prometheus, pushgateway)"
docker compose --profile '*' down -v >/dev/null 2>&1
