from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.pyfunc
import pandas as pd
import pytest

from taxi_duration.features import RIDE_FIELDS, read_trips
from taxi_duration.model import LAYOUTS, Scorer, rmse
from taxi_duration.registry import promote_if_better
from taxi_duration.train import fit


def test_fit_learns_something(trips_files):
    train, val = read_trips(trips_files[0]), read_trips(trips_files[1])
    _, val_rmse = fit(train, val)
    baseline = rmse(val.duration, [train.duration.mean()] * len(val))
    assert val_rmse < baseline


def test_fit_refuses_empty_data(trips):
    with pytest.raises(ValueError, match="training data"):
        fit(trips.iloc[:0], trips)


def test_scorer_fast_path_matches_sklearn(fitted, trips):
    scorer = Scorer(fitted)
    assert scorer.fast
    rides = trips[list(RIDE_FIELDS)].head(50)
    expected = fitted.predict(rides)
    got = scorer.predict_many([tuple(r) for r in rides.itertuples(index=False)])
    assert got == pytest.approx(list(expected), rel=1e-9, abs=1e-9)
    # an unseen pickup/dropoff pair only contributes the distance term
    assert scorer.predict_one(999, 998, 2.0) == pytest.approx(
        float(fitted.predict(pd.DataFrame([{"PULocationID": 999, "DOLocationID": 998, "trip_distance": 2.0}]))[0])
    )


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_takes_the_fast_path(layout, trips_files):
    """Whatever MODEL_LAYOUT train fits, the scorer evaluates it without
    sklearn and predicts what the pipeline's own predict does."""
    train, val = read_trips(trips_files[0]), read_trips(trips_files[1])
    model, _ = fit(train, val, layout)
    scorer = Scorer(model)
    assert scorer.fast, scorer.path
    rides = [tuple(r) for r in val[list(RIDE_FIELDS)].itertuples(index=False)]
    rides += [(999, 998, 2.0), (1, 1, 0.0), (265, 264, 1000.0)]  # unseen zones, the range's ends
    frame = pd.DataFrame(rides, columns=list(RIDE_FIELDS))
    want = [float(x) for x in model.predict(frame)]
    assert scorer.predict_many(rides) == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_fit_refuses_an_unknown_layout(trips):
    with pytest.raises(ValueError, match="MODEL_LAYOUT"):
        fit(trips, trips, "forest")


def test_scorer_falls_back_to_predict():
    class Constant:
        def predict(self, frame):
            return [7.0] * len(frame)

    scorer = Scorer(Constant())
    assert not scorer.fast
    assert scorer.predict_one(1, 2, 3.0) == 7.0


@dataclass
class Version:
    version: str


class FakeClient:
    """FakeClient is the part of MlflowClient promotion uses."""

    def __init__(self, alias_to=None):
        self.alias_to = alias_to
        self.set_calls = []

    def get_model_version_by_alias(self, name, alias):
        from mlflow.exceptions import MlflowException

        if self.alias_to is None:
            raise MlflowException("alias not found")
        return Version(self.alias_to)

    def set_registered_model_alias(self, name, alias, version):
        self.set_calls.append(version)
        self.alias_to = version


@pytest.mark.parametrize(
    "current, current_rmse, new_rmse, promoted",
    [
        (None, None, 5.0, True),
        ("1", 6.0, 5.0, True),
        ("1", 5.0, 5.0, False),
        ("1", 4.0, 5.0, False),
    ],
)
def test_promote_if_better(current, current_rmse, new_rmse, promoted):
    client = FakeClient(current)
    d = promote_if_better(client, "taxi-duration", "production", "2", new_rmse, lambda v: current_rmse)
    assert d.promoted is promoted
    assert client.alias_to == ("2" if promoted else current)


@pytest.mark.parametrize(
    ("new_rmse", "margin", "promoted"),
    [
        (5.8, 0.02, True),
        (5.9, 0.02, False),
        (5.99, 0.0, True),
        (3.0, 0.5, False),
        (2.9, 0.5, True),
    ],
)
def test_promote_only_by_more_than_the_margin(new_rmse, margin, promoted):
    client = FakeClient("1")
    d = promote_if_better(client, "taxi-duration", "production", "2", new_rmse, lambda v: 6.0, margin)
    assert d.promoted is promoted and d.previous_rmse == 6.0
    assert (f"by more than {margin:.1%}" in d.reason) is (margin > 0)


@pytest.mark.parametrize("margin", [-0.1, 1.0])
def test_promote_refuses_a_margin_out_of_range(margin):
    with pytest.raises(ValueError, match="RETRAIN_MIN_IMPROVEMENT"):
        promote_if_better(FakeClient("1"), "m", "a", "2", 1.0, lambda v: 2.0, margin)


def test_run_tracks_registers_and_promotes(trips_files, tmp_path, monkeypatch):
    """The whole training job against a throwaway local MLflow store."""
    from taxi_duration.loader import RegistrySource
    from taxi_duration.settings import Settings
    from taxi_duration.train import run

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = f"file://{tmp_path}/mlruns"
    s = Settings(tracking_uri=uri)
    source = RegistrySource(uri, s.model_name, s.model_alias)
    assert source.current_version() is None

    first = run(s, *trips_files)
    assert first.promoted and first.version == "1"
    assert source.current_version() == "1"
    second = run(s, *trips_files)  # same data: not better, the alias stays
    assert not second.promoted and second.version == "2"
    assert second.previous_rmse == pytest.approx(first.rmse)
    assert source.current_version() == "1"
    assert Scorer(source.load("1").model).fast
    logged = mlflow.MlflowClient(tracking_uri=uri).get_model_version("taxi-duration", "2")
    assert logged.tags["decision"] == "rejected"
    requirements = Path(mlflow.pyfunc.get_model_dependencies("models:/taxi-duration/1")).read_text()
    names = {line.split("==")[0] for line in requirements.split() if "==" in line}
    assert {"scikit-learn", "cloudpickle", "pandas"} <= names
