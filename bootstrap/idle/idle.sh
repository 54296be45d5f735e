#!/bin/sh
# mlforge idle stop: stops this instance from inside when nobody uses it,
# and stops the compose stack cleanly on a spot interruption notice.
# Installed by mlforge on AWS hosts; settings in /etc/mlforge/idle.conf.
#
#   idle.sh check        look for activity once; power off after IDLE_TIMEOUT without any
#   idle.sh loop         check every IDLE_INTERVAL (hosts without systemd)
#   idle.sh spot-watch   poll the metadata service for a spot interruption notice
#   idle.sh install      set up the systemd timer and services (or background loops)
#   idle.sh units        write the systemd units (to MLFORGE_UNIT_DIR, default /etc/systemd/system)
#   idle.sh status       print the state file mlforge reads
#
# Activity is any of: a request counted by the model server's Prometheus
# counter; a running job (a one-off container of the compose project, or a
# container labelled JOB_LABEL) whose last output line is younger than
# STALL_LIMIT; an established connection to sshd (sessions and tunnels);
# CPU or GPU use above their thresholds.
set -u

CONF=${MLFORGE_IDLE_CONF:-/etc/mlforge/idle.conf}
SELF=$(readlink -f "$0")
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
LOGFILE=/var/log/mlforge-idle.log

load_conf() {
	IDLE_OFF=0 IDLE_TIMEOUT=3600 IDLE_INTERVAL=60 STALL_LIMIT=7200 CPU_THRESHOLD=10 GPU_THRESHOLD=10
	PROJECT='' JOB_LABEL=mlforge.job MODEL_METRICS_URL='' MODEL_COUNTER='' SSH_PORTS=22
	SPOT=0 SPOT_POLL=5 IMDS_URL=http://169.254.169.254 STOP_COMMAND=poweroff COMPOSE_GRACE=60
	STATE_DIR=/var/lib/mlforge
	# shellcheck disable=SC1090
	[ -r "$CONF" ] && . "$CONF"
	STATE="$STATE_DIR/idle.state" JSON="$STATE_DIR/idle.json" NOTICE="$STATE_DIR/spot-notice"
}

log() {
	printf '%s mlforge-idle: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
	# Under systemd stdout is the journal already; elsewhere tell syslog too.
	if [ -z "${INVOCATION_ID:-}" ] && [ -S /dev/log ]; then
		logger -t mlforge-idle -- "$*" 2>/dev/null || :
	fi
}

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
to_epoch() { date -u -d "$1" +%s 2>/dev/null || echo 0; }
human() {
	if [ $(($1 % 3600)) -eq 0 ] && [ "$1" -gt 0 ]; then echo "$(($1 / 3600))h"
	elif [ $(($1 % 60)) -eq 0 ] && [ "$1" -gt 0 ]; then echo "$(($1 / 60))m"
	else echo "${1}s"; fi
}
# clean keeps text safe inside the JSON and state files.
clean() { printf '%s' "$*" | tr -cd 'A-Za-z0-9 _.:,;%/()=+@-'; }
add() { reasons="${reasons:+$reasons; }$*"; }
# read_state loads the last check's state with shell builtins only.
read_state() {
	st_boot='' st_last='' st_reason='' st_cpu_total='' st_cpu_idle='' st_model='' st_active=''
	[ -r "$STATE" ] || return 0
	while IFS='=' read -r k v; do
		case $k in
		boot) st_boot=$v ;;
		last_activity) st_last=$v ;;
		reason) st_reason=$v ;;
		cpu_total) st_cpu_total=$v ;;
		cpu_idle) st_cpu_idle=$v ;;
		model) st_model=$v ;;
		active) st_active=$v ;;
		esac
	done <"$STATE"
}

# --- signals of activity ------------------------------------------------

# ssh: established TCP connections to sshd's ports (sessions, tunnels,
# mlforge's own commands). Read from /proc: no tool needed.
activity_ssh() {
	n=0
	for p in $SSH_PORTS; do
		hex=$(printf ':%04X' "$p")
		for f in /proc/net/tcp /proc/net/tcp6; do
			[ -r "$f" ] || continue
			c=$(awk -v port="$hex" '$4 == "01" && substr($2, length($2) - 4) == port { n++ } END { print n + 0 }' "$f")
			n=$((n + c))
		done
	done
	[ "$n" -eq 0 ] || add "ssh: $n connection(s)"
}

