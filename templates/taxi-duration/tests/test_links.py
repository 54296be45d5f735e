"""Tests of the MLflow addresses the jobs print."""

from taxi_duration import links


def test_run_url_uses_the_address_people_open(monkeypatch):
    """The published port, not the compose network's name."""
    monkeypatch.setenv("MLFLOW_UI_URL", "http://127.0.0.1:5001/")
    assert links.run_url("http://mlflow:5000", "3", "abc") == "http://127.0.0.1:5001/#/experiments/3/runs/abc"


def test_run_url_falls_back_to_the_tracking_uri(monkeypatch):
    """Outside the stack (make train on a laptop) the tracking URI is the address."""
    monkeypatch.delenv("MLFLOW_UI_URL", raising=False)
    assert links.run_url("http://localhost:5000/", "1", "r") == "http://localhost:5000/#/experiments/1/runs/r"
