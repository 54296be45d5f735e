#!/usr/bin/env bash
# The code's shape, as the developers' guide asks it: every non-test
# function has a cyclomatic complexity of at most 15, and no file of the
# command layer (internal/cli) is over 200 lines.
set -euo pipefail
cd "$(dirname "$0")/../.."

over=$(GOFLAGS=-mod=mod go run github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0 -over 15 -ignore '_test\.go|/testdata/' . || true)
if [ -n "$over" ]; then
	echo "functions over a cyclomatic complexity of 15 (split them):" >&2
	echo "$over" >&2
	exit 1
fi
echo "cyclomatic complexity: every function at most 15"

long=$(find internal/cli -name '*.go' ! -name '*_test.go' -exec wc -l {} + | awk '$2 != "total" && $1 > 200')
if [ -n "$long" ]; then
	echo "files of internal/cli over 200 lines (one verb per file):" >&2
	echo "$long" >&2
	exit 1
fi
echo "internal/cli: every file at most 200 lines"
