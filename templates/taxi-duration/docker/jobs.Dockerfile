# The one-shot jobs: train (python -m taxi_duration.train) and monitor
# (python -m taxi_duration.monitor).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

COPY requirements/jobs.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt

RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/predictions /data/reports && chown -R app:app /data
WORKDIR /app
COPY data/ /app/data/
COPY src/ /app/src/
ENV PYTHONPATH=/app/src
USER app
CMD ["python", "-m", "taxi_duration.train"]
