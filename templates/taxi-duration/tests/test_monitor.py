import mlflow
import numpy as np
import pandas as pd
import pytest
from prometheus_client import generate_latest

from taxi_duration import drift
from taxi_duration.features import read_trips
from taxi_duration.monitor import (
    drift_detected,
    push_failure,
    reference_frame,
    registry_for,
    small_sample,
    summary,
    training_sample,
)
from taxi_duration.settings import Settings


def frame(n, distance_scale, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "PULocationID": rng.integers(1, 20, n),
            "DOLocationID": rng.integers(1, 20, n),
            "trip_distance": rng.lognormal(1, 0.5, n) * distance_scale,
            "prediction": rng.normal(15, 4, n) * distance_scale,
        }
    )


def test_no_drift_on_the_same_distribution():
    result, _ = drift.compute(frame(400, 1, 1), frame(200, 1, 2))
    assert set(result.scores) == set(drift.COLUMNS)
    assert result.share < 0.5
    assert not result.drifted["trip_distance"]
    assert (result.reference_rows, result.current_rows) == (400, 200)


def test_drift_when_distances_shift(tmp_path):
    result, snapshot = drift.compute(frame(400, 1, 1), frame(200, 3, 2))
    assert result.drifted["trip_distance"] and result.drifted["prediction"]
    assert result.drifted_columns >= 2
    assert result.share >= 0.5
    html = tmp_path / "report.html"
    snapshot.save_html(str(html))
    assert html.read_text().lstrip().lower().startswith("<")


def test_location_drift_on_a_small_sample_of_many_zones():
    # Some hundred rides over 200 fairly even zones. Drawn like the
    # reference, the location tests must not call that drift (a distance
    # such as Jensen-Shannon would); a fifth of pickups moved to one zone is.
    weights = np.random.default_rng(3).uniform(0.5, 1.5, 200)
    weights /= weights.sum()

    def zones(n, seed, moved=0.0):
        r = np.random.default_rng(seed)
        pickup = r.choice(200, n, p=weights) + 1
        return pd.DataFrame(
            {
                "PULocationID": np.where(r.random(n) < moved, 74, pickup),
                "DOLocationID": r.choice(200, n, p=weights) + 1,
                "trip_distance": r.lognormal(1, 0.5, n),
                "prediction": r.normal(15, 4, n),
            }
        )

    reference = zones(5000, 1)
    same, _ = drift.compute(reference, zones(400, 2))
    assert not same.drifted["PULocationID"] and not same.drifted["DOLocationID"]
    assert same.share < 0.5
    moved, _ = drift.compute(reference, zones(400, 3, moved=0.2))
    assert moved.drifted["PULocationID"] and not moved.drifted["DOLocationID"]


def test_compute_names_missing_columns():
    with pytest.raises(ValueError, match="current data: missing columns prediction"):
        drift.compute(frame(10, 1, 1), frame(10, 1, 1).drop(columns="prediction"))


def test_parse_reads_the_preset_output():
    report = {
        "metrics": [
            {
                "config": {"type": "evidently:metric_v2:DriftedColumnsCount"},
                "value": {"count": 1.0, "share": 0.25},
            },
            {
                "config": {
                    "type": "evidently:metric_v2:ValueDrift",
                    "column": "trip_distance",
                    "method": "K-S p_value",
                },
                "value": 0.001,
            },
            {
                "config": {
                    "type": "evidently:metric_v2:ValueDrift",
                    "column": "prediction",
                    "method": "Wasserstein distance (normed)",
                    "threshold": 0.1,
                },
                "value": 0.05,
            },
        ]
    }
    r = drift.parse(report, 10, 5)
    assert r.share == 0.25 and r.drifted_columns == 1
    assert r.drifted == {"trip_distance": True, "prediction": False}
    assert r.prediction_drift == 0.05
    # Evidently's own per-column verdicts win when the tests are included.
    report["tests"] = [
        {"id": "lt", "metric_config": {"params": {}}, "status": "FAIL"},
        {"id": "drift", "metric_config": {"params": {"column": "trip_distance"}}, "status": "SUCCESS"},
        {"id": "drift", "metric_config": {"params": {"column": "prediction"}}, "status": "FAIL"},
    ]
    assert drift.parse(report, 10, 5).drifted == {"trip_distance": False, "prediction": True}


