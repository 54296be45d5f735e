#!/bin/sh
# mlforge install script: Docker Engine and Compose v2 on Ubuntu 22.04/24.04,
# Debian 12/13 and Amazon Linux 2023. POSIX sh, idempotent: on a host that is
# already ready it changes nothing and reports "already installed" per part.
#
#   sh install.sh [--channel distro|docker-ce] [--docker-version V]
#                 [--compose-version V] [--user NAME] [--lock-timeout SECONDS]
#                 [--data-device PATH]... [--data-wait SECONDS]
#                 [--no-cloud-init-wait] [--plan] [--os-release FILE]
#
# --data-device puts Docker's named volumes on a block device that outlives
# the host (the first PATH that exists, waiting up to --data-wait seconds
# for it to be attached): formatted only when blank, mounted before Docker
# starts, by UUID from fstab at every boot, and required by docker.service.
#
# Progress goes to stdout as lines a program can follow:
#   ::mlforge step ID TITLE      a step starts
#   ::mlforge detail TEXT        what the running step is doing now
#   ::mlforge done ID TEXT       the step changed something
#   ::mlforge skip ID TEXT       the step had nothing to do
#   ::mlforge fail ID TEXT       the step failed (the script exits 1)
#   ::mlforge result KEY VALUE   a fact about the host (os, docker, compose)
# Everything else is command output, shown when a step fails.
set -u
exec 2>&1

CHANNEL=auto
DOCKER_VERSION=
COMPOSE_VERSION=
LOGIN_USER=${SUDO_USER:-}
LOCK_TIMEOUT=300
CLOUD_INIT_WAIT=1
PLAN=0
OS_RELEASE=/etc/os-release
DATA_DEVICES=
DATA_WAIT=600
DATA_LABEL=mlforge-data
# Compose release used where no package has Compose v2 (Amazon Linux 2023).
COMPOSE_RELEASE=2.40.3
DOCKER_GPG_FPR=9DC858229FC7DD38854AE2D88D81803C0EBFCD88
VERIFY_IMAGE=mlforge/verify:1
STEP=init

say() { printf '::mlforge %s\n' "$*"; }
step() { STEP=$1; shift; say step "$STEP" "$@"; }
detail() { say detail "$@"; }
done_() { say "done" "$STEP" "$@"; }
skip() { say skip "$STEP" "$@"; }
fail() { say fail "$STEP" "$@"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# run CMD...: runs a command, or prints it in plan mode.
run() {
	if [ "$PLAN" = 1 ]; then
		printf '+ %s\n' "$*"
		return 0
	fi
	"$@"
}

# retry N CMD...: runs CMD up to N times, waiting 2, 4, 8... seconds between.
retry() {
	n=$1; shift
	i=1; delay=2
	while :; do
		run "$@" && return 0
		[ "$i" -ge "$n" ] && return 1
		detail "attempt $i of $n failed; retrying in ${delay}s"
		sleep "$delay"
		i=$((i + 1)); delay=$((delay * 2))
	done
}

while [ $# -gt 0 ]; do
	case $1 in
	--channel) CHANNEL=${2:-}; shift 2 ;;
	--docker-version) DOCKER_VERSION=${2:-}; shift 2 ;;
	--compose-version) COMPOSE_VERSION=${2:-}; shift 2 ;;
	--user) LOGIN_USER=${2:-}; shift 2 ;;
	--lock-timeout) LOCK_TIMEOUT=${2:-}; shift 2 ;;
	--data-device) DATA_DEVICES="${DATA_DEVICES:+$DATA_DEVICES }${2:-}"; shift 2 ;;
	--data-wait) DATA_WAIT=${2:-}; shift 2 ;;
	--no-cloud-init-wait) CLOUD_INIT_WAIT=0; shift ;;
	--plan) PLAN=1; shift ;;
	--os-release) OS_RELEASE=${2:-}; shift 2 ;;
	*) fail "unknown argument: $1" ;;
	esac