docker_api() {
	[ -S "$DOCKER_SOCK" ] || return 1
	curl -fsS --max-time 5 --unix-socket "$DOCKER_SOCK" "http://docker$1" 2>/dev/null
}
urlenc() { printf '%s' "$1" | sed 's/{/%7B/g; s/}/%7D/g; s/"/%22/g; s/\[/%5B/g; s/\]/%5D/g; s/=/%3D/g; s/,/%2C/g'; }

# job_ids lists running jobs: one-off containers of the project (what
# `docker compose run` starts) and containers labelled JOB_LABEL.
job_ids() {
	oneoff='"com.docker.compose.oneoff=True"'
	[ -z "$PROJECT" ] || oneoff="$oneoff,\"com.docker.compose.project=$PROJECT\""
	{
		docker_api "/containers/json?filters=$(urlenc "{\"label\":[$oneoff]}")"
		docker_api "/containers/json?filters=$(urlenc "{\"label\":[\"$JOB_LABEL\"]}")"
	} | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 | sort -u
}

# job_progress prints "EPOCH NAME": when the job last showed progress (its
# last output line, else its start) and its name. Docker's timestamp leads
# the line, so a date in the job's own output is not taken for it.
job_progress() {
	info=$(docker_api "/containers/$1/json") || return 1
	name=$(printf '%s' "$info" | grep -o '"Name":"/[^"]*"' | head -n 1 | cut -d'"' -f4 | cut -c2-)
	t=$(to_epoch "$(printf '%s' "$info" | grep -o '"StartedAt":"[^"]*"' | head -n 1 | cut -d'"' -f4)")
	last=$(docker_api "/containers/$1/logs?stdout=1&stderr=1&tail=1&timestamps=1" | tr -c '0-9TZ:.\n-' ' ' |
		grep -o '[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9][.0-9]*Z' | head -n 1)
	if [ -n "$last" ]; then
		l=$(to_epoch "$last")
		[ "$l" -le "$t" ] || t=$l
	fi
	echo "$t ${name:-$1}"
}

activity_jobs() {
	for id in $(job_ids); do
		p=$(job_progress "$id") || continue
		# shellcheck disable=SC2086
		set -- $p
		[ $# -ge 2 ] || continue
		age=$((now - $1))
		if [ "$age" -le "$STALL_LIMIT" ]; then
			add "job $2"
		else
			stalled="${stalled:+$stalled, }$2 (no output for $(human "$age"))"
		fi
	done
}

# model: prediction requests since the last check, from the model server's
# Prometheus counter (health checks and scrapes do not increment it).
activity_model() {
	model=$st_model
	[ -n "$MODEL_METRICS_URL" ] && [ -n "$MODEL_COUNTER" ] || return 0
	cur=$(curl -fsS --max-time 5 "$MODEL_METRICS_URL" 2>/dev/null | awk -v name="$MODEL_COUNTER" '
		/^#/ { next }
		{ n = $0; sub(/[{ ].*/, "", n); if (n != name) next
		  v = $0; if (index(v, "}") > 0) sub(/^[^}]*}/, "", v); else sub(/^[^ ]*/, "", v)
		  split(v, f, " "); s += f[1]; found = 1 }
		END { if (found) printf "%.0f\n", s }')
	[ -n "$cur" ] || return 0
	model=$cur
	[ -n "$st_model" ] || return 0
	if [ "$cur" -gt "$st_model" ]; then
		add "model: $((cur - st_model)) request(s)"
	elif [ "$cur" -lt "$st_model" ] && [ "$cur" -gt 0 ]; then
		add "model: $cur request(s) since its restart"
	fi
}

activity_cpu() {
	# shellcheck disable=SC2046
	set -- $(awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6; exit }' /proc/stat)
	cpu_total=$1 cpu_idle=$2 cpu_pct=''
	[ -n "$st_cpu_total" ] && [ "$cpu_total" -gt "$st_cpu_total" ] || return 0
	dt=$((cpu_total - st_cpu_total))
	cpu_pct=$(((dt - (cpu_idle - st_cpu_idle)) * 100 / dt))
	[ "$CPU_THRESHOLD" -ge 100 ] || [ "$cpu_pct" -le "$CPU_THRESHOLD" ] || add "cpu: ${cpu_pct}%"
}

activity_gpu() {
	gpu_pct=''
	command -v nvidia-smi >/dev/null 2>&1 || return 0
	gpu_pct=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null |
		awk '$1 + 0 > m { m = $1 + 0 } END { print m + 0 }')
	[ "$GPU_THRESHOLD" -ge 100 ] || [ "$gpu_pct" -le "$GPU_THRESHOLD" ] || add "gpu: ${gpu_pct}%"
}

# --- the check ----------------------------------------------------------

write_state() {
	printf 'boot=%s\nlast_activity=%s\nreason=%s\ncpu_total=%s\ncpu_idle=%s\nmodel=%s\nactive=%s\n' \
		"$boot" "$last" "$(clean "$reason")" "$cpu_total" "$cpu_idle" "$model" "$active" >"$STATE.tmp" &&
		mv -f "$STATE.tmp" "$STATE"
}

write_json() {
	enabled=true stop_in=$((IDLE_TIMEOUT - idle))
	[ "$stop_in" -ge 0 ] || stop_in=0
	if [ "$IDLE_OFF" = 1 ]; then enabled=false stop_in=null; fi
	notice=$(cat "$NOTICE" 2>/dev/null || :)
	activeb=false
	[ "$active" = 0 ] || activeb=true
	cat >"$JSON.tmp" <<EOF
{"version":1,"enabled":$enabled,"timeoutSeconds":$IDLE_TIMEOUT,"intervalSeconds":$IDLE_INTERVAL,"stallLimitSeconds":$STALL_LIMIT,"checkedAt":"$(iso "$now")","lastActivity":"$(iso "$last")","reason":"$(clean "$reason")","active":$activeb,"idleSeconds":$idle,"stopInSeconds":$stop_in,"stopping":$stopping,"stalledJobs":"$(clean "$stalled")","cpuPercent":${cpu_pct:-null},"gpuPercent":${gpu_pct:-null},"modelRequests":${model:-null},"spotNotice":"$(clean "$notice")"}
EOF
	mv -f "$JSON.tmp" "$JSON"
}

check() {
	load_conf
	mkdir -p "$STATE_DIR"
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$STATE_DIR/idle.lock"
		flock -n 9 || return 0
	fi
	now=$(date +%s)
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
	read_state
	if [ "$st_boot" != "$boot" ] || [ -z "$st_last" ]; then
		# A fresh boot counts as activity: a started host gets a full period.
		st_last=$now st_reason=boot st_cpu_total='' st_cpu_idle='' st_model='' st_active=1
		if [ "$IDLE_OFF" = 1 ]; then log "watching for activity; idle stop is off"
		else log "watching for activity; the instance stops after $(human "$IDLE_TIMEOUT") without any"; fi
	fi
	reasons='' stalled=''
	activity_ssh
	activity_jobs
	activity_model
	activity_cpu
	activity_gpu
	last=$st_last reason=$st_reason active=0
	if [ -n "$reasons" ]; then last=$now reason=$reasons active=1; fi
	idle=$((now - last)) stopping=false
	if [ "$active" != "$st_active" ]; then
		if [ "$active" = 1 ]; then log "active: $reasons"
		else log "no activity since $(iso "$last") (last: $reason)${stalled:+; stalled: $stalled}"; fi
	fi
	if [ "$IDLE_OFF" != 1 ] && [ "$idle" -ge "$IDLE_TIMEOUT" ]; then stopping=true; fi
	write_state
	write_json
	[ "$stopping" = true ] && stop_now
	return 0
}

stop_now() {
	why="no activity for $(human "$idle") (idle stop after $(human "$IDLE_TIMEOUT")); last activity: $reason at $(iso "$last")${stalled:+; stalled: $stalled}"
	log "stopping the instance: $why"
	sync
	IDLE_REASON=$(clean "$why") sh -c "$STOP_COMMAND" || log "the stop command failed: $STOP_COMMAND"
	# Reached only where the stop command returns (tests): a new period starts.
	last=$now reason="stop requested" active=0
	write_state
}

# --- spot interruption --------------------------------------------------

compose_stop() {
	if [ -n "$PROJECT" ] && docker compose -p "$PROJECT" stop -t "$COMPOSE_GRACE" 2>&1; then
		return 0
	fi
	ids=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT")
	# shellcheck disable=SC2086
	[ -z "$ids" ] || docker stop -t "$COMPOSE_GRACE" $ids
}

spot_watch() {
	token='' token_at=0 handled=''
	body="$(mktemp)"
	trap 'rm -f "$body"' EXIT
	while :; do
		load_conf
		if [ "$SPOT" != 1 ]; then sleep 60; continue; fi
		t=$(date +%s)
		if [ -z "$token" ] || [ $((t - token_at)) -ge 18000 ]; then
			token=$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$IMDS_URL/latest/api/token" 2>/dev/null) || token=''
			token_at=$t
		fi
		code=000
		[ -z "$token" ] || code=$(curl -s -o "$body" -w '%{http_code}' --max-time 2 \
			-H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/spot/instance-action" 2>/dev/null)
		case $code in
		200) if [ -z "$handled" ]; then
			handled=1
			notice="$(clean "$(cat "$body")") received $(date -u +%Y-%m-%dT%H:%M:%SZ)"
			printf '%s\n' "$notice" >"$NOTICE"
			log "spot interruption notice ($notice): stopping the $PROJECT stack"
			if compose_stop; then log "the $PROJECT stack is stopped; EC2 stops the instance"
			else log "stopping the $PROJECT stack failed"; fi
		fi ;;
		401) token='' ;;
		esac
		sleep "$SPOT_POLL"
	done
}

