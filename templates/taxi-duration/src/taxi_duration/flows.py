"""The Prefect flows the worker serves: train, monitor and retrain.

Each wraps the job of the same name; its final state's message says what
happened (shown in the Prefect UI and in `mlforge status`), and a table
artifact keeps the details. Deployments, schedules and triggers are in
taxi_duration.deployments.

Every run starts a fresh Python that imports this module, so each flow
imports its job when it runs: a retrain does not pay for Evidently, which
only the monitor needs and which takes most of the import time.
"""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.states import Completed, State

from taxi_duration.settings import Settings

# Artifact keys: the latest of each is GET /api/artifacts/KEY/latest.
TRAIN_ARTIFACT = "train-decision"
MONITOR_ARTIFACT = "monitor-drift"
RETRAIN_ARTIFACT = "retrain-decision"


def _decision_row(d) -> dict:
    return {
        "decision": "promoted" if d.promoted else "rejected",
        "challenger_version": d.version,
        "challenger_rmse": round(d.rmse, 4),
        "champion_version": d.previous_version or "",
        "champion_rmse": "" if d.previous_rmse is None else round(d.previous_rmse, 4),
        "reason": d.reason,
    }


@flow(name="train", log_prints=True)
def train() -> State:
    """Train on TRAIN_DATA, validate on VAL_DATA, register, promote when better."""
    from taxi_duration import train as train_job

    s = Settings()
    d = train_job.run(s, s.train_data, s.val_data)
    message = f"{'promoted' if d.promoted else 'rejected'} version {d.version} (val RMSE {d.rmse:.3f}): {d.reason}"
    create_table_artifact(key=TRAIN_ARTIFACT, table=[_decision_row(d)], description=message)
    get_run_logger().info(message)
    return Completed(message=message, data=asdict(d))


@flow(name="monitor", log_prints=True)
def monitor() -> State:
    """Compare the logged predictions with the reference, push the drift
    metrics (the drift alert fires on them) and keep the report in MLflow.
    A failure is pushed too (the monitor-failed alert)."""
    from taxi_duration import monitor as monitor_job

    s = Settings()
    result = monitor_job.run_reported(s)
    message = monitor_job.summary(result, s)
    row = {"summary": message}
    if result is not None:
        row |= {
            "drift_detected": monitor_job.drift_detected(result, s),
            "drift_share": round(result.share, 4),
            "drifted_columns": result.drifted_columns,
            "predictions": result.current_rows,
        }
    create_table_artifact(key=MONITOR_ARTIFACT, table=[row], description=message)
    get_run_logger().info(message)
    return Completed(message=message, data=row)


@flow(name="retrain", log_prints=True)
def retrain(trigger: str = "manual") -> State:
    """Train a challenger on the newest data window and promote it only when
    it beats the champion on the held-out month by the configured margin.
    trigger says what started the run (an alert's name, or manual)."""
    from taxi_duration import retrain as retrain_job

    s = Settings()
    outcome = retrain_job.run(s, trigger)
    retrain_job.publish(outcome, s.pushgateway_url)
    message = outcome.summary()
    row = _decision_row(outcome.decision) | {
        "held_out_month": outcome.plan.held_out.month,
        "train_months": ", ".join(m.month for m in outcome.plan.train),
        "trigger": trigger,
        "mlflow_run": outcome.run_id,
    }
    create_table_artifact(key=RETRAIN_ARTIFACT, table=[row], description=message)
    get_run_logger().info(message)
    return Completed(message=message, data=row)
