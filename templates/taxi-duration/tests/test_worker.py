"""The worker and the alert bridge against a throwaway Prefect server: the
worker registers its deployments (its health check says so), and repeated
drift alerts start one retrain, never a second one while it runs.

    pytest -m orchestrator
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from taxi_duration import alerts, sample, workercheck
from taxi_duration.alerts_http import make_handler
from taxi_duration.settings import Settings
from taxi_duration.train import run as train

pytestmark = pytest.mark.orchestrator
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def api_post(api: str, path: str, body: dict):
    req = urllib.request.Request(
        api + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        data = resp.read()
    return json.loads(data) if data else None


def wait_for(what: str, check, seconds: float, explain=lambda: ""):
    deadline = time.monotonic() + seconds
    while not (result := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:g}s for {what}: {explain()}")
        time.sleep(0.5)
    return result


@pytest.fixture
def worker(tmp_path, monkeypatch, prefect_api, pushgateway):
    """The worker process (python -m taxi_duration.deployments) serving the
    deployments against a throwaway MLflow store with a production model."""
    env = os.environ | {
        "PREFECT_API_URL": prefect_api,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "DO_NOT_TRACK": "1",
        "PYTHONPATH": str(ROOT / "src"),
        "MLFLOW_ALLOW_FILE_STORE": "true",
        "MLFLOW_TRACKING_URI": f"file://{tmp_path}/mlruns",
        "TRAIN_DATA": str(SAMPLE / "green_tripdata_2024-01.parquet"),
        "VAL_DATA": str(SAMPLE / "green_tripdata_2024-02.parquet"),
        "INCOMING_DIR": str(tmp_path / "incoming"),
        "PUSHGATEWAY_URL": pushgateway.address,
        "MONITOR_INTERVAL": "1h",
    }
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    s = Settings(tracking_uri=env["MLFLOW_TRACKING_URI"], train_data=Path(env["TRAIN_DATA"]))
    train(s, s.train_data, Path(env["VAL_DATA"]))
    sample.main(["--drifted", "--out", env["INCOMING_DIR"], "2024-03", "2024-04"])
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "taxi_duration.deployments"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield proc, tmp_path / "worker.log"
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def bridge(prefect_api):
    """The alert bridge on a loopback port, delivering to the Prefect server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(alerts.Bridge(prefect_api)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def drift_alert() -> dict:
    """A notification as Alertmanager posts it for the drift alert."""
    return {
        "version": "4",
        "status": "firing",
        "receiver": "retrain",
        "groupKey": '{}/{action="retrain"}:{alertname="TaxiDurationDataDrift"}',
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "TaxiDurationDataDrift",
                    "action": "retrain",
                    "severity": "warning",
                },
                "annotations": {"summary": "Data drift: 75% of the columns drifted"},
                "startsAt": "2026-01-01T00:00:00Z",
                "fingerprint": "5a1b2c3d4e5f6a7b",
            }
        ],
    }


def retrain_runs(api: str) -> list[dict]:
    """The retrain deployment's flow runs, oldest first."""
    runs = api_post(api, "/flow_runs/filter", {"deployments": {"name": {"any_": ["retrain"]}}})
    return sorted(runs, key=lambda r: r["created"])


def send_alerts(bridge: str, count: int) -> None:
    """Post the drift alert to the bridge count times, as Alertmanager
    does when it notifies the same alert again and again."""
    for _ in range(count):
        with urllib.request.urlopen(
            urllib.request.Request(bridge + "/prefect", data=json.dumps(drift_alert()).encode(), method="POST"),
            timeout=10,
        ) as resp:
            assert json.loads(resp.read()) == {"delivered": 1}


def wait_final(api: str, count: int, log: Path) -> list[dict]:
    """Wait until the retrain deployment has count runs, all finished."""
    return wait_for(
        f"{count} retrain runs to finish",
        lambda: (r := retrain_runs(api)) and len(r) == count and all(x["state_type"] in FINAL for x in r) and r,
        240,
        lambda: f"{[(r['name'], r['state_name']) for r in retrain_runs(api)]}; worker log:\n" + log.read_text()[-3000:],
    )


def assert_never_ran(run: dict) -> None:
    """A run the deployment's concurrency limit cancelled before it started."""
    assert run["state_type"] == "CANCELLED", (run["name"], run["state_name"])
    assert run["state"]["message"] == "Deployment concurrency limit reached."
    assert run["start_time"] is None or run["start_time"] == run["end_time"]


def overlapping(runs: list[dict]) -> list[tuple[str, str]]:
    """The pairs of runs whose [start, end] intervals overlap."""
    spans = [(r["name"], datetime.fromisoformat(r["start_time"]), datetime.fromisoformat(r["end_time"])) for r in runs]
    return [(a, b) for i, (a, s1, e1) in enumerate(spans) for b, s2, e2 in spans[i + 1 :] if s1 < e2 and s2 < e1]


def test_repeated_alerts_start_one_retrain(worker, bridge, prefect_api):
    proc, log = worker
    get = workercheck.http_get(prefect_api)
    wait_for(
        "the worker's health check to pass",
        lambda: proc.poll() is None and not workercheck.problems(get),
        120,
        lambda: f"{workercheck.problems(get)}; worker log:\n{log.read_text()[-3000:]}",
    )
    monitor = get("/deployments/name/monitor/monitor")
    assert monitor["schedules"][0]["schedule"]["interval"] == 3600

    # A burst: the same alert three times. How many retrains the server
    # starts depends on how fast it turns events into runs against how
    # long a retrain takes; what never happens is two running at once.
    send_alerts(bridge, 3)
    burst = wait_final(prefect_api, 3, log)
    completed = [r for r in burst if r["state_type"] == "COMPLETED"]
    assert completed, [(r["name"], r["state_name"]) for r in burst]
    for r in burst:
        if r["state_type"] != "COMPLETED":
            assert_never_ran(r)
    assert not overlapping(completed)
    assert completed[0]["parameters"] == {"trigger": "TaxiDurationDataDrift"}
    assert completed[0]["state"]["message"].startswith("promoted challenger version 2")

    # Alerts while a retrain holds the deployment's one slot (taken here
    # the way a starting run takes it): every run they start is cancelled
    # before it runs.
    deployment = get("/deployments/name/retrain/retrain")["id"]
    lease = api_post(
        prefect_api,
        "/v2/concurrency_limits/increment-with-lease",
        {"names": [f"deployment:{deployment}"], "slots": 1, "lease_duration": 300},
    )["lease_id"]
    try:
        send_alerts(bridge, 2)
        held = wait_final(prefect_api, len(burst) + 2, log)[len(burst) :]
    finally:
        api_post(prefect_api, "/v2/concurrency_limits/decrement-with-lease", {"lease_id": lease})
    for r in held:
        assert_never_ran(r)
