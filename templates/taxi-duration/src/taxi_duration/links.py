"""Addresses of MLflow pages that the person running a job can open.

Inside the stack the jobs reach MLflow as ``http://mlflow:5000``, a name
that exists only on the compose network. People open it on the port the
stack publishes on 127.0.0.1 (``MLFLOW_UI_URL``; on a remote host through
``mlforge tunnel``, which forwards the same port when it is free).
"""

from __future__ import annotations

import os


def ui_url(tracking_uri: str) -> str:
    """Return the MLflow UI's base URL for people, without a trailing slash."""
    return (os.environ.get("MLFLOW_UI_URL", "").strip() or tracking_uri).rstrip("/")


def run_url(tracking_uri: str, experiment_id: str, run_id: str) -> str:
    """Return the address of a run's page in the MLflow UI."""
    return f"{ui_url(tracking_uri)}/#/experiments/{experiment_id}/runs/{run_id}"
