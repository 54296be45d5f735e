from dataclasses import replace
from pathlib import Path

import mlflow
import pytest
from prometheus_client import generate_latest

from taxi_duration import retrain, sample
from taxi_duration.incoming import Month
from taxi_duration.loader import RegistrySource
from taxi_duration.registry import Decision
from taxi_duration.settings import Settings
from taxi_duration.train import run as train

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def months(*names):
    return [Month(n, f"green_tripdata_{n}.parquet") for n in names]


@pytest.mark.parametrize(
    ("available", "window", "train", "held_out"),
    [
        (("2024-01", "2024-02"), 1, ["2024-01"], "2024-02"),
        (("2024-01", "2024-02", "2024-03"), 1, ["2024-02"], "2024-03"),
        (("2024-01", "2024-02", "2024-03"), 2, ["2024-01", "2024-02"], "2024-03"),
        (("2024-01", "2024-02"), 6, ["2024-01"], "2024-02"),  # a window longer than the history
    ],
)
def test_plan(available, window, train, held_out):
    p = retrain.plan(months(*available), window)
    assert [m.month for m in p.train] == train
    assert p.held_out.month == held_out


@pytest.mark.parametrize(
    ("available", "window", "error"),
    [
        (("2024-01",), 1, "two labelled months"),
        ((), 1, "found none"),
        (("2024-01", "2024-02"), 0, "RETRAIN_WINDOW_MONTHS"),
    ],
)
def test_plan_refuses(available, window, error):
    with pytest.raises(ValueError, match=error):
        retrain.plan(months(*available), window)


@pytest.fixture
def stack(tmp_path, monkeypatch):
    """Settings for a throwaway MLflow store, the committed sample months
    and an empty incoming folder; version 1 trained on January."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    s = Settings(
        tracking_uri=f"file://{tmp_path}/mlruns",
        train_data=SAMPLE / "green_tripdata_2024-01.parquet",
        val_data=SAMPLE / "green_tripdata_2024-02.parquet",
        incoming_dir=tmp_path / "incoming",
        retrain_window_months=1,
        retrain_min_improvement=0.02,
    )
    assert train(s, s.train_data, s.val_data).version == "1"
    return s


def logged(s: Settings, run_id: str):
    return mlflow.MlflowClient(tracking_uri=s.tracking_uri).get_run(run_id).data


def test_a_worse_challenger_is_rejected_and_a_better_one_promoted(stack):
    s = stack
    source = RegistrySource(s.tracking_uri, s.model_name, s.model_alias)
    # One drifted month: the challenger trains on February and is worse on
    # March than the champion (January's model).
    sample.main(["--drifted", "--rows", "5000", "--out", str(s.incoming_dir), "2024-03"])
    first = retrain.run(s, trigger="TaxiDurationDataDrift")
    assert [m.month for m in first.plan.train] == ["2024-02"] and first.plan.held_out.month == "2024-03"
    d = first.decision
    assert not d.promoted and d.version == "2" and d.previous_version == "1"
    assert d.rmse > d.previous_rmse
    assert source.current_version() == "1"
    data = logged(s, first.run_id)
    assert data.tags["decision"] == "rejected" and data.tags["champion_version"] == "1"
    assert data.params["trigger"] == "TaxiDurationDataDrift" and data.params["held_out_month"] == "2024-03"
    assert data.metrics["challenger_rmse"] == pytest.approx(d.rmse)
    assert data.metrics["champion_rmse"] == pytest.approx(d.previous_rmse)
    assert first.summary().startswith("rejected challenger version 2")

    # A second drifted month: trained on March, the challenger wins on
    # April, though not by more than a margin of a half.
    sample.main(["--drifted", "--rows", "5000", "--out", str(s.incoming_dir), "2024-03", "2024-04"])
    held_back = retrain.run(replace(s, retrain_min_improvement=0.5)).decision
    assert held_back.rmse < held_back.previous_rmse and not held_back.promoted
    assert "by more than 50.0%" in held_back.reason and source.current_version() == "1"

    second = retrain.run(s)
    d = second.decision
    assert [m.month for m in second.plan.train] == ["2024-03"] and second.plan.held_out.month == "2024-04"
    assert d.promoted and d.version == "4" and d.previous_version == "1"
    assert d.rmse < d.previous_rmse * (1 - s.retrain_min_improvement)
    assert source.current_version() == "4"
    assert logged(s, second.run_id).tags["decision"] == "promoted"
    version = mlflow.MlflowClient(tracking_uri=s.tracking_uri).get_model_version(s.model_name, "4")
    assert version.tags["decision"] == "promoted"
    assert "promoted challenger version 4" in second.summary() and "trained on 2024-03" in second.summary()

    text = generate_latest(retrain.registry_for(second)).decode()
    assert "taxi_retrain_promoted 1.0" in text and "taxi_retrain_challenger_version 4.0" in text


def test_run_names_missing_data(tmp_path):
    s = Settings(
        tracking_uri=f"file://{tmp_path}/mlruns",
        train_data=SAMPLE / "green_tripdata_2024-01.parquet",
        val_data=Path("nowhere/green_tripdata_2024-02.parquet"),
        incoming_dir=tmp_path / "incoming",
    )
    with pytest.raises(FileNotFoundError, match="nowhere"):
        retrain.run(s)


def test_champion_rmse_missing_is_nan_in_metrics():
    outcome = retrain.Outcome(
        retrain.Plan(months("2024-01"), months("2024-02")[0]), "r", Decision(True, "1", 4.0, None, None, "first"), 0.02
    )
    text = generate_latest(retrain.registry_for(outcome)).decode()
    assert "taxi_retrain_champion_rmse NaN" in text
    assert outcome.summary() == (
        "promoted challenger version 1: RMSE 4.000 on 2024-02 (trained on 2024-01; needs 2.0% lower)"
    )
