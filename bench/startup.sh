#!/usr/bin/env bash
# Start-up time of the built binary: `mlforge --help` and `mlforge version`.
# Target: mlforge --help under 80 ms.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
need hyperfine
mlforge=$(build_mlforge)
echo "binary size: $(du -h "$mlforge" | cut -f1)"
hyperfine -N --warmup 5 --runs 50 --export-json "$work/startup.json" \
  "$mlforge --help" "$mlforge version" >&2
read -r help version <<<"$(mean_ms "$work/startup.json")"
echo "mlforge --help:  ${help} ms (target < 80 ms)"
echo "mlforge version: ${version} ms"