done
case $CHANNEL in auto | distro | docker-ce) ;; *) fail "--channel must be distro or docker-ce, not '$CHANNEL'" ;; esac
case $LOCK_TIMEOUT in '' | *[!0-9]*) fail "--lock-timeout must be a number of seconds, not '$LOCK_TIMEOUT'" ;; esac
case $DATA_WAIT in '' | *[!0-9]*) fail "--data-wait must be a number of seconds, not '$DATA_WAIT'" ;; esac
for d in $DATA_DEVICES; do
	case $d in /*) ;; *) fail "--data-device must be an absolute path, not '$d'" ;; esac
done
[ -n "$LOGIN_USER" ] || LOGIN_USER=$(id -un)
export DEBIAN_FRONTEND=noninteractive

# --- detect the OS --------------------------------------------------------
step os "detect the OS"
SUPPORTED="Ubuntu 22.04, Ubuntu 24.04, Debian 12, Debian 13, Amazon Linux 2023"
[ -r "$OS_RELEASE" ] || fail "cannot read $OS_RELEASE: unsupported OS (supported: $SUPPORTED)"
# osr KEY: a value from os-release, unquoted (the file is read, not run).
osr() { sed -n "s/^$1=//p" "$OS_RELEASE" | head -n 1 | sed "s/^[\"']//; s/[\"']\$//"; }
ID=$(osr ID)
VERSION_ID=$(osr VERSION_ID)
CODENAME=$(osr VERSION_CODENAME)
PRETTY=$(osr PRETTY_NAME)
[ -n "$PRETTY" ] || PRETTY="$ID $VERSION_ID"
PKG=apt
DISTRO_COMPOSE=1
case "$ID $VERSION_ID" in
"ubuntu 22.04" | "ubuntu 24.04")
	ENGINE_PKGS="docker.io"; COMPOSE_PKGS="docker-compose-v2" ;;
"debian 13")
	ENGINE_PKGS="docker.io docker-cli"; COMPOSE_PKGS="docker-compose" ;;
"debian 12")
	ENGINE_PKGS="docker.io"; COMPOSE_PKGS=""; DISTRO_COMPOSE=0 ;;
"amzn 2023")
	PKG=dnf; ENGINE_PKGS="docker"; COMPOSE_PKGS="" ;;
*)
	fail "$PRETTY is not supported (supported: $SUPPORTED)" ;;
esac
if [ "$CHANNEL" = auto ]; then
	CHANNEL=distro
	[ "$DISTRO_COMPOSE" = 0 ] && CHANNEL=docker-ce
fi
if [ "$CHANNEL" = docker-ce ] && [ "$PKG" = dnf ]; then
	fail "Docker's repository (docker-ce) has no Amazon Linux packages: use the distro channel there"
fi
if [ "$CHANNEL" = distro ] && [ "$DISTRO_COMPOSE" = 0 ]; then
	fail "$PRETTY has no Compose v2 package: use --channel docker-ce (Docker's repository)"
fi
if [ "$CHANNEL" = docker-ce ]; then
	ENGINE_PKGS="docker-ce docker-ce-cli containerd.io docker-buildx-plugin"
	COMPOSE_PKGS="docker-compose-plugin"
fi
say result os "$ID $VERSION_ID"
say result channel "$CHANNEL"
if [ "$PLAN" = 0 ] && [ "$(id -u)" != 0 ]; then
	fail "must run as root (run it with sudo)"
fi
done_ "$PRETTY, $CHANNEL packages"

# --- wait for cloud-init and package locks --------------------------------
# lock_holder FILE: prints "PID (NAME)" of the process holding FILE's lock.
lock_holder() {
	[ -e "$1" ] || return 1
	dev=$(stat -c %d "$1") || return 1
	ino=$(stat -c %i "$1") || return 1
	key=$(printf '%02x:%02x:%s' $(((dev >> 8) & 4095)) $(((dev & 255) | ((dev >> 12) & 1048320))) "$ino")
	pid=$(awk -v k="$key" '$2 != "->" && $6 == k { print $5; exit }' /proc/locks 2>/dev/null)
	[ -n "$pid" ] || return 1
	name=$(cat "/proc/$pid/comm" 2>/dev/null || echo unknown)
	printf '%s (%s)' "$pid" "$name"
}

APT_LOCKS="/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock"

# wait_locks: waits until no apt/dpkg lock is held, at most LOCK_TIMEOUT seconds.
wait_locks() {
	[ "$PKG" = apt ] || return 0
	if [ "$PLAN" = 1 ]; then
		printf '+ wait for %s (at most %ss)\n' "$APT_LOCKS" "$LOCK_TIMEOUT"
		return 0
	fi
	start=$(date +%s)
	last=
	while :; do
		held=
		for l in $APT_LOCKS; do
			if h=$(lock_holder "$l"); then held="$l held by process $h"; break; fi
		done
		waited=$(($(date +%s) - start))
		if [ -z "$held" ]; then
			[ -n "$last" ] && LOCK_WAITED="waited ${waited}s for $last"
			return 0
		fi
		last=$held
		# Whole seconds: -gt, so the wait is never cut short of the timeout.
		if [ "$waited" -gt "$LOCK_TIMEOUT" ]; then
			fail "package manager busy: $held for ${waited}s (timeout ${LOCK_TIMEOUT}s); wait for it to finish or stop it, then re-run"
		fi
		detail "waiting for $held (${waited}s)"
		sleep 2
	done
}

step wait "wait for cloud-init and package locks"
waited_for=
if [ "$CLOUD_INIT_WAIT" = 1 ] && [ "$PLAN" = 1 ]; then
	printf '+ %s\n' "(when cloud-init is present) timeout $LOCK_TIMEOUT cloud-init status --wait"
elif [ "$CLOUD_INIT_WAIT" = 1 ] && have cloud-init; then
	# Only a cloud-init that is running is waited for: on machines where it
	# is installed but never ran (WSL, desktop and cloud images booted
	# elsewhere) `cloud-init status --wait` would never return. "not run",
	# "not started", "disabled", "done" and "error" do not wait.
	ci_status=$(cloud-init status 2>/dev/null | sed -n 's/^status: *//p' | head -n 1)
	case $ci_status in
	running)
		detail "waiting for cloud-init to finish"
		run timeout "$LOCK_TIMEOUT" cloud-init status --wait >/dev/null
		[ $? = 124 ] && fail "cloud-init still running after ${LOCK_TIMEOUT}s; check 'cloud-init status --long' on the host"
		waited_for="cloud-init finished"
		;;
	esac
