import numpy as np
import pandas as pd
import pytest
from prometheus_client import generate_latest

from taxi_duration import drift
from taxi_duration.monitor import registry_for, small_sample


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
