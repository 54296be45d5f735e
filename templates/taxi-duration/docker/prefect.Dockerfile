# The Prefect server: API, UI, scheduler and automations. SQLite on the
# prefect volume by default; PostgreSQL when PREFECT_API_DATABASE_CONNECTION_URL
# names one (prefect_server.py creates the database on the first start).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

COPY requirements/prefect.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt

# The server copies its UI into a writable folder at start: not the
# read-only site-packages, not the volume.
RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin prefect \
    && mkdir -p /prefect /opt/prefect-ui && chown -R prefect:prefect /prefect /opt/prefect-ui
COPY docker/prefect_server.py /usr/local/lib/prefect_server.py
USER prefect
ENV PREFECT_HOME=/prefect PREFECT_UI_STATIC_DIRECTORY=/opt/prefect-ui
WORKDIR /prefect
EXPOSE 4200
CMD ["python", "/usr/local/lib/prefect_server.py"]
