#!/bin/sh
# Installs locked packages into an image layer with uv (the uv stage,
# mounted at /opt/uv), and nothing a running container does not need: no
# cache, no test suites of the big scientific packages, no C headers or
# Cython sources (they only build extensions). What stays is byte-compiled,
# so containers start without compiling it (the images set
# PYTHONDONTWRITEBYTECODE, so nothing would keep it).
# Arguments are pip's: -r LOCK, --no-deps.
set -eu
/opt/uv/bin/uv pip install --python "$(command -v python)" --no-cache "$@"
site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cd "$site"
# Only these packages' tests folders: elsewhere a folder named tests can be
# part of the package (evidently.tests is its API).
for pkg in numpy pandas scipy sklearn pyarrow statsmodels; do
    if [ -d "$pkg" ]; then
        find "$pkg" -depth -type d -name tests -exec rm -rf {} +
    fi
done
rm -rf numpy/_core/include pyarrow/include pyarrow/src pyarrow/_pyarrow_cpp_tests.*
# plotly's JupyterLab extension (evidently draws with plotly; no notebooks here)
rm -rf jupyterlab_plotly "$(python -c 'import sys; print(sys.prefix)')/share/jupyter"
find . -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.hpp' \) -delete
# Byte code, after the deletions (the test suites are thousands of files),
# on every core; what an earlier layer compiled is up to date and stays in
# that layer. Not for plotly's 13,600 validator modules: 8 s of a cold
# build on two cores, while a drift report imports about 160 of them
# (compiled in memory then, in a fraction of a second).
python /usr/local/lib/compile_packages.py "$site" --skip /plotly/validators/
rm -rf /root/.cache /tmp/*
