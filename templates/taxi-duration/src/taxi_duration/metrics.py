"""Prometheus metrics of the model server.

With several worker processes (SERVE_WORKERS > 1) the server sets
PROMETHEUS_MULTIPROC_DIR before the workers start, and /metrics adds up
every worker's values.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "taxi_requests",
    "Prediction requests by endpoint and HTTP status.",
    ["endpoint", "code"],
)
LATENCY = Histogram(
    "taxi_request_latency_seconds",
    "Time to answer a prediction request.",
    ["endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
PREDICTIONS = Histogram(
    "taxi_prediction_minutes",
    "Predicted trip durations in minutes.",
    buckets=(1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120),
)
MODEL_VERSION = Gauge(
    "taxi_model_version",
    "Registry version of the model being served.",
    multiprocess_mode="livemax",
)
MODEL_LOADED = Gauge(
    "taxi_model_loaded",
    "1 when a model is loaded and predictions are served.",
    multiprocess_mode="livemin",
)


def forget_dead_workers() -> None:
    """Drop the live gauges of worker processes that are gone (a worker
    restarted by uvicorn leaves its files behind)."""
    root = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not root:
        return
    pids = set()
    for path in Path(root).glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit():
            pids.add(int(pid))
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, root)
        except PermissionError:
            pass


def render() -> tuple[bytes, str]:
    """Return the metrics page and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
