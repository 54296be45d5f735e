#!/usr/bin/env bash
# Measures the aws target's provisioning engine and prints:
#   - `mlforge preview --offline` (the whole AWS program under Pulumi mocks,
#     no credentials, no network), whole command, and its resource count;
#   - preview, up and destroy of a provider-free program (2 hosts, 4
#     components, outputs and a secret) through the real pulumi engine with
#     the file backend (go test -bench in provision).
# Usage: bench/provision.sh [runs]   (default 10; needs the pulumi CLI from
# scripts/testenv/pulumi.sh)
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
RUNS=${1:-10}
need hyperfine
bin=$(build_mlforge)

proj="$work/proj"
mkdir -p "$proj"
cat >"$proj/mlforge.yaml" <<'YAML'
project: taxi
target: aws
aws:
  region: eu-west-1
  instanceType: g5.xlarge
YAML
cat >"$proj/docker-compose.yml" <<'YAML'
services:
  mlflow: {image: "ghcr.io/mlflow/mlflow:v2.17.0"}
  serve: {build: ./serve, image: "taxi/serve:latest"}
  jobs: {build: ./jobs}
YAML
export MLFORGE_HOME="$work/home"

cd "$proj" || exit 1
count=$("$bin" preview --offline --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$work/offline.json" "$bin preview --offline --json" >/dev/null
echo "offline preview (mlforge preview --offline --json): $(mean_ms "$work/offline.json") ms mean over $RUNS runs, $count resources"

cd "$repo" || exit 1
PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true go test -run '^$' -bench UpDestroy -benchtime "${RUNS}x" ./provision |
  awk '/^BenchmarkUpDestroy/ {
    for (i = 1; i <= NF; i++) {
      if ($(i) == "preview-s/op") p = $(i-1)
      if ($(i) == "up-s/op") u = $(i-1)
      if ($(i) == "destroy-s/op") d = $(i-1)
    }
    printf "real engine, provider-free program (file backend): preview %.2f s, up %.2f s, destroy %.2f s (mean of %s)\n", p, u, d, $2
  }'
