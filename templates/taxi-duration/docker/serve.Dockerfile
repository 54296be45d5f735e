# The model server: loads models:/taxi-duration@production from MLflow and
# answers POST /predict on port 9696.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

COPY requirements/serve.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt

RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/predictions && chown -R app:app /data
WORKDIR /app
COPY src/ /app/src/
ENV PYTHONPATH=/app/src
USER app
EXPOSE 9696
CMD ["python", "-m", "taxi_duration.serve"]
