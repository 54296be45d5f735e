#!/bin/sh
# Installs mlforge from a release: picks the archive for this OS and CPU,
# downloads it with the release's checksums file, verifies its SHA-256, and
# installs the binary into a directory on PATH. Nothing is installed unless
# the checksum matches.
#
#   curl -fsSL https://github.com/mlforge/mlforge/releases/latest/download/install.sh | sh
#   sh install.sh --version v0.4.0 --dir /usr/local/bin
#
# Options (and the environment variables that set them):
#   --version V   release tag such as v0.4.0, or latest (MLFORGE_VERSION; default latest)
#   --dir DIR     where the binary goes (MLFORGE_INSTALL_DIR; default /usr/local/bin
#                 as root, else ~/.local/bin)
#   --base-url U  where releases are served, for mirrors (MLFORGE_BASE_URL; default
#                 https://github.com/mlforge/mlforge/releases): archives are fetched
#                 from U/download/V/FILE, or U/latest/download/FILE for latest
# MLFORGE_OS and MLFORGE_ARCH override what uname reports.
set -eu

default_base=https://github.com/mlforge/mlforge/releases

say() { printf 'mlforge install: %s\n' "$*" >&2; }
die() {
  printf 'mlforge install: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat >&2 <<'EOF'
usage: install.sh [--version vX.Y.Z|latest] [--dir DIR] [--base-url URL]
  --version   release to install (MLFORGE_VERSION; default latest)
  --dir       directory for the binary (MLFORGE_INSTALL_DIR; default /usr/local/bin
              as root, else ~/.local/bin)
  --base-url  release server, for mirrors (MLFORGE_BASE_URL)
EOF
  exit 2
}

parse_args() {
  version=${MLFORGE_VERSION:-latest}
  dir=${MLFORGE_INSTALL_DIR:-}
  base=${MLFORGE_BASE_URL:-$default_base}
  while [ $# -gt 0 ]; do
    case $1 in
      --version | --dir | --base-url)
        if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
        case $1 in
          --version) version=$2 ;;
          --dir) dir=$2 ;;
          --base-url) base=$2 ;;
        esac
        shift 2
        ;;
      --version=*) version=${1#*=} && shift ;;
      --dir=*) dir=${1#*=} && shift ;;
      --base-url=*) base=${1#*=} && shift ;;
      -h | --help) usage ;;
      *) die "unknown option $1 (options: --version V, --dir DIR, --base-url URL)" ;;
    esac
  done
}

check_version() {
  case $version in
    latest) return 0 ;;
    [0-9]*) version=v$version ;;
  esac
  # A release tag: vMAJOR.MINOR.PATCH with an optional -prerelease.
  if ! printf '%s\n' "$version" | grep -Eq '^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'; then
    die "--version $version is not a release tag such as v0.4.0 (or latest)"
  fi
}

detect_platform() {
  os=${MLFORGE_OS:-$(uname -s)}
  arch=${MLFORGE_ARCH:-$(uname -m)}
  case $os in
    Linux | linux) os=linux ;;
    Darwin | darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows* | windows) os=windows ;;
    *) die "no mlforge release for the OS $os (there are builds for Linux, macOS and Windows)" ;;
  esac
  case $arch in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64 | armv8*) arch=arm64 ;;
    *) die "no mlforge release for the CPU $arch (there are builds for amd64 and arm64)" ;;
  esac
  ext=tar.gz
  binary=mlforge
  if [ "$os" = windows ]; then
    ext=zip
    binary=mlforge.exe
  fi
  asset=mlforge_${os}_${arch}.$ext
}

release_url() {
  base=${base%/}
  if [ "$version" = latest ]; then
    url=$base/latest/download
  else
    url=$base/download/$version
  fi
}

# fetch URL FILE: downloads with curl or wget, failing on HTTP errors.
fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "neither curl nor wget is installed: install one of them"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 "$1" | sed 's/.*= *//'
  else
    die "no SHA-256 tool (sha256sum, shasum or openssl) to verify the download with"
  fi
}

download_and_verify() {
  fetch "$url/checksums.txt" "$tmp/checksums.txt" ||
    die "cannot download checksums.txt of mlforge $version from $url: is the version right? (releases: $base)"
  fetch "$url/$asset" "$tmp/$asset" ||
    die "cannot download $asset of mlforge $version from $url"
  want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt")
  [ -n "$want" ] || die "checksums.txt of mlforge $version has no entry for $asset: refusing to install an unverified binary"
  printf '%s\n' "$want" | grep -Eq '^[0-9a-f]{64}$' ||
    die "checksums.txt of mlforge $version has a malformed entry for $asset: refusing to install"
  got=$(sha256 "$tmp/$asset")
  [ "$got" = "$want" ] ||
    die "checksum mismatch for $asset: expected $want, got $got; the download is corrupt or was tampered with, nothing was installed"
}

extract() {
  mkdir "$tmp/x"
  if [ "$ext" = zip ]; then
    command -v unzip >/dev/null 2>&1 || die "unzip is needed to unpack $asset"
    unzip -q "$tmp/$asset" -d "$tmp/x" || die "cannot unpack $asset"
  else
    tar -xzf "$tmp/$asset" -C "$tmp/x" || die "cannot unpack $asset"
  fi
  [ -f "$tmp/x/$binary" ] || die "$asset holds no $binary"
}

install_binary() {
  if [ -z "$dir" ]; then
    if [ "$(id -u)" = 0 ]; then
      dir=/usr/local/bin
    else
      [ -n "${HOME:-}" ] || die "HOME is not set: pass --dir DIR"
      dir=$HOME/.local/bin
    fi
  fi
  mkdir -p "$dir" 2>/dev/null || die "cannot create $dir: pass --dir with a directory you can write, or run as root"
  [ -w "$dir" ] || die "cannot write to $dir: pass --dir with a directory you can write, or run as root"
  # Copied beside the target, then renamed: a running mlforge or a failed
  # copy never leaves a half-written binary.
  cp "$tmp/x/$binary" "$dir/.$binary.tmp.$$" || die "cannot write to $dir"
  chmod 755 "$dir/.$binary.tmp.$$"
  mv -f "$dir/.$binary.tmp.$$" "$dir/$binary" || die "cannot write $dir/$binary"
}

main() {
  parse_args "$@"
  check_version
  detect_platform
  release_url
  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t mlforge)
  trap 'rm -rf "$tmp"; rm -f "${dir:-.}/.$binary.tmp.$$" 2>/dev/null' EXIT
  trap 'exit 130' INT TERM
  say "downloading $asset ($version) from $url"
  download_and_verify
  say "verified SHA-256 $got"
  extract
  install_binary
  say "installed $("$dir/$binary" version 2>/dev/null | head -n 1 || echo mlforge) to $dir/$binary"
  case ":${PATH:-}:" in
    *":$dir:"*) ;;
    *) say "$dir is not on PATH: add it, for example: export PATH=\"$dir:\$PATH\"" ;;
  esac
}

main "$@"