fi
LOCK_WAITED=
wait_locks
[ -n "$LOCK_WAITED" ] && waited_for="${waited_for:+$waited_for, }$LOCK_WAITED"
if [ "$PKG" = apt ] && [ "$PLAN" = 0 ] && [ -n "$(dpkg --audit 2>/dev/null)" ]; then
	detail "finishing an interrupted package install"
	dpkg --configure -a || fail "dpkg --configure -a failed: the package database needs repair"
	waited_for="${waited_for:+$waited_for, }repaired an interrupted install"
fi
if [ -n "$waited_for" ]; then done_ "$waited_for"; else skip "nothing to wait for"; fi

# --- install Docker Engine and Compose v2 ---------------------------------
engine_version() { dockerd --version 2>/dev/null | sed -n 's/^Docker version \([0-9][0-9.]*\).*/\1/p'; }
compose_version() { docker compose version --short 2>/dev/null | sed 's/^v//'; }
# matches VERSION PIN: true when there is no pin or VERSION is PIN or PIN.*
matches() { [ -z "$2" ] || case $1 in "$2" | "$2".*) true ;; *) false ;; esac; }

APT_UPDATED=0
apt_update() {
	[ "$APT_UPDATED" = 1 ] && return 0
	detail "apt-get update"
	wait_locks
	retry 3 apt-get -q -o Acquire::Retries=3 -o DPkg::Lock::Timeout="$LOCK_TIMEOUT" update ||
		fail "apt-get update failed (see the output above): check the host's network and package mirror"
	APT_UPDATED=1
}

# pin PKG: sets WORD to PKG, or PKG=VERSION when a version is pinned for it.
pin() {
	case $1 in
	docker.io | docker-cli | docker-ce | docker-ce-cli) want=$DOCKER_VERSION ;;
	docker-compose | docker-compose-v2 | docker-compose-plugin) want=$COMPOSE_VERSION ;;
	*) want= ;;
	esac
	WORD=$1
	[ -n "$want" ] || return 0
	if [ "$PLAN" = 1 ]; then WORD="$1=<newest $want.x>"; return 0; fi
	v=$(apt-cache madison "$1" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | while read -r c; do
		case ${c#*:} in "$want" | "$want"[.+~-]*) echo "$c" ;; esac
	done | head -n 1)
	[ -n "$v" ] || fail "$1 $want is not available from the $CHANNEL packages (available: $(apt-cache madison "$1" | awk -F'|' '{ gsub(/ /, "", $2); printf "%s ", $2 }'))"
	WORD="$1=$v"
}

