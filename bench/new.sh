#!/usr/bin/env bash
# `mlforge new` for the blank template, end to end through the built
# binary, against cookiecutter rendering a template of the same files.
# Target: mlforge new (blank) under 50 ms.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
need hyperfine
mlforge=$(build_mlforge)

venv="$CACHE_DIR/bench-venv"
if [ ! -x "$venv/bin/cookiecutter" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q cookiecutter==2.6.0
fi

# A cookiecutter template holding exactly what blank renders.
"$mlforge" new "$work/ref" --template blank --no-git --set project_name=demo >/dev/null
tpl="$work/cc"
mkdir -p "$tpl"
cp -r "$work/ref" "$tpl/{{cookiecutter.project_name}}"
grep -rl demo "$tpl" | xargs sed -i 's/demo/{{cookiecutter.project_name}}/g'
printf '{"project_name": "demo"}\n' > "$tpl/cookiecutter.json"
files=$(find "$work/ref" -type f | wc -l)

out="$work/out"
hyperfine -N --warmup 3 --runs 30 --export-json "$work/new.json" \
  --prepare "rm -rf $out" \
  -n "mlforge new (blank, git commit)" "$mlforge new $out/p --template blank --set project_name=demo" \
  -n "mlforge new (blank, --no-git)" "$mlforge new $out/p --template blank --set project_name=demo --no-git" \
  -n "cookiecutter (same $files files)" "$venv/bin/cookiecutter --no-input -o $out $tpl" >&2
read -r with_git no_git cc <<<"$(mean_ms "$work/new.json")"
echo "mlforge new blank (with git commit): ${with_git} ms (target < 50 ms)"
echo "mlforge new blank (--no-git):        ${no_git} ms"
echo "cookiecutter, same ${files} files:        ${cc} ms"
python3 -c "import sys; a,b,c=map(float,sys.argv[1:]); print('cookiecutter / mlforge: %.1fx (with git), %.1fx (no git)' % (c/a, c/b))" "$with_git" "$no_git" "$cc"
