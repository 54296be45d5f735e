import json
import os

import pytest
from starlette.testclient import TestClient

from taxi_duration.loader import Loaded
from taxi_duration.predlog import PredictionLog, read_predictions
from taxi_duration.serve import MAX_BATCH, create_app

RIDE = {"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}


class FakeSource:
    """FakeSource stands in for the registry: the alias points at version."""

    def __init__(self, model, version=None):
        self.model, self.version = model, version
        self.loads = 0

    def current_version(self):
        return self.version

    def load(self, version):
        self.loads += 1
        return Loaded(version=version, model=self.model)


@pytest.fixture
def served(fitted, tmp_path):
    source = FakeSource(fitted, "1")
    log = PredictionLog(tmp_path / "predictions")
    app = create_app(source, log, poll_seconds=0)
    app.state.holder.refresh()
    with TestClient(app) as client:
        yield client, source, log, tmp_path / "predictions"


def test_predict_the_course_ride(served, fitted):
    client, *_ = served
    resp = client.post("/predict", json=RIDE)
    assert resp.status_code == 200
    body = resp.json()
    assert body["model_version"] == "1"
    assert body["duration"] == pytest.approx(float(fitted.predict(__import__("pandas").DataFrame([RIDE]))[0]))


def test_predict_batch(served):
    client, *_ = served
    resp = client.post("/predict", json=[RIDE, {**RIDE, "trip_distance": 1}])
    assert resp.status_code == 200
    out = resp.json()
    assert len(out) == 2 and out[0]["duration"] > out[1]["duration"]


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"{not json", 400, "not valid JSON"),
        (json.dumps({**RIDE, "trip_distance": "x"}).encode(), 422, "trip_distance"),
        (
            json.dumps({"DOLocationID": 1, "trip_distance": 1}).encode(),
            422,
            "PULocationID: required",
        ),
        (json.dumps([RIDE, {"PULocationID": 1}]).encode(), 422, "[1].DOLocationID"),
        (json.dumps([RIDE] * (MAX_BATCH + 1)).encode(), 413, "at most"),
    ],
)
def test_bad_input_gets_4xx_naming_the_field(served, body, status, message):
    client, *_ = served
    resp = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == status
    assert message in resp.json()["error"]


def test_no_model_yet(tmp_path):
    app = create_app(FakeSource(None, None), None, poll_seconds=0)
    with TestClient(app) as client:
        assert client.get("/live").status_code == 200
        assert client.get("/health").status_code == 503
        resp = client.post("/predict", json=RIDE)
        assert resp.status_code == 503 and "train" in resp.json()["error"]


def test_picks_up_a_new_version_without_restart(served):
    client, source, *_ = served
    assert client.get("/health").json()["model_version"] == "1"
    assert source.loads == 1
    assert not client.app.state.holder.refresh()  # same version: nothing loaded
    source.version = "2"
    assert client.app.state.holder.refresh()
    assert client.get("/health").json()["model_version"] == "2"
    assert client.post("/predict", json=RIDE).json()["model_version"] == "2"


def test_background_poll_loads_the_model(fitted):
    source = FakeSource(fitted, "3")
    app = create_app(source, None, poll_seconds=0.05)
    with TestClient(app) as client:
        for _ in range(100):
            if client.get("/health").status_code == 200:
                break
            __import__("time").sleep(0.02)
        assert client.get("/health").json()["model_version"] == "3"


def test_metrics(served):
    client, *_ = served
    client.post("/predict", json=RIDE)
    text = client.get("/metrics").text
    for name in (
        "taxi_requests_total",
        "taxi_request_latency_seconds_bucket",
        "taxi_prediction_minutes_bucket",
    ):
        assert name in text
    assert "taxi_model_version 1.0" in text


def test_every_prediction_is_logged(served):
    client, _, log, root = served
    client.post("/predict", json=RIDE)
    client.post("/predict", json=[RIDE, RIDE])
    log.flush()
    rows = read_predictions(root)
    assert len(rows) == 3
    assert set(rows[0]) == {
        "ts",
        "PULocationID",
        "DOLocationID",
        "trip_distance",
        "prediction",
        "model_version",
    }
    assert rows[0]["model_version"] == "1"