# apt_install PKG...: installs packages (pinned where asked), retrying once
# with fresh package lists when the mirror changed under us.
apt_install() {
	apt_update
	words=
	for p in "$@"; do pin "$p"; words="$words $WORD"; done
	set -- -y -q --no-install-recommends -o Acquire::Retries=3 -o DPkg::Lock::Timeout="$LOCK_TIMEOUT"
	[ -n "$DOCKER_VERSION$COMPOSE_VERSION" ] && set -- "$@" --allow-downgrades
	detail "apt-get install$words"
	wait_locks
	# shellcheck disable=SC2086 # words is a list of package names
	if ! run apt-get install "$@" $words; then
		detail "install failed; refreshing package lists and retrying"
		APT_UPDATED=0
		apt_update
		# shellcheck disable=SC2086
		run apt-get install -f "$@" $words || fail "apt-get install$words failed (see the output above)"
	fi
}

# docker_repo: adds Docker's apt repository, its key checked by fingerprint.
docker_repo() {
	list=/etc/apt/sources.list.d/docker.list
	key=/etc/apt/keyrings/docker.asc
	[ "$PLAN" = 0 ] && [ -s "$list" ] && [ -s "$key" ] && return 0
	url="https://download.docker.com/linux/$ID"
	{ [ "$PLAN" = 0 ] && have curl && have gpg; } || apt_install ca-certificates curl gpg
	detail "adding Docker's apt repository $url"
	tmp=/tmp/mlforge-docker.asc
	[ "$PLAN" = 1 ] || tmp=$(mktemp)
	if ! retry 3 curl -fsSL --connect-timeout 10 -o "$tmp" "$url/gpg"; then
		rm -f "$tmp"
		why="the docker-ce channel needs HTTPS access to download.docker.com"
		[ "$DISTRO_COMPOSE" = 0 ] && why="$PRETTY has no Compose v2 package, so it comes from Docker's repository: allow HTTPS to download.docker.com, or use Debian 13 or Ubuntu 24.04, whose own packages include Compose v2"
		fail "cannot reach Docker's repository at $url; $why"
	fi
	if [ "$PLAN" = 1 ]; then
		printf '+ %s\n' "gpg --show-keys $tmp: fingerprint must be $DOCKER_GPG_FPR"
	elif ! gpg --show-keys --with-colons "$tmp" 2>/dev/null | grep -q "^fpr:*$DOCKER_GPG_FPR:"; then
		rm -f "$tmp"
		fail "the key at $url/gpg is not Docker's release key ($DOCKER_GPG_FPR); refusing to trust it"
	fi
	run install -D -m 0644 "$tmp" "$key"
	rm -f "$tmp"
	# shellcheck disable=SC2016 # shown as is in plan mode
	arch='$(dpkg --print-architecture)'
	[ "$PLAN" = 1 ] || arch=$(dpkg --print-architecture)
	line="deb [arch=$arch signed-by=$key] $url $CODENAME stable"
	if [ "$PLAN" = 1 ]; then printf '+ echo "%s" > %s\n' "$line" "$list"; else printf '%s\n' "$line" >"$list"; fi
	# Leave no broken source behind when the repository does not answer.
	detail "apt-get update"
	wait_locks
	if ! retry 3 apt-get -q -o Acquire::Retries=3 -o DPkg::Lock::Timeout="$LOCK_TIMEOUT" update; then
		rm -f "$list"
		fail "apt-get update with Docker's repository $url failed (see the output above); removed $list again"
	fi
	APT_UPDATED=1
}

