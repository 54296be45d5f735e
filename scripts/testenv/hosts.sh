#!/usr/bin/env bash
# Builds what the bootstrap and SSH tests need: a Debian 13 (trixie) base
# image made with debootstrap (tarball cached), sshd "host" images for
# trixie (bookworm's comes from images.sh), and an image with cloud-init
# for schema checks. Idempotent; images are rebuilt only when missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

debian_base trixie

have mlforge-test/sshd-host:bookworm || die "mlforge-test/sshd-host:bookworm is missing: run images.sh first"
build_image mlforge-test/sshd-host:trixie sshd-host-trixie.Dockerfile
build_image mlforge-test/cloud-init:trixie cloud-init.Dockerfile