def test_read_predictions_skips_cut_lines_and_old_rows(tmp_path):
    clock = iter([100.0, 100.0, 200.0, 200.0, 200.0]).__next__
    log = PredictionLog(tmp_path, clock=clock)
    log.record(1, 2, 3.0, 4.0, "1")
    log.record(1, 2, 3.0, 5.0, "1")
    log.flush()
    day = next(tmp_path.iterdir())
    with next(day.glob("*.jsonl")).open("a") as f:
        f.write('{"ts": 300, "PULoc')
    assert [r["prediction"] for r in read_predictions(tmp_path)] == [4.0, 5.0]
    assert [r["prediction"] for r in read_predictions(tmp_path, since=150)] == [5.0]


def test_forget_dead_workers(tmp_path, monkeypatch):
    from taxi_duration import metrics

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    dead = 2**22 + 12345  # above the default pid_max: never a live process
    (tmp_path / f"gauge_livemin_{dead}.db").write_bytes(b"")
    (tmp_path / f"gauge_livemin_{os.getpid()}.db").write_bytes(b"")
    metrics.forget_dead_workers()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"gauge_livemin_{os.getpid()}.db"]


def test_a_second_layout_is_served_on_the_fast_path(trips, caplog):
    """A model of train's other layout (one-hot zones, scaled distance,
    Ridge) loads on the fast path and answers what the general path does."""
    import logging

    import pandas as pd

    from taxi_duration.features import RIDE_FIELDS, TARGET
    from taxi_duration.model import Scorer, build_pipeline

    zones = build_pipeline("zones").fit(trips[list(RIDE_FIELDS)], trips[TARGET])
    app = create_app(FakeSource(zones, "7"), None, poll_seconds=0)
    with caplog.at_level(logging.INFO, logger="taxi_duration.serve"):
        app.state.holder.refresh()
    assert "version 7 on the fast path (ColumnTransformer -> Ridge" in caplog.text
    general = Scorer(zones)
    general._score = None  # the DataFrame path, as for a model the fast path cannot read
    rides = [tuple(r) for r in trips[list(RIDE_FIELDS)].head(20).itertuples(index=False)] + [(999, 998, 2.0)]
    body = [dict(zip(RIDE_FIELDS, r, strict=True)) for r in rides]
    with TestClient(app) as client:
        assert client.get("/health").json()["fast_path"] is True
        got = [row["duration"] for row in client.post("/predict", json=body).json()]
    assert got == pytest.approx(general.predict_many(rides), rel=1e-9, abs=1e-9)
    assert got == pytest.approx(list(zones.predict(pd.DataFrame(rides, columns=list(RIDE_FIELDS)))))


def test_a_model_it_cannot_read_is_served_on_the_general_path(trips, caplog):
    import logging

    from sklearn.pipeline import Pipeline
    from sklearn.tree import DecisionTreeRegressor

    from taxi_duration.features import RIDE_FIELDS, TARGET
    from taxi_duration.model import build_pipeline

    steps = [*build_pipeline("zones").steps[:-1], ("tree", DecisionTreeRegressor(max_depth=3))]
    tree = Pipeline(steps).fit(trips[list(RIDE_FIELDS)], trips[TARGET])
    app = create_app(FakeSource(tree, "8"), None, poll_seconds=0)
    with caplog.at_level(logging.INFO, logger="taxi_duration.serve"):
        app.state.holder.refresh()
    assert "on the general path" in caplog.text and "DecisionTreeRegressor" in caplog.text
    with TestClient(app) as client:
        assert client.get("/health").json()["fast_path"] is False
        resp = client.post("/predict", json=RIDE)
    assert resp.status_code == 200 and resp.json()["duration"] > 0


def test_predict_refuses_other_methods(served):
    client, *_ = served
    assert client.get("/predict").status_code == 405