# compose_binary: the Compose v2 plugin from Docker's release, checked by sha256
# (for distributions without a Compose v2 package: Amazon Linux 2023).
compose_binary() {
	v=${COMPOSE_VERSION:-$COMPOSE_RELEASE}
	case $v in *.*.*) ;; *) fail "--compose-version must be a full release like $COMPOSE_RELEASE on $PRETTY" ;; esac
	# shellcheck disable=SC2016 # shown as is in plan mode
	machine='$(uname -m)'
	[ "$PLAN" = 1 ] || machine=$(uname -m)
	url="https://github.com/docker/compose/releases/download/v$v/docker-compose-linux-$machine"
	dir=/usr/local/lib/docker/cli-plugins
	detail "downloading Compose $v"
	run mkdir -p "$dir"
	if ! retry 3 curl -fsSL --connect-timeout 10 -o "$dir/docker-compose.part" "$url" ||
		! retry 3 curl -fsSL --connect-timeout 10 -o "$dir/docker-compose.sha256" "$url.sha256"; then
		rm -f "$dir/docker-compose.part"
		fail "cannot download Compose $v from $url"
	fi
	if [ "$PLAN" = 0 ]; then
		want=$(cut -d' ' -f1 "$dir/docker-compose.sha256")
		got=$(sha256sum "$dir/docker-compose.part" | cut -d' ' -f1)
		rm -f "$dir/docker-compose.sha256"
		[ "$want" = "$got" ] || { rm -f "$dir/docker-compose.part"; fail "Compose $v download has sha256 $got, expected $want"; }
	fi
	run chmod 0755 "$dir/docker-compose.part"
	run mv "$dir/docker-compose.part" "$dir/docker-compose"
}

install_engine() {
	# shellcheck disable=SC2086 # package lists
	case $PKG in
	apt)
		[ "$CHANNEL" = docker-ce ] && docker_repo
		apt_install $ENGINE_PKGS $1 ;;
	dnf)
		set -- docker
		[ -n "$DOCKER_VERSION" ] && set -- "docker-$DOCKER_VERSION*"
		detail "dnf install $*"
		retry 3 dnf install -y -q --setopt=retries=3 "$@" || fail "dnf install $* failed (see the output above)" ;;
	esac
}

# --- data volume ----------------------------------------------------------
# With --data-device, Docker's named volumes (the stack's state) live on a
# volume that outlives the host (see the header).
FSTAB_MARK="# mlforge data volume"
DROPIN=/etc/systemd/system/docker.service.d/mlforge-data.conf

# data_dir: where Docker keeps named volumes (its root directory's volumes/).
data_dir() {
	root=
	have docker && root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null)
	printf '%s/volumes' "${root:-/var/lib/docker}"
}

# find_data_device: sets DEV to the first data device that exists, waiting
# up to DATA_WAIT seconds for the volume to be attached.
find_data_device() {
	start=$(date +%s)
	n=0
	while :; do
		for d in $DATA_DEVICES; do
			if [ -b "$d" ]; then
				DEV=$(readlink -f "$d")
				return 0
			fi
		done
		waited=$(($(date +%s) - start))
		[ "$waited" -gt "$DATA_WAIT" ] && fail "no data volume appeared within ${DATA_WAIT}s (looked for $DATA_DEVICES); check that it is attached to this host"
		[ $((n % 5)) = 0 ] && detail "waiting for the data volume to be attached (${waited}s)"
		n=$((n + 1))
		sleep 2
	done
}

# stop_docker: stops the daemon, and with it the containers, so the
# volumes can move; the daemon step starts it again.
stop_docker() {
	detail "stopping Docker while its volumes move to the data volume"
	[ -d /run/systemd/system ] && systemctl stop docker.socket docker.service >/dev/null 2>&1
	pidfile=/var/run/docker.pid
	if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		pid=$(cat "$pidfile")
		kill "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null; do
			[ "$i" -ge 60 ] && fail "dockerd (pid $pid) did not stop within 60s"
			sleep 1
			i=$((i + 1))
		done
	fi
	docker info >/dev/null 2>&1 && fail "the Docker daemon is still running; stop it, then re-run"
	return 0
}

