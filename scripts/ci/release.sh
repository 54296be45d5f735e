#!/usr/bin/env bash
# Checks the release configuration and builds a snapshot release of one
# target (linux/amd64; every target would take minutes): `goreleaser check`,
# then `goreleaser release --snapshot` with a copy of .goreleaser.yaml that
# differs only in its target lists, then the archive's contents and the
# stamped version. install.sh, the Action and the devcontainer Feature are
# tested against such a snapshot by go test (internal/release).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/testenv/release-tools.sh
# shellcheck source=scripts/testenv/lib.sh
. scripts/testenv/lib.sh
goreleaser="$CACHE_DIR/bin/goreleaser"

step() { printf '\n--> %s\n' "$*"; }
tmp=$(mktemp -d)
# goreleaser globs archive files relative to the repository: the generated
# completions and man pages go to a git-ignored folder of this run.
docs=build/docs.$$
trap 'rm -rf "$tmp" "$docs"' EXIT

step "goreleaser check"
"$goreleaser" check

step "shellcheck install.sh (POSIX sh)"
shellcheck -s sh install.sh features/src/mlforge/*.sh
shellcheck -x features/test/mlforge/*.sh scripts/ci/release.sh scripts/testenv/release-tools.sh scripts/testenv/devcontainer-image.sh

step "snapshot of linux/amd64"
sed -e 's/^    goos: \[.*\]$/    goos: [linux]/' -e 's/^    goarch: \[.*\]$/    goarch: [amd64]/' \
  .goreleaser.yaml >"$tmp/goreleaser.yaml"
changed=$(diff .goreleaser.yaml "$tmp/goreleaser.yaml" | grep -c '^>' || true)
[ "$changed" = 2 ] || die "the CI copy of .goreleaser.yaml should differ in goos and goarch only ($changed lines changed)"
printf 'dist: %s\n' "$tmp/dist" >>"$tmp/goreleaser.yaml"
# goreleaser reads the commit only when the repository has a remote; a
# clone without one gets the project's URL for this run (nothing written).
if ! git ls-remote --get-url >/dev/null 2>&1; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/mlforge/mlforge.git
fi
start=$(date +%s)
MLFORGE_DOCS_DIR="$docs" "$goreleaser" release --snapshot --clean --config "$tmp/goreleaser.yaml" >"$tmp/log" 2>&1 ||
  { tail -n 40 "$tmp/log" >&2; die "goreleaser release --snapshot failed"; }
echo "snapshot built in $(($(date +%s) - start)) s"

step "the snapshot's contents"
dist="$tmp/dist"
ls "$dist"
archive="$dist/mlforge_linux_amd64.tar.gz"
[ -f "$archive" ] || die "no $archive"
(cd "$dist" && sha256sum -c checksums.txt) || die "checksums.txt does not match the archives"
contents=$(tar -tzf "$archive" | sort)
for want in mlforge README.md completions/mlforge.bash completions/mlforge.zsh completions/mlforge.fish \
  completions/mlforge.ps1 man/mlforge.1 man/mlforge-up.1 man/mlforge-new.1; do
  grep -qx "$want" <<<"$contents" || die "$archive lacks $want (has: $(tr "\n" " " <<<"$contents"))"
done
mkdir "$tmp/x" && tar -xzf "$archive" -C "$tmp/x"
version=$("$tmp/x/mlforge" version --json)
echo "$version"
commit=$(git rev-parse HEAD)
grep -q "\"commit\": \"$commit\"" <<<"$version" || die "the snapshot binary does not carry commit $commit"
grep -qE '"version": "v[0-9]+\.[0-9]+\.[0-9]+-snapshot"' <<<"$version" || die "the snapshot binary does not carry a snapshot version"
echo "release: configuration checked, snapshot built and verified"
