#!/usr/bin/env bash
# Shipping images to a fresh SSH host (a Docker 26 test host reached
# through 127.0.0.1): bytes on the wire and seconds, every image in one
# stream (a shared layer read and sent once), gzip-compressed (what every
# engine reads), uncompressed, and zstd-compressed (what mlforge sends an
# engine that reads it), beside the issue's baseline (gzip, one image
# after another).
#
#   bench/ship.sh [IMAGE...]
#
# Without arguments it ships the taxi-duration images built here by
# `mlforge up` (PROJECT-serve, -jobs, -mlflow), or, when there are none,
# three large local images that share a base layer. MLFORGE_SHIP_WAYS
# picks ways ("gzip none zstd", the default).
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$repo" || exit 1
images=("$@")
if [ ${#images[@]} -eq 0 ]; then
  for kind in serve jobs mlflow; do
    ref=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E -- "-$kind:latest\$" | head -n 1 || true)
    [ -n "$ref" ] && images+=("$ref")
  done
fi
[ ${#images[@]} -gt 0 ] || images=(postgres:16 mlforge-test/moto:5.1.22 prom/prometheus:v2.55.1)
echo "images: ${images[*]}"
total=0
for ref in "${images[@]}"; do
  size=$(docker image inspect -f '{{.Size}}' "$ref") || { echo "bench: $ref is not on this machine" >&2; exit 1; }
  total=$((total + size))
done
awk -v t="$total" 'BEGIN { printf "their size here: %.0f MB\n", t/1e6 }'
log="$work/ship.log"
MLFORGE_SHIP_IMAGES="${images[*]}" go test -count=1 -timeout 60m -run '^$' -bench '^BenchmarkShipImages$' \
  -benchtime 1x ./internal/remote >"$log" 2>&1 || { tail -n 40 "$log" >&2; echo "bench: shipping failed" >&2; exit 1; }
printf '%-16s %12s %10s\n' way "MB on wire" seconds
printf '%-16s %12s %10s\n' "issue baseline" 1100 188
awk '/^BenchmarkShipImages\// {
  name=$1; sub(/^BenchmarkShipImages\//, "", name); sub(/-[0-9]+$/, "", name)
  for (i = 1; i <= NF; i++) { if ($i == "ns/op") ns=$(i-1); if ($i == "wire-B/op") b=$(i-1) }
  printf "%-16s %12.0f %10.1f\n", name, b/1e6, ns/1e9 }' "$log"