# persist_data: the fstab line (by UUID) and docker.service's dependency on
# the mount, each written only when it differs.
persist_data() {
	uuid=$(blkid -p -o value -s UUID "$DEV")
	[ -n "$uuid" ] || fail "cannot read the UUID of $DEV"
	line="UUID=$uuid $DATA_DIR $FSTYPE defaults,nofail 0 2 $FSTAB_MARK"
	if ! grep -qxF "$line" /etc/fstab 2>/dev/null; then
		if ! { grep -vF "$FSTAB_MARK" /etc/fstab 2>/dev/null; printf '%s\n' "$line"; } >/etc/fstab.mlforge ||
			! cat /etc/fstab.mlforge >/etc/fstab; then
			fail "cannot update /etc/fstab"
		fi
		rm -f /etc/fstab.mlforge
	fi
	[ -d /etc/systemd/system ] || return 0
	want=$(printf '[Unit]\nRequiresMountsFor=%s' "$DATA_DIR")
	[ "$(cat "$DROPIN" 2>/dev/null)" = "$want" ] && return 0
	{ mkdir -p "${DROPIN%/*}" && printf '%s\n' "$want" >"$DROPIN"; } || fail "cannot write $DROPIN"
	[ -d /run/systemd/system ] && systemctl daemon-reload
	return 0
}

# data_fs: sets FSTYPE of DEV; formats DEV (ext4) only when it holds no
# signature at all, and sets FORMATTED then.
data_fs() {
	FORMATTED=0
	[ -n "$(findmnt -n -o TARGET --source "$DEV" 2>/dev/null)" ] &&
		fail "$DEV is already mounted at $(findmnt -n -o TARGET --source "$DEV" | head -n 1); unmount it, then re-run"
	blkid -p "$DEV" >/dev/null 2>&1
	case $? in
	0) ;;
	2)
		detail "formatting the blank volume $DEV (ext4)"
		mkfs.ext4 -q -L "$DATA_LABEL" "$DEV" || fail "mkfs.ext4 $DEV failed (see the output above)"
		FORMATTED=1 ;;
	*) fail "cannot read $DEV (blkid failed); not touching it" ;;
	esac
	[ -z "$(blkid -p -o value -s PTTYPE "$DEV" 2>/dev/null)" ] ||
		fail "$DEV has a partition table; give a whole, blank volume or one holding an ext4 or xfs file system"
	FSTYPE=$(blkid -p -o value -s TYPE "$DEV")
	case $FSTYPE in
	ext4 | ext3 | ext2 | xfs) ;;
	*) fail "$DEV holds ${FSTYPE:-an unknown} data, not an ext4 or xfs file system; not touching it" ;;
	esac
}

# move_volumes: copies what Docker has on the root disk onto the freshly
# formatted volume; a failed copy blanks the volume again so a re-run
# retries it.
move_volumes() {
	tmp=$(mktemp -d /var/lib/mlforge-data.XXXXXX) || fail "mktemp failed"
	mount "$DEV" "$tmp" || fail "mount $DEV $tmp failed"
	detail "copying the volumes on the root disk ($(du -sh "$DATA_DIR" | cut -f1)) onto $DEV"
	if ! cp -a "$DATA_DIR"/. "$tmp"/; then
		umount "$tmp"
		rmdir "$tmp"
		wipefs -a -q "$DEV"
		fail "copying $DATA_DIR onto $DEV failed (see the output above); the volume was blanked again"
	fi
	umount "$tmp" && rmdir "$tmp"
}

mount_data() {
	missing=
	for tool in blkid findmnt mkfs.ext4 wipefs; do have "$tool" || missing="$missing $tool"; done
	if [ -n "$missing" ]; then
		case $PKG in
		apt) apt_install e2fsprogs util-linux ;;
		dnf) retry 3 dnf install -y -q e2fsprogs util-linux || fail "dnf install e2fsprogs util-linux failed" ;;
		esac
	fi
	find_data_device
	DATA_DIR=$(data_dir)
	say result data "$DEV"
	src=$(findmnt -n -o SOURCE --mountpoint "$DATA_DIR" 2>/dev/null)
	if [ -n "$src" ]; then
		[ "$(readlink -f "$src")" = "$DEV" ] || fail "$DATA_DIR is mounted from $src, not from the data volume $DEV; unmount it, then re-run"
		FSTYPE=$(blkid -p -o value -s TYPE "$DEV")
		persist_data
		skip "$DEV already mounted at $DATA_DIR"
		return 0
	fi
	data_fs
	docker info >/dev/null 2>&1 && stop_docker
	mkdir -p "$DATA_DIR" || fail "mkdir $DATA_DIR failed"
	how="formatted and mounted"
	[ "$FORMATTED" = 1 ] || how="mounted (its data kept)"
	also=
	if [ -n "$(ls -A "$DATA_DIR")" ]; then
		if [ "$FORMATTED" = 1 ]; then
			move_volumes
			also=", with the volumes moved from the root disk"
		else
			also="; the volumes on the root disk stay there, hidden under it"
		fi
	fi
	mount "$DEV" "$DATA_DIR" || fail "mount $DEV $DATA_DIR failed"
	persist_data
	done_ "$how $DEV at $DATA_DIR$also"
}

