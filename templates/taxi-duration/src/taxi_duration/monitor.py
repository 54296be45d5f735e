"""The monitoring job: compare logged predictions with the training
reference, push drift metrics to the Prometheus pushgateway and keep the
HTML report as an MLflow artifact.

    python -m taxi_duration.monitor
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

import mlflow
import mlflow.artifacts
import mlflow.sklearn
import pandas as pd
from mlflow.exceptions import MlflowException
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, pushadd_to_gateway

from taxi_duration import drift, links
from taxi_duration.features import RIDE_FIELDS, read_trips
from taxi_duration.predlog import read_predictions
from taxi_duration.settings import Settings
from taxi_duration.train import REFERENCE

log = logging.getLogger("taxi_duration.monitor")
JOB = "taxi-duration-monitor"
FAILED_HELP = "1 when the last monitor run failed, 0 after a successful one."


def reference_frame(s: Settings) -> pd.DataFrame:
    """Score the production model's reference rides with the model: the
    sample of its own training data its run logged, or, for a model logged
    without one, a sample of TRAIN_DATA."""
    uri = f"models:/{s.model_name}@{s.model_alias}"
    try:
        model = mlflow.sklearn.load_model(uri)
        client = mlflow.MlflowClient(tracking_uri=s.tracking_uri)
        run_id = client.get_model_version_by_alias(s.model_name, s.model_alias).run_id
    except MlflowException as exc:
        raise ValueError(f"loading {uri}: {exc.message} (run the train job first: make train)") from exc
    trips = training_sample(run_id, s)
    if len(trips) > s.reference_rows:
        trips = trips.sample(s.reference_rows, random_state=1)
    rides = trips[list(RIDE_FIELDS)].reset_index(drop=True)
    return rides.assign(prediction=model.predict(rides))


def training_sample(run_id: str | None, s: Settings) -> pd.DataFrame:
    """Return the training rides the run logged, else TRAIN_DATA's."""
    if run_id:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=REFERENCE, dst_path=tmp)
                return pd.read_parquet(path)
        except (MlflowException, OSError) as exc:
            log.info("run %s has no %s (%s): the reference is %s", run_id, REFERENCE, exc, s.train_data)
    return read_trips(s.train_data)


def registry_for(result: drift.DriftResult) -> CollectorRegistry:
    """Build the metrics pushed for one monitoring run."""
    reg = CollectorRegistry()
    Gauge(
        "taxi_drift_share",
        "Share of drifted columns (features and prediction).",
        registry=reg,
    ).set(result.share)
    Gauge("taxi_drifted_columns", "Number of drifted columns.", registry=reg).set(result.drifted_columns)
    score = Gauge(
        "taxi_feature_drift_score",
        "Drift test score per column.",
        ["feature"],
        registry=reg,
    )
    drifted = Gauge("taxi_feature_drifted", "1 when a column drifted.", ["feature"], registry=reg)
    for col, value in result.scores.items():
        score.labels(col).set(value)
        drifted.labels(col).set(1 if result.drifted.get(col) else 0)
    Gauge(
        "taxi_prediction_drift_score",
        "Drift test score of the predictions.",
        registry=reg,
    ).set(result.prediction_drift)
    rows = Gauge("taxi_monitor_rows", "Rows compared in the last run.", ["dataset"], registry=reg)
    rows.labels("reference").set(result.reference_rows)
    rows.labels("current").set(result.current_rows)
    Gauge(
        "taxi_monitor_last_run_timestamp_seconds",
        "When the monitor last ran.",
        registry=reg,
    ).set(time.time())
    Gauge("taxi_monitor_failed", FAILED_HELP, registry=reg).set(0)
    return reg


