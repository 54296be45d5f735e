#!/bin/sh
# Runs when the dev container starts: mlforge runs stacks on a Docker
# engine, so say so when none is reachable. A warning only, never a
# failure: the container stays usable for everything else. An engine that
# starts with the container (docker-in-docker) gets a few seconds.
wait_seconds=${MLFORGE_DOCKER_WAIT:-15}

if ! command -v docker >/dev/null 2>&1; then
  echo "mlforge: warning: no docker CLI in this container: add the docker-in-docker or docker-outside-of-docker Feature to run stacks with mlforge up" >&2
  exit 0
fi
i=0
while [ "$i" -lt "$wait_seconds" ]; do
  if docker info >/dev/null 2>&1; then
    echo "mlforge: Docker engine $(docker info --format '{{.ServerVersion}}' 2>/dev/null) reachable"
    exit 0
  fi
  i=$((i + 1))
  sleep 1
done
echo "mlforge: warning: no Docker engine reachable (docker info failed for ${wait_seconds}s): mlforge up needs one; check the docker-in-docker Feature or the socket mount" >&2
exit 0