# --- install ------------------------------------------------------------

need_curl() {
	command -v curl >/dev/null 2>&1 && return 0
	log "installing curl"
	if command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null &&
			apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends curl ca-certificates >/dev/null
	elif command -v dnf >/dev/null 2>&1; then dnf install -y -q curl
	fi
	command -v curl >/dev/null 2>&1 || { log "curl is missing and could not be installed: install it, then run $SELF install"; exit 1; }
}

sshd_dropin() {
	[ -d /etc/ssh/sshd_config.d ] || return 0
	cat >/etc/ssh/sshd_config.d/50-mlforge-idle.conf <<EOF
# mlforge idle stop: drop SSH connections whose client is gone (a closed
# laptop) within three minutes, so they stop counting as activity.
ClientAliveInterval 60
ClientAliveCountMax 3
EOF
}

units() {
	dir=${MLFORGE_UNIT_DIR:-/etc/systemd/system}
	mkdir -p "$dir"
	cat >"$dir/mlforge-idle.service" <<EOF
[Unit]
Description=mlforge idle stop: look for activity, stop the instance when idle
After=docker.service

[Service]
Type=oneshot
ExecStart=$SELF check
Nice=10
EOF
	cat >"$dir/mlforge-idle.timer" <<EOF
[Unit]
Description=mlforge idle stop every ${IDLE_INTERVAL}s

[Timer]
OnActiveSec=5
OnUnitActiveSec=${IDLE_INTERVAL}
AccuracySec=5

[Install]
WantedBy=timers.target
EOF
	cat >"$dir/mlforge-spot.service" <<EOF
[Unit]
Description=mlforge spot interruption watch: stop the stack before EC2 stops the instance
After=docker.service network-online.target

[Service]
ExecStart=$SELF spot-watch
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
EOF
}

