#!/usr/bin/env bash
# Builds local stand-ins for the registry images the stack needs, since no
# container registry is reachable from CI: a Debian base made with
# debootstrap, and on it python:3.11-slim, prom/prometheus,
# prom/pushgateway, prom/alertmanager and postgres with the same
# entrypoints, settings and tools as the originals; and moto's server as
# the S3 endpoint of stack tests.
# The debootstrap tarball is cached; an image is rebuilt only when it is
# missing or its files under images/ changed (build_image in lib.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

debian_base bookworm

build_image python:3.11-slim python.Dockerfile
build_image prom/prometheus:v2.55.1 prometheus.Dockerfile
build_image prom/pushgateway:v1.10.0 pushgateway.Dockerfile
build_image prom/alertmanager:v0.28.1 alertmanager.Dockerfile
build_image mlforge-test/moto:5.1.22 moto.Dockerfile
build_image postgres:16 postgres.Dockerfile postgres-entrypoint.sh
build_image mlforge-test/sshd-host:bookworm sshd-host.Dockerfile
