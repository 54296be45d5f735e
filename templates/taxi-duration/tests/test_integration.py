"""Integration test against the running stack (make up):

    pytest -m integration

It trains, predicts the course's ride, runs the monitor and checks that
Prometheus serves the drift metrics; with the orchestrator up, it checks the
worker's deployments and runs the retrain flow through Prefect. Ports come
from .env (or SERVE_PORT, PROMETHEUS_PORT, PREFECT_PORT in the environment).
"""

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from taxi_duration import workercheck

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


def port(name: str, default: int) -> int:
    if os.environ.get(name):
        return int(os.environ[name])
    env = ROOT / ".env"
    if env.exists():
        for line in env.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == name and value:
                return int(value)
    return default


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, json.loads(resp.read())


def wait(url: str, seconds: float = 60):
    deadline = time.time() + seconds
    while True:
        try:
            return get(url)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(1)


@pytest.fixture(scope="module")
def stack():
    serve = f"http://127.0.0.1:{port('SERVE_PORT', 9696)}"
    try:
        urllib.request.urlopen(f"{serve}/live", timeout=2)
    except OSError:
        pytest.skip(f"the stack is not running ({serve}/live does not answer): make up")
    return serve, f"http://127.0.0.1:{port('PROMETHEUS_PORT', 9090)}"


def compose(*args: str) -> str:
    return subprocess.run(
        ["docker", "compose", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_train_predict_monitor(stack):
    serve, prometheus = stack
    compose("run", "--rm", "train")
    status, health = wait(f"{serve}/health")
    assert status == 200 and health["model_version"]
    req = urllib.request.Request(
        f"{serve}/predict",
        data=json.dumps({"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = json.loads(resp.read())
    assert body["duration"] > 0 and body["model_version"] == health["model_version"]
    replayed = compose("run", "--rm", "replay", "python", "-m", "taxi_duration.replay", "--rows", "200")
    assert "replayed 200 rides" in replayed
    time.sleep(1.5)  # the server flushes its prediction log every 0.5 s
    assert "drift share" in compose("run", "--rm", "monitor")
    deadline = time.time() + 60
    while time.time() < deadline:
        _, result = get(f"{prometheus}/api/v1/query?query=taxi_drift_share")
        if result["data"]["result"]:
            return
        time.sleep(2)
    pytest.fail("prometheus does not serve taxi_drift_share")


def test_orchestrator(stack):
    api = f"http://127.0.0.1:{port('PREFECT_PORT', 4200)}/api"
    try:
        urllib.request.urlopen(f"{api}/health", timeout=2)
    except OSError:
        pytest.skip(f"the orchestrator is not running ({api}/health does not answer)")
    deadline = time.time() + 120
    while problems := workercheck.problems(workercheck.http_get(api)):
        if time.time() > deadline:
            pytest.fail(f"the worker is not ready: {problems}")
        time.sleep(2)
    compose("run", "--rm", "train")
    out = compose("run", "--rm", "retrain")
    assert "Flow run finished successfully in 'Completed'" in out
