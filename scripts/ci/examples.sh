#!/usr/bin/env bash
# Lints the example GitHub Actions workflows with actionlint (built by
# scripts/testenv/template-deps.sh); the example configs are checked by
# go test (internal/config TestExamples).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/testenv/lib.sh
. scripts/testenv/lib.sh
"$CACHE_DIR/bin/actionlint" examples/github-actions/*.yml
echo "examples: workflows pass actionlint"
