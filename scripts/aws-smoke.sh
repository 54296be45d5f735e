#!/usr/bin/env bash
# Real-AWS smoke test, for a maintainer with AWS credentials: scaffold the
# default template, `mlforge up --target aws` on a small instance, one
# prediction through `mlforge tunnel`, then `mlforge destroy --delete-data`.
# It creates real resources in your account and says what they cost before
# it starts; they are torn down when it ends, fails or is interrupted.
#
#   scripts/aws-smoke.sh                 # us-east-1, t3.medium
#   AWS_REGION=eu-west-1 SMOKE_INSTANCE_TYPE=t3.large scripts/aws-smoke.sh
#
# MLFORGE names the mlforge binary (default: mlforge on PATH).
set -euo pipefail

MLFORGE=${MLFORGE:-mlforge}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
# The smallest type the taxi stack (MLflow, model server, Prometheus,
# Pushgateway, Grafana, a training job) fits in: 4 GiB.
TYPE=${SMOKE_INSTANCE_TYPE:-t3.medium}

say() { printf 'aws-smoke: %s\n' "$*" >&2; }
die() { say "$*"; exit "${2:-1}"; }

command -v "$MLFORGE" >/dev/null 2>&1 || die "no mlforge binary ($MLFORGE): build it (make build) and set MLFORGE=bin/mlforge" 2

# Credentials first: nothing is created without them.
if ! "$MLFORGE" doctor --json 2>/dev/null | python3 -c '
import json, sys
checks = {c["name"]: c for c in json.load(sys.stdin)}
sys.exit(0 if checks.get("AWS credentials", {}).get("ok") else 1)
'; then
	die "no working AWS credentials (mlforge doctor's \"AWS credentials\" check fails): this script creates real, billed resources and needs an account; configure credentials (aws configure, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and run it again. Nothing was created." 2
fi

work=$(mktemp -d)
project="mlf-smoke-$(date +%H%M%S)"
tunnel_pid=""
cleanup() {
	status=$?
	trap - EXIT INT TERM
	if [ -n "$tunnel_pid" ]; then kill "$tunnel_pid" 2>/dev/null || true; fi
	if [ -f "$work/$project/mlforge.yaml" ]; then
		say "tearing down (destroy --delete-data)"
		(cd "$work/$project" && "$MLFORGE" destroy --delete-data --yes) || say "destroy failed: look for resources tagged mlforge:project=$project in $REGION"
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$MLFORGE" new "$work/$project" --set "project_name=$project" --set "aws_region=$REGION" --no-git >/dev/null
cd "$work/$project"
sed -i "s/^  instanceType: .*/  instanceType: $TYPE/" mlforge.yaml
say "expected cost (the environment lives for the test only, about 15 minutes):"
"$MLFORGE" cost --offline --target aws >&2

start=$(date +%s)
"$MLFORGE" up --target aws --yes
say "up took $(($(date +%s) - start)) s"

"$MLFORGE" tunnel serve --target aws --json >"$work/tunnel.json" &
tunnel_pid=$!
url=""
for _ in $(seq 60); do
	url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["url"])' "$work/tunnel.json" 2>/dev/null || true)
	[ -n "$url" ] && break
	sleep 1
done
[ -n "$url" ] || die "the tunnel did not open"
curl -fsS -X POST "$url/predict" -H 'content-type: application/json' \
	-d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}'
echo
say "prediction through the tunnel: ok"