if [ -n "$DATA_DEVICES" ]; then
	step data "data volume"
	if [ "$PLAN" = 1 ]; then
		printf '+ %s\n' "wait ${DATA_WAIT}s for one of: $DATA_DEVICES" "(if blank) mkfs.ext4 -L $DATA_LABEL DEVICE" \
			"(if Docker runs) stop it, copy its volumes onto a blank DEVICE" "mount DEVICE /var/lib/docker/volumes" \
			"fstab: UUID=... /var/lib/docker/volumes $FSTAB_MARK" "$DROPIN: RequiresMountsFor=/var/lib/docker/volumes"
		done_ "plan"
	else
		mount_data
	fi
fi

ENGINE_HAVE=
COMPOSE_HAVE=
if [ "$PLAN" = 0 ]; then
	have dockerd && have docker && ENGINE_HAVE=$(engine_version)
	have docker && COMPOSE_HAVE=$(compose_version)
fi
NEED_ENGINE=0
NEED_COMPOSE=0
{ [ -z "$ENGINE_HAVE" ] || ! matches "$ENGINE_HAVE" "$DOCKER_VERSION"; } && NEED_ENGINE=1
{ [ -z "$COMPOSE_HAVE" ] || ! matches "$COMPOSE_HAVE" "$COMPOSE_VERSION"; } && NEED_COMPOSE=1

step engine "Docker Engine"
if [ "$NEED_ENGINE" = 0 ]; then
	skip "already installed $ENGINE_HAVE"
else
	with=
	if [ "$NEED_COMPOSE" = 1 ] && [ -n "$COMPOSE_PKGS" ]; then with=$COMPOSE_PKGS; NEED_COMPOSE=2; fi
	install_engine "$with"
	[ "$PLAN" = 1 ] || ENGINE_HAVE=$(engine_version)
	[ "$PLAN" = 1 ] || [ -n "$ENGINE_HAVE" ] || fail "dockerd is missing after installing $ENGINE_PKGS"
	done_ "installed ${ENGINE_HAVE:-(plan)} ($CHANNEL)"
fi

step compose "Compose v2"
if [ "$NEED_COMPOSE" = 0 ]; then
	skip "already installed $COMPOSE_HAVE"
else
	if [ "$NEED_COMPOSE" = 1 ]; then
		if [ -n "$COMPOSE_PKGS" ]; then
			[ "$CHANNEL" = docker-ce ] && docker_repo
			# shellcheck disable=SC2086
			apt_install $COMPOSE_PKGS
		else
			compose_binary
		fi
	fi
	[ "$PLAN" = 1 ] || COMPOSE_HAVE=$(compose_version)
	[ "$PLAN" = 1 ] || [ -n "$COMPOSE_HAVE" ] || fail "'docker compose version' does not answer after installing Compose"
	done_ "installed ${COMPOSE_HAVE:-(plan)}"
fi

# --- start the daemon -----------------------------------------------------
# wait_docker SECONDS: true once the daemon answers (polled 5 times a second).
wait_docker() {
	i=0
	while [ "$i" -lt $(($1 * 5)) ]; do
		[ -S /var/run/docker.sock ] && docker version >/dev/null 2>&1 && return 0
		sleep 0.2 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	return 1
}

