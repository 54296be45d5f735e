#!/usr/bin/env bash
# Starts the Docker engine when it is not answering (no systemd on CI machines).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if docker info >/dev/null 2>&1; then
  log "docker engine: running"
  exit 0
fi
command -v dockerd >/dev/null || die "dockerd not found: run scripts/testenv/packages.sh first"
if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
  as_root systemctl start docker
else
  mkdir -p "$CACHE_DIR"
  as_root sh -c "nohup dockerd >'$CACHE_DIR/dockerd.log' 2>&1 &"
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { log "docker engine: started"; exit 0; }
  sleep 1
done
tail -n 30 "$CACHE_DIR/dockerd.log" >&2 || true
die "docker engine did not start within 60s"
