#!/usr/bin/env bash
# Measures `mlforge bootstrap` on fresh Debian 13 sshd hosts (containers
# from scripts/testenv/hosts.sh, reached on 127.0.0.1 only) and prints:
#   - fresh bootstrap vs the bare package install (apt-get update + install
#     docker.io docker-cli docker-compose + start dockerd) on the same kind
#     of host, alternating to share mirror warm-up fairly (target: +15% max);
#   - the no-op re-run, whole command including SSH (target: < 2 s);
#   - 4 fresh hosts at once vs one (target: < 1.5x).
# Usage: bench/bootstrap.sh [rounds]   (default 5; needs Docker and the images)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
IMAGE=mlforge-test/sshd-host:trixie
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "missing $IMAGE: run scripts/testenv/hosts.sh" >&2; exit 1; }

work=$(mktemp -d)
hosts=()
remove_hosts() {
  for h in "${hosts[@]}"; do docker rm -f -v "$h" >/dev/null 2>&1 || true; docker volume rm -f "$h" >/dev/null 2>&1 || true; done
  hosts=()
}
cleanup() {
  remove_hosts
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mlforge" ./cmd/mlforge
ssh-keygen -q -t ed25519 -N '' -f "$work/id" >/dev/null
pub=$(cat "$work/id.pub")
caps=(AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID
  IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE
  NET_BROADCAST NET_RAW SETFCAP SETGID SETPCAP SETUID SYSLOG SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_NICE
  SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_TIME SYS_TTY_CONFIG WAKE_ALARM)
capflags=()
for c in "${caps[@]}"; do capflags+=(--cap-add "$c"); done

# start_host NAME: a fresh host; sets HOST (container) and TARGET (root@127.0.0.1:PORT).
start_host() {
  local name="mlforge-bench-$1-$$"
  hosts+=("$name")
  docker run -d --name "$name" "${capflags[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --device-cgroup-rule 'a *:* rwm' -v /sys/fs/cgroup:/sys/fs/cgroup -v "$name:/var/lib/docker" -p 127.0.0.1::22 \
    -e "KEY=$pub" "$IMAGE" sh -c 'ssh-keygen -q -A; mkdir -p /root/.ssh /run/sshd; echo "$KEY" > /root/.ssh/authorized_keys;
      mount -o remount,rw /proc/sys; exec /usr/sbin/sshd -D -e' >/dev/null
  local port
  port=$(docker port "$name" 22/tcp | sed -n 's/^127\.0\.0\.1://p' | head -n1)
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port" && head -c 4 <&3 | grep -q SSH) 2>/dev/null; then break; fi
    sleep 0.2
  done
  HOST=$name TARGET="root@127.0.0.1:$port"
}

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mlforge() { "$work/mlforge" bootstrap --identity "$work/id" --known-hosts "$work/known_hosts" --accept-new "$@" >"$work/last.json" 2>"$work/last.log" || { cat "$work/last.log" >&2; exit 1; }; }

bare_install='set -e; export DEBIAN_FRONTEND=noninteractive
apt-get -q update >/dev/null
apt-get install -y -q --no-install-recommends docker.io docker-cli docker-compose >/dev/null
setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &
until docker info >/dev/null 2>&1; do sleep 0.2; done
docker compose version >/dev/null'

bare=() fresh=() own=() noop=()
for r in $(seq "$ROUNDS"); do
  start_host "bare$r"
  t=$(now); docker exec "$HOST" sh -c "$bare_install"; bare+=("$(since "$t")")
  start_host "fresh$r"
  target=$TARGET
  t=$(now); mlforge --host "$target" --json; fresh+=("$(since "$t")")
  # What mlforge adds around the same package install and daemon start.
  own+=("$(jq -r --argjson wall "${fresh[-1]}" '.hosts[0].steps | map(select(.id == "engine" or .id == "daemon") | .seconds) | $wall - add | . * 100 | round / 100' "$work/last.json")")
  if [ "$r" = "$ROUNDS" ]; then
    for _ in 1 2 3 4 5; do t=$(now); mlforge --host "$target"; noop+=("$(since "$t")"); done
  fi
  remove_hosts
  echo "round $r: bare install ${bare[-1]}s, mlforge bootstrap ${fresh[-1]}s (of which ${own[-1]}s outside apt and dockerd start)" >&2
done
bare_med=$(printf '%s\n' "${bare[@]}" | median)
fresh_med=$(printf '%s\n' "${fresh[@]}" | median)
own_med=$(printf '%s\n' "${own[@]}" | median)

noop_med=$(printf '%s\n' "${noop[@]}" | median)

targets=()
for i in 1 2 3 4; do start_host "many$i"; targets+=(--host "$TARGET"); done
t=$(now); mlforge "${targets[@]}"; many=$(since "$t")
remove_hosts

# The same 4-at-once with the bare install: what the machine itself allows.
names=()
for i in 1 2 3 4; do start_host "bare-many$i"; names+=("$HOST"); done
t=$(now)
pids=()
for n in "${names[@]}"; do docker exec "$n" sh -c "$bare_install" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
bare_many=$(since "$t")

awk -v b="$bare_med" -v f="$fresh_med" -v n="$noop_med" -v m="$many" -v bm="$bare_many" -v r="$ROUNDS" -v o="$own_med" -v cpus="$(nproc)" 'BEGIN {
  printf "bootstrap bench (Debian 13 hosts, %d rounds, medians)\n", r
  printf "  bare package install:      %6.2f s\n", b
  printf "  mlforge bootstrap (fresh): %6.2f s   overhead %+.0f%% (target <= +15%%)\n", f, (f / b - 1) * 100
  printf "  of which mlforge itself:   %6.2f s   (%.0f%% of the bare install; the rest is the same apt and dockerd work)\n", o, o / b * 100
  printf "  no-op re-run:              %6.2f s   (target < 2 s)\n", n
  printf "  4 hosts at once:           %6.2f s   %.2fx one host (target < 1.5x)\n", m, m / f
  printf "  bare install, 4 at once:   %6.2f s   %.2fx one bare install (the limit of this %d-core machine)\n", bm, bm / b, cpus
}'
