# The stack's Python images, one stage each (compose picks one with
# build.target), layered so that the bytes they share are built and
# shipped once:
#
#   uv          the installer (uv, from PyPI): mounted into the steps that
#               install packages, never a layer of an image
#   base        the Python base image, the app user, the install script
#   serve-deps  the model server's packages (requirements/serve.txt)
#   serve       + the code: the model server
#   jobs-deps   + what the jobs add (requirements/jobs.txt, which keeps
#               serve's versions: a model pickled by train loads in serve)
#   jobs        + the code and the sample data: train, monitor, replay, the
#               Prefect worker and the alert bridge
#   mlflow      + the MLflow server and its backends' drivers (requirements/mlflow.txt);
#               the Prefect server runs this image too (jobs-deps holds the
#               worker's Prefect, which is all the server needs)
#
# The base image is a build argument, so air-gapped builds can point at a mirror.
ARG BASE_IMAGE=python:3.11-slim

# uv installs the locks (the same files pip reads) about three times as
# fast as pip: downloads, unpacking and byte-compiling run in parallel.
FROM ${BASE_IMAGE} AS uv
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir --target /opt/uv "uv==${UV_VERSION}"

FROM ${BASE_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin app
COPY docker/install-packages.sh docker/compile_packages.py /usr/local/lib/

FROM base AS serve-deps
COPY requirements/serve.txt /tmp/req/serve.txt
RUN --mount=from=uv,source=/opt/uv,target=/opt/uv sh /usr/local/lib/install-packages.sh -r /tmp/req/serve.txt

FROM serve-deps AS serve
RUN mkdir -p /data/predictions && chown -R app:app /data
WORKDIR /app
COPY src/ /app/src/
RUN python -m compileall -q /app/src
ENV PYTHONPATH=/app/src
USER app
EXPOSE 9696
CMD ["python", "-m", "taxi_duration.serve"]

FROM serve-deps AS jobs-deps
COPY requirements/jobs.txt /tmp/req/jobs.txt
RUN --mount=from=uv,source=/opt/uv,target=/opt/uv sh /usr/local/lib/install-packages.sh -r /tmp/req/jobs.txt

FROM jobs-deps AS jobs
RUN mkdir -p /data/predictions /data/reports && chown -R app:app /data
WORKDIR /app
COPY data/ /app/data/
COPY src/ /app/src/
RUN python -m compileall -q /app/src
ENV PYTHONPATH=/app/src
USER app
CMD ["python", "-m", "taxi_duration.train"]

# --no-deps: mlflow.txt is the whole lock, less what the server never
# imports (see requirements/mlflow-server.txt); jobs-deps has the rest.
#
# The Prefect server (the compose file's prefect service) runs this image
# rather than one of its own: an image of its own held no more bytes, but
# the build exported the shared package layers twice at once (once for it,
# once for jobs), 9 CPU-seconds of a cold build; and it is not the jobs
# image, which a code change replaces (the orchestrator would restart
# with every change to src/). Its database is SQLite on the prefect volume
# by default, PostgreSQL when PREFECT_API_DATABASE_CONNECTION_URL names one
# (prefect_server.py creates the database on the first start); it copies
# its UI into a writable folder at start: not the read-only site-packages,
# not the volume.
FROM jobs-deps AS mlflow
COPY requirements/mlflow.txt /tmp/req/mlflow.txt
RUN --mount=from=uv,source=/opt/uv,target=/opt/uv sh /usr/local/lib/install-packages.sh --no-deps -r /tmp/req/mlflow.txt
COPY docker/prefect_server.py /usr/local/lib/prefect_server.py
RUN mkdir -p /mlflow/artifacts /prefect /opt/prefect-ui && chown -R app:app /mlflow /prefect /opt/prefect-ui
USER app
WORKDIR /mlflow
EXPOSE 5000 4200
