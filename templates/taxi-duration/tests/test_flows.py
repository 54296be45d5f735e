"""The flows against a throwaway Prefect server and MLflow store:

pytest -m orchestrator
"""

import json
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from taxi_duration import flows, sample
from taxi_duration.features import RIDE_FIELDS, read_trips
from taxi_duration.predlog import PredictionLog

pytestmark = pytest.mark.orchestrator
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture
def env(tmp_path, monkeypatch, pushgateway, prefect_api):
    """The stack's settings for a throwaway MLflow store, the sample months
    and a stand-in pushgateway."""
    settings = {
        "MLFLOW_ALLOW_FILE_STORE": "true",
        "MLFLOW_TRACKING_URI": f"file://{tmp_path}/mlruns",
        "TRAIN_DATA": str(SAMPLE / "green_tripdata_2024-01.parquet"),
        "VAL_DATA": str(SAMPLE / "green_tripdata_2024-02.parquet"),
        "INCOMING_DIR": str(tmp_path / "incoming"),
        "PREDICTIONS_DIR": str(tmp_path / "predictions"),
        "PUSHGATEWAY_URL": pushgateway.address,
        "MONITOR_MIN_ROWS": "100",
    }
    for k, v in settings.items():
        monkeypatch.setenv(k, v)
    return tmp_path


def latest_artifact(api: str, key: str) -> dict:
    with urllib.request.urlopen(f"{api}/artifacts/{key}/latest", timeout=10) as resp:
        artifact = json.loads(resp.read())
    data = artifact["data"]
    return (json.loads(data) if isinstance(data, str) else data)[0]


def log_traffic(folder: Path, trips: pd.DataFrame, rows: int) -> None:
    """Log rows rides of trips as the model server would (its predictions
    stand in for the model's: the monitor compares distributions)."""
    log = PredictionLog(folder)
    for t in trips.sample(rows, random_state=3).itertuples(index=False):
        log.record(
            int(t.PULocationID),
            int(t.DOLocationID),
            float(t.trip_distance),
            3.0 * t.trip_distance + 4,
            "1",
        )
    log.flush()


def test_train_flow(env, prefect_api):
    state = flows.train(return_state=True)
    assert state.is_completed(), state
    assert state.message.startswith("promoted version 1 (val RMSE")
    row = latest_artifact(prefect_api, flows.TRAIN_ARTIFACT)
    assert row["decision"] == "promoted" and row["challenger_version"] == "1"
    again = flows.train(return_state=True)  # the same data is no better
    assert again.message.startswith("rejected version 2")


def test_monitor_flow(env, prefect_api, pushgateway):
    assert flows.train(return_state=True).is_completed()
    predictions = env / "predictions"
    state = flows.monitor(return_state=True)
    assert state.is_completed() and state.message == "no predictions logged in the last 24 h"

    log_traffic(predictions, read_trips(SAMPLE / "green_tripdata_2024-02.parquet"), 400)
    state = flows.monitor(return_state=True)
    assert state.is_completed() and state.message.startswith("no drift: drift share"), state.message
    assert latest_artifact(prefect_api, flows.MONITOR_ARTIFACT)["drift_detected"] is False

    drifted = sample.generate("2024-03", 2000, seed=200, drifted=True)
    drifted.to_parquet(env / "march.parquet")
    log_traffic(predictions, read_trips(env / "march.parquet")[list(RIDE_FIELDS)], 400)
    state = flows.monitor(return_state=True)
    assert state.message.startswith("drift detected: drift share"), state.message
    row = latest_artifact(prefect_api, flows.MONITOR_ARTIFACT)
    assert row["drift_detected"] is True and row["predictions"] == 800
    pushed = pushgateway.bodies("PUT")[-1]
    assert "taxi_drift_share" in pushed and "taxi_monitor_failed 0.0" in pushed


def test_monitor_flow_failure_is_pushed(env, pushgateway):
    # Predictions logged but no production model to compare them with.
    log_traffic(env / "predictions", read_trips(SAMPLE / "green_tripdata_2024-02.parquet"), 10)
    state = flows.monitor(return_state=True)
    assert state.is_failed()
    assert "run the train job first" in str(state.result(raise_on_failure=False))
    failure = pushgateway.bodies("POST")[-1]
    assert "taxi_monitor_failed 1.0" in failure and "taxi_monitor_last_failure_timestamp_seconds" in failure


def test_retrain_flow(env, prefect_api, pushgateway):
    assert flows.train(return_state=True).is_completed()
    state = flows.retrain(return_state=True)  # only the sample months: holds out February
    assert state.is_completed() and state.message.startswith("rejected challenger version 2"), state.message

    sample.main(["--drifted", "--out", str(env / "incoming"), "2024-03", "2024-04"])
    state = flows.retrain(trigger="TaxiDurationDataDrift", return_state=True)
    assert state.is_completed() and state.message.startswith("promoted challenger version 3"), state.message
    row = latest_artifact(prefect_api, flows.RETRAIN_ARTIFACT)
    assert row["decision"] == "promoted" and row["champion_version"] == "1"
    assert row["held_out_month"] == "2024-04" and row["train_months"] == "2024-03"
    assert row["trigger"] == "TaxiDurationDataDrift"
    assert row["challenger_rmse"] < row["champion_rmse"]
    assert "taxi_retrain_promoted 1.0" in pushgateway.bodies("PUT")[-1]
