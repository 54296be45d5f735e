#!/usr/bin/env bash
# Installs and starts everything the test suite needs, from nothing:
# Debian packages, the Docker engine, the Compose v2 plugin, the pulumi CLI,
# the local stand-in images and test hosts, moto, and the template checks'
# tools. Idempotent; slow parts are cached. The two Go builds (compose,
# pulumi) run beside the network-bound image work.
set -euo pipefail
here=$(dirname "$0")
"$here/packages.sh"
"$here/dockerd.sh"
"$here/compose.sh" &
compose_pid=$!
"$here/pulumi.sh" &
pulumi_pid=$!
"$here/release-tools.sh" &
release_pid=$!
"$here/images.sh"
"$here/hosts.sh"
"$here/moto.sh"
"$here/template-deps.sh"
wait "$compose_pid"
wait "$pulumi_pid"
wait "$release_pid"
"$here/devcontainer-image.sh"
