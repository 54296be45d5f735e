"""Settings read from the environment, with defaults that work in the stack."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from taxi_duration import MODEL_NAME, PRODUCTION_ALIAS


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name}: {raw!r} is not a number") from exc


def _int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name}: {raw!r} is not a whole number") from exc


@dataclass(frozen=True)
class Settings:
    """Everything the jobs and the server read from the environment."""

    tracking_uri: str = field(default_factory=lambda: _env("MLFLOW_TRACKING_URI", "http://localhost:5000"))
    model_name: str = field(default_factory=lambda: _env("MODEL_NAME", MODEL_NAME))
    model_alias: str = field(default_factory=lambda: _env("MODEL_ALIAS", PRODUCTION_ALIAS))
    model_layout: str = field(default_factory=lambda: _env("MODEL_LAYOUT", "pu-do"))
    experiment: str = field(default_factory=lambda: _env("MLFLOW_EXPERIMENT", "taxi-duration"))
    train_data: Path = field(
        default_factory=lambda: Path(_env("TRAIN_DATA", "data/sample/green_tripdata_2024-01.parquet"))
    )
    val_data: Path = field(default_factory=lambda: Path(_env("VAL_DATA", "data/sample/green_tripdata_2024-02.parquet")))
    predictions_dir: Path = field(default_factory=lambda: Path(_env("PREDICTIONS_DIR", "data/predictions")))
    reports_dir: Path = field(default_factory=lambda: Path(_env("REPORTS_DIR", "data/reports")))
    serve_url: str = field(default_factory=lambda: _env("SERVE_URL", "http://localhost:9696"))
    pushgateway_url: str = field(default_factory=lambda: _env("PUSHGATEWAY_URL", "localhost:9091"))
    poll_seconds: float = field(default_factory=lambda: _float("MODEL_POLL_SECONDS", 10.0))
    drift_threshold: float = field(default_factory=lambda: _float("DRIFT_THRESHOLD", 0.5))
    monitor_window_hours: float = field(default_factory=lambda: _float("MONITOR_WINDOW_HOURS", 24.0))
    monitor_min_rows: int = field(default_factory=lambda: _int("MONITOR_MIN_ROWS", 100))
    reference_rows: int = field(default_factory=lambda: _int("REFERENCE_ROWS", 5000))
    host: str = field(default_factory=lambda: _env("HOST", "0.0.0.0"))
    port: int = field(default_factory=lambda: _int("PORT", 9696))
    workers: int = field(default_factory=lambda: _int("SERVE_WORKERS", 1))
    monitor_interval: str = field(default_factory=lambda: _env("MONITOR_INTERVAL", "1h"))
    incoming_dir: Path = field(default_factory=lambda: Path(_env("INCOMING_DIR", "data/incoming")))
    incoming_uri: str = field(default_factory=lambda: _env("INCOMING_URI", ""))
    retrain_window_months: int = field(default_factory=lambda: _int("RETRAIN_WINDOW_MONTHS", 1))
    retrain_min_improvement: float = field(default_factory=lambda: _float("RETRAIN_MIN_IMPROVEMENT", 0.02))
