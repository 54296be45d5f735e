#!/usr/bin/env bash
# Builds the pulumi CLI from the Go module proxy (cached) and puts it where
# the Automation API looks for a pinned version (~/.pulumi/versions/X/bin).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

v=${PULUMI_VERSION#v}
bin="$CACHE_DIR/pulumi-$PULUMI_VERSION/bin/pulumi"
if [ ! -x "$bin" ]; then
  log "building pulumi $PULUMI_VERSION (about 15 minutes, once)"
  mod="$CACHE_DIR/src/pulumi"
  scratch_module "$mod"
  mkdir -p "$(dirname "$bin")"
  (cd "$mod" && go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" >/dev/null 2>&1 &&
    go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$bin.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv "$bin.tmp" "$bin"
fi
dest="$HOME/.pulumi/versions/$v/bin"
mkdir -p "$dest"
cmp -s "$bin" "$dest/pulumi" || install -m 0755 "$bin" "$dest/pulumi"
log "pulumi: $("$dest/pulumi" version)"