start_bg() {
	setsid nohup "$SELF" "$2" >>"$LOGFILE" 2>&1 </dev/null &
	echo $! >"$STATE_DIR/$1.pid"
}

# stop_bg ends a loop this script started, checking the pid is still ours.
stop_bg() {
	pid=$(cat "$STATE_DIR/$1.pid" 2>/dev/null) || return 0
	if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "idle.sh $2"; then
		kill "$pid" 2>/dev/null || :
	fi
	rm -f "$STATE_DIR/$1.pid"
}

install_agent() {
	load_conf
	mkdir -p "$STATE_DIR"
	need_curl
	sshd_dropin
	if [ -d /run/systemd/system ]; then
		units
		systemctl daemon-reload
		systemctl enable --now mlforge-idle.timer
		if [ "$SPOT" = 1 ]; then systemctl enable --now mlforge-spot.service; systemctl restart mlforge-spot.service
		else systemctl disable --now mlforge-spot.service 2>/dev/null || :; fi
		if sshd -t 2>/dev/null; then systemctl reload ssh 2>/dev/null || systemctl reload sshd 2>/dev/null || :
		else rm -f /etc/ssh/sshd_config.d/50-mlforge-idle.conf; log "sshd rejected the keepalive settings; left them out"; fi
		log "installed: systemd timer every $(human "$IDLE_INTERVAL")$([ "$SPOT" = 1 ] && echo ', spot watch')"
	else
		stop_bg idle-loop loop
		stop_bg spot-watch spot-watch
		start_bg idle-loop loop
		[ "$SPOT" != 1 ] || start_bg spot-watch spot-watch
		log "installed: no systemd, background loops logging to $LOGFILE$([ "$SPOT" = 1 ] && echo ', spot watch')"
	fi
}

case ${1:-} in
check) check ;;
loop) while :; do
	( check ) || log "check failed"
	load_conf
	sleep "$IDLE_INTERVAL"
done ;;
spot-watch) spot_watch ;;
install) install_agent ;;
units) load_conf; units ;;
status) load_conf; cat "$JSON" ;;
*) echo "usage: $0 check|loop|spot-watch|install|units|status" >&2; exit 2 ;;
esac
