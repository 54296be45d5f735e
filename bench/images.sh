#!/usr/bin/env bash
# The taxi-duration template's images: each image's size, and what a first
# deploy to a fresh host ships, counting every layer once however many
# images share it: uncompressed, and gzip-compressed at the level mlforge
# ships with (gzip -1). The stack is built from a fresh `mlforge new`
# (docker compose build), or pass image references to measure those.
#   bench/images.sh                      # build and measure the template's images
#   bench/images.sh IMAGE...             # measure these
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
need docker
if [ $# -eq 0 ]; then
  mlforge=$(build_mlforge)
  name=bench-images
  (cd "$work" && "$mlforge" new "$name" --set project_name="$name" >/dev/null)
  (cd "$work/$name" && docker compose build mlflow serve worker >"$work/build.log" 2>&1) || {
    tail -n 40 "$work/build.log" >&2; echo "bench: the build failed" >&2; exit 1; }
  set -- "$name-serve:latest" "$name-jobs:latest" "$name-mlflow:latest"
  # The orchestrator added to the stack: its server runs one of the three.
  orchestrator=$(cd "$work/$name" && docker compose config --format json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["services"]["prefect"]["image"])')
  echo "the Prefect server runs $orchestrator: it adds 0 MB"
fi
for img in "$@"; do
  printf '%-34s %8.1f MB\n' "$img" "$(docker image inspect -f '{{.Size}}' "$img" | awk '{print $1/1e6}')"
done
# unique layers over the images with their compressed size, and how much of
# it is the base image's (the images' first layers)
base=${BASE_IMAGE:-python:3.11-slim}
nbase=$(docker image inspect -f '{{len .RootFS.Layers}}' "$base")
mkdir -p "$work/save"
docker save "$@" | tar -x -C "$work/save"
python3 - "$work/save" "$base" "$nbase" <<'PY'
import json, os, subprocess, sys
root, base, nbase = sys.argv[1], sys.argv[2], int(sys.argv[3])
manifest = json.load(open(os.path.join(root, "manifest.json")))
layers, first = {}, {}
for entry in manifest:
    for i, layer in enumerate(entry["Layers"]):
        layers.setdefault(layer, os.path.getsize(os.path.join(root, layer)))
        first.setdefault(layer, (entry["RepoTags"] or ["?"])[0])
def gz(path):
    p = subprocess.run(f"gzip -1 -c '{path}' | wc -c", shell=True, capture_output=True, text=True, check=True)
    return int(p.stdout)
gzs = {l: gz(os.path.join(root, l)) for l in layers}
raw, comp = sum(layers.values()), sum(gzs.values())
baselayers = manifest[0]["Layers"][:nbase]
print(f"{base} (the base, in every image): {sum(layers[l] for l in baselayers)/1e6:.1f} MB, "
      f"{sum(gzs[l] for l in baselayers)/1e6:.1f} MB gzip -1")
per = {}
for entry in manifest:
    own = [l for l in entry["Layers"] if first[l] == (entry["RepoTags"] or ["?"])[0]]
    per[(entry["RepoTags"] or ["?"])[0]] = sum(layers[l] for l in own)
for ref, n in per.items():
    print(f"{ref:34} adds {n/1e6:8.1f} MB of layers the images before it lack")
print(f"first deploy ships {len(layers)} layers: {raw/1e6:.1f} MB, {comp/1e6:.1f} MB gzip -1")
PY
