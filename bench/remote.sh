#!/usr/bin/env bash
# mlforge up --target ssh on a fresh test host (a container with sshd,
# reached through 127.0.0.1): time from up (bootstrap + deploy) to the
# first prediction, the no-op re-deploy, and the bytes shipped for a
# one-line code change against the full first deploy. It runs the
# end-to-end test and prints the numbers it measured.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$repo" || exit 1
log="$work/remote.log"
CI="" go test -count=1 -timeout 40m -run '^TestTaxiStackOnSSHHost$' -v ./internal/e2e >"$log" 2>&1 || {
  tail -n 60 "$log" >&2; echo "bench: the remote end-to-end run failed" >&2; exit 1; }
grep -oE 'up on a fresh host \(bootstrap \+ deploy\): [0-9.]+[a-z]+[0-9.a-z]*(; steps map\[[^]]*\])?' "$log" | sed 's/^/fresh host: /'
grep -oE 'first up shipped [0-9]+ images, [0-9]+ bytes' "$log"
grep -oE 'no-op re-deploy: [0-9.]+[a-z]+(; steps map\[[^]]*\])?' "$log"
grep -oE 'one-line change shipped [0-9]+ bytes \(full first deploy [0-9]+\)' "$log"
