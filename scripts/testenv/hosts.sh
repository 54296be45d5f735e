#!/usr/bin/env bash
# Builds what the bootstrap and SSH tests need: a Debian 13 (trixie) base
# image made with debootstrap (tarball cached), sshd "host" images for
# trixie (bookworm's comes from images.sh), and an image with cloud-init
# for schema checks, and a stand-in for haproxy:3.0 (the swarm target's
# proxy). Idempotent; images are rebuilt only when missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

debian_base trixie

have mlforge-test/sshd-host:bookworm || die "mlforge-test/sshd-host:bookworm is missing: run images.sh first"
build_image mlforge-test/sshd-host:trixie sshd-host-trixie.Dockerfile
build_image mlforge-test/cloud-init:trixie cloud-init.Dockerfile
# The reverse proxy of the swarm target (the official image is not reachable here).
build_image haproxy:3.0 haproxy.Dockerfile haproxy-entrypoint.sh