def test_exported_metrics():
    r = drift.DriftResult(
        share=0.5,
        drifted_columns=2,
        scores={"trip_distance": 0.01, "prediction": 0.2},
        drifted={"trip_distance": True, "prediction": False},
        reference_rows=100,
        current_rows=7,
    )
    text = generate_latest(registry_for(r)).decode()
    for line in (
        "taxi_drift_share 0.5",
        "taxi_drifted_columns 2.0",
        'taxi_feature_drift_score{feature="trip_distance"} 0.01',
        'taxi_feature_drifted{feature="trip_distance"} 1.0',
        'taxi_feature_drifted{feature="prediction"} 0.0',
        "taxi_prediction_drift_score 0.2",
        'taxi_monitor_rows{dataset="current"} 7.0',
        "taxi_monitor_failed 0.0",
    ):
        assert line in text


@pytest.mark.parametrize(
    ("rows", "min_rows", "warned"),
    [(1, 100, True), (99, 100, True), (100, 100, False), (5000, 100, False)],
)
def test_small_sample_is_flagged(rows, min_rows, warned):
    note = small_sample(rows, min_rows)
    assert (note is not None) == warned
    if warned:
        assert f"only {rows} predictions" in note and f"MONITOR_MIN_ROWS={min_rows}" in note


@pytest.mark.parametrize(
    ("reference", "current", "drifted"),
    [
        ([1, 2, 3] * 200, [1, 2, 3] * 50, False),  # the same shares
        ([1, 2, 3] * 200, [1, 2, 3] * 40 + [99] * 30, True),  # a zone the reference lacks, often
        ([1, 2, 3] * 200 + [7], [1, 2, 3] * 50 + [8], False),  # rare zones on either side: pooled, no drift
        ([1, 2, 3], [3], False),  # too few rows to test
    ],
)
def test_pooled_chisquare(reference, current, drifted):
    p_value, got = drift.pooled_chisquare(pd.Series(reference), pd.Series(current), None, 0.05)
    assert 0.0 <= p_value <= 1.0
    assert got == drifted


@pytest.mark.parametrize(
    ("share", "rows", "detected", "start"),
    [
        (0.75, 500, True, "drift detected: drift share 0.75"),
        (
            0.5,
            500,
            False,
            "no drift: drift share 0.50",
        ),  # at the threshold is not above it
        (0.25, 500, False, "no drift"),
        (1.0, 20, False, "too few predictions to judge (MONITOR_MIN_ROWS=100)"),
    ],
)
def test_drift_detected_and_summary(share, rows, detected, start):
    s = Settings(drift_threshold=0.5, monitor_min_rows=100)
    r = drift.DriftResult(share=share, drifted_columns=int(share * 4), current_rows=rows)
    assert drift_detected(r, s) is detected
    assert summary(r, s).startswith(start)
    assert summary(None, s) == "no predictions logged in the last 24 h"


def test_a_failure_is_added_to_the_pushed_metrics(pushgateway):
    push_failure(pushgateway.address, ValueError("no model"))
    ((method, path, body),) = pushgateway.pushes
    assert method == "POST"  # added to the last run's metrics, not replacing them
    assert path == "/metrics/job/taxi-duration-monitor"
    assert "taxi_monitor_failed 1.0" in body


def test_a_failure_push_to_a_dead_gateway_only_warns(caplog):
    push_failure("127.0.0.1:9", ValueError("no model"))
    assert "pushing the failure of the monitor (no model)" in caplog.text


def test_reference_is_the_production_models_training_sample(trips_files, tmp_path, monkeypatch):
    from taxi_duration.train import run

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(f"file://{tmp_path}/mlruns")
    # The model trains on the second month; TRAIN_DATA names the first.
    s = Settings(
        tracking_uri=f"file://{tmp_path}/mlruns",
        train_data=trips_files[0],
        reference_rows=5000,
    )
    run(s, trips_files[1], trips_files[0])
    reference = reference_frame(s)
    trained_on = read_trips(trips_files[1])
    assert len(reference) == len(trained_on)
    assert sorted(reference.trip_distance) == sorted(trained_on.trip_distance)
    assert "prediction" in reference
    # A run without the sample (a model logged before it existed): TRAIN_DATA.
    assert len(training_sample(None, s)) == len(read_trips(trips_files[0]))