def push_failure(gateway: str, error: BaseException) -> None:
    """Tell Prometheus the monitor failed (the alert TaxiDurationMonitorFailed).
    Added to the last run's metrics rather than replacing them; the next
    successful run clears it."""
    reg = CollectorRegistry()
    Gauge("taxi_monitor_failed", FAILED_HELP, registry=reg).set(1)
    Gauge(
        "taxi_monitor_last_failure_timestamp_seconds",
        "When the monitor last failed.",
        registry=reg,
    ).set(time.time())
    try:
        pushadd_to_gateway(gateway, job=JOB, registry=reg)
    except OSError as exc:
        log.warning("pushing the failure of the monitor (%s) to %s: %s", error, gateway, exc)


def drift_detected(result: drift.DriftResult, s: Settings) -> bool:
    """Report whether a run's drift is what the alert TaxiDurationDataDrift
    fires on: share above the threshold over enough predictions."""
    return result.share > s.drift_threshold and small_sample(result.current_rows, s.monitor_min_rows) is None


def summary(result: drift.DriftResult | None, s: Settings) -> str:
    """Describe a run in one line."""
    if result is None:
        return f"no predictions logged in the last {s.monitor_window_hours:g} h"
    verdict = "drift detected" if drift_detected(result, s) else "no drift"
    if small_sample(result.current_rows, s.monitor_min_rows):
        verdict = f"too few predictions to judge (MONITOR_MIN_ROWS={s.monitor_min_rows})"
    return (
        f"{verdict}: drift share {result.share:.2f} ({result.drifted_columns} columns drifted, "
        f"threshold {s.drift_threshold:g}) over {result.current_rows} predictions"
    )


def small_sample(rows: int, min_rows: int) -> str | None:
    """Say why a run over fewer than min_rows predictions is not to be trusted."""
    if rows >= min_rows:
        return None
    return (
        f"only {rows} predictions (MONITOR_MIN_ROWS={min_rows}): drift measured on so few is noise, "
        "so the drift alerts ignore this run"
    )


def run(s: Settings) -> drift.DriftResult | None:
    """Compute drift over the window and export it; None when nothing was logged."""
    since = time.time() - s.monitor_window_hours * 3600
    logged = pd.DataFrame(read_predictions(s.predictions_dir, since))
    if logged.empty:
        return None
    mlflow.set_tracking_uri(s.tracking_uri)
    reference = reference_frame(s)
    too_few = small_sample(len(logged), s.monitor_min_rows) is not None
    with warnings.catch_warnings():
        if too_few:
            # Statistics over a handful of rows divide by zero; the run
            # already says its sample is too small.
            warnings.simplefilter("ignore", RuntimeWarning)
        result, snapshot = drift.compute(reference, logged[drift.COLUMNS], s.drift_threshold)
    push_to_gateway(s.pushgateway_url, job=JOB, registry=registry_for(result))
    mlflow.set_experiment(f"{s.experiment}-monitoring")
    with mlflow.start_run(run_name=time.strftime("drift-%Y%m%d-%H%M%S")) as active:
        log.info("drift report: %s", links.run_url(s.tracking_uri, active.info.experiment_id, active.info.run_id))
        mlflow.log_metrics({"drift_share": result.share, "current_rows": result.current_rows})
        mlflow.set_tag("small_sample", too_few)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "drift_report.html"
            snapshot.save_html(str(path))
            mlflow.log_artifact(str(path), artifact_path="reports")
    return result


def run_reported(s: Settings) -> drift.DriftResult | None:
    """Run, and push a failure to Prometheus when the run fails."""
    try:
        return run(s)
    except Exception as exc:
        push_failure(s.pushgateway_url, exc)
        raise


def main() -> int:
    """Entry point of the monitor job."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    s = Settings()
    try:
        result = run_reported(s)
    except (FileNotFoundError, ValueError) as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return 1
    if result is None:
        print(f"monitor: no predictions logged in {s.predictions_dir} in the last {s.monitor_window_hours:g} h")
        return 0
    if note := small_sample(result.current_rows, s.monitor_min_rows):
        print(f"monitor: warning: {note}", file=sys.stderr)
    print(
        f"drift share {result.share:.2f} ({result.drifted_columns} columns drifted) over "
        f"{result.current_rows} predictions; pushed to {s.pushgateway_url}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
