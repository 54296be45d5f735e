# Stand-in for python:3.11-slim: Debian bookworm's Python 3.11 in a venv that
# is first on PATH, so `python` and `pip install` behave as in the original.
# Like the original, it keeps no apt caches, package lists, docs or pip
# cache: image size and shipping benchmarks measure the project's layers on
# a base of about the original's size, not apt's 78 MB package cache.
FROM local/debian:bookworm
COPY ca-certificates.crt /usr/local/share/mlforge-ca.crt
ENV SSL_CERT_FILE=/usr/local/share/mlforge-ca.crt \
    REQUESTS_CA_BUNDLE=/usr/local/share/mlforge-ca.crt \
    PIP_CERT=/usr/local/share/mlforge-ca.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=180 \
    PATH=/usr/local/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-venv ca-certificates libgomp1 >/dev/null && \
    apt-get clean && \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* && \
    python3 -m venv /usr/local/venv && \
    /usr/local/venv/bin/pip install -q --no-cache-dir --upgrade pip setuptools wheel
CMD ["python3"]