DOCKERD_LOG=/var/log/mlforge-dockerd.log
start_daemon() {
	if [ "$PLAN" = 1 ]; then
		run systemctl enable --now docker.service
		printf '+ %s\n' "(without systemd) setsid dockerd >$DOCKERD_LOG 2>&1 &"
		HOW=systemd
		return 0
	fi
	if [ -d /run/systemd/system ]; then
		systemctl enable --now docker.service || fail "systemctl enable --now docker failed; see 'journalctl -u docker' on the host"
		wait_docker 60 || fail "the Docker daemon did not answer within 60s; see 'journalctl -u docker' on the host"
		HOW="started with systemd, enabled at boot"
		return 0
	fi
	if [ -x /etc/init.d/docker ] && /etc/init.d/docker start >/dev/null 2>&1 && wait_docker 15; then
		HOW="started with /etc/init.d/docker"
		return 0
	fi
	pidfile=/var/run/docker.pid
	if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		detail "dockerd is starting (pid $(cat "$pidfile"))"
	else
		rm -f "$pidfile"
		detail "no systemd: starting dockerd in the background"
		setsid dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
	fi
	wait_docker 60 || { tail -n 20 "$DOCKERD_LOG"; fail "dockerd did not answer within 60s (its log: $DOCKERD_LOG)"; }
	HOW="started dockerd in the background (no systemd here, so it will not start at boot)"
}

step daemon "Docker daemon"
if [ "$PLAN" = 0 ] && docker info >/dev/null 2>&1; then
	if [ -d /run/systemd/system ] && ! systemctl is-enabled --quiet docker.service 2>/dev/null; then
		systemctl enable docker.service >/dev/null 2>&1 || fail "systemctl enable docker failed"
		done_ "running; enabled at boot"
	else
		skip "already running"
	fi
else
	start_daemon
	done_ "$HOW"
fi

# --- docker group ---------------------------------------------------------
step group "docker group"
if [ "$LOGIN_USER" = root ]; then
	skip "root needs no group"
elif [ "$PLAN" = 1 ]; then
	run groupadd --system docker
	run usermod -aG docker "$LOGIN_USER"
	done_ "added $LOGIN_USER"
else
	id "$LOGIN_USER" >/dev/null 2>&1 || fail "user '$LOGIN_USER' does not exist on this host"
	getent group docker >/dev/null || groupadd --system docker || fail "groupadd docker failed"
	if id -nG "$LOGIN_USER" | tr ' ' '\n' | grep -qx docker; then
		skip "$LOGIN_USER already a member"
	else
		usermod -aG docker "$LOGIN_USER" || fail "usermod -aG docker $LOGIN_USER failed"
		done_ "added $LOGIN_USER (takes effect at the next login)"
	fi
fi

# --- verify ---------------------------------------------------------------
# build_verify_image: an image made on the spot from this host's /bin/sh and
# the libraries it needs, so verifying needs no registry.
build_verify_image() {
	ctx=$(mktemp -d)
	for f in /bin/sh $(ldd /bin/sh | grep -o '/[^ ]*'); do
		if ! { mkdir -p "$ctx/root$(dirname "$f")" && cp -L "$f" "$ctx/root$f"; }; then
			rm -rf "$ctx"
			fail "cannot copy $f for the test image"
		fi
	done
	printf 'FROM scratch\nCOPY root/ /\nCMD ["/bin/sh", "-c", "echo mlforge-ok"]\n' >"$ctx/Dockerfile"
	docker build -q -t "$VERIFY_IMAGE" "$ctx" || { rm -rf "$ctx"; fail "docker build of a test image failed (see the output above)"; }
	rm -rf "$ctx"
}

step verify "verify"
if [ "$PLAN" = 1 ]; then
	run docker info
	run docker compose version
	run docker build -t "$VERIFY_IMAGE" "(FROM scratch + this host's /bin/sh)"
	run docker run --rm --network none "$VERIFY_IMAGE"
	done_ "plan"
	exit 0
fi
server=$(docker info --format '{{.ServerVersion}}') || fail "docker info failed: $server"
COMPOSE_HAVE=$(compose_version)
[ -n "$COMPOSE_HAVE" ] || fail "'docker compose version' does not answer"
if ! docker image inspect "$VERIFY_IMAGE" >/dev/null 2>&1; then
	detail "building a test image"
	build_verify_image
fi
out=$(docker run --rm --network none "$VERIFY_IMAGE" 2>&1)
[ "$out" = mlforge-ok ] || fail "a test container did not run: $out"
say result docker "$server"
say result compose "$COMPOSE_HAVE"
done_ "docker $server and compose $COMPOSE_HAVE answer; a container runs"
