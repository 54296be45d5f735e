#!/usr/bin/env bash
# Installs and starts everything the test suite needs, from nothing:
# Debian packages, the Docker engine, the Compose v2 plugin, the pulumi CLI
# and the local stand-in images. Idempotent; slow parts are cached.
set -euo pipefail
here=$(dirname "$0")
"$here/packages.sh"
"$here/dockerd.sh"
"$here/compose.sh" &
compose_pid=$!
"$here/images.sh"
"$here/hosts.sh"
wait "$compose_pid"
"$here/pulumi.sh"
"$here/moto.sh"
