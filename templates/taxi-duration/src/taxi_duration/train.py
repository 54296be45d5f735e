"""The training job: fit the model, track it in MLflow, register it and
promote it to the production alias when it beats the current one.

    python -m taxi_duration.train [--train FILE] [--val FILE]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature

from taxi_duration import links
from taxi_duration.features import RIDE_FIELDS, TARGET, read_trips
from taxi_duration.model import DEFAULT_LAYOUT, LAYOUTS, build_pipeline, rmse
from taxi_duration.registry import Decision, promote_if_better
from taxi_duration.settings import Settings

log = logging.getLogger("taxi_duration.train")
EXAMPLE = pd.DataFrame([{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40.0}])
REFERENCE = "reference/rides.parquet"  # a sample of the training rides, logged on every run


def fit(train: pd.DataFrame, val: pd.DataFrame, layout: str = DEFAULT_LAYOUT):
    """Fit the pipeline (one of model.LAYOUTS) on train and return it with its validation RMSE."""
    if train.empty:
        raise ValueError("training data: no trips left after filtering durations to 1-60 minutes")
    if val.empty:
        raise ValueError("validation data: no trips left after filtering durations to 1-60 minutes")
    pipeline = build_pipeline(layout)
    pipeline.fit(train[list(RIDE_FIELDS)], train[TARGET])
    return pipeline, rmse(val[TARGET], pipeline.predict(val[list(RIDE_FIELDS)]))


def run(s: Settings, train_path: Path, val_path: Path) -> Decision:
    """Train, log, register and maybe promote; return the promotion decision."""
    train, val = read_trips(train_path), read_trips(val_path)
    return track(s, train, val, {"train_data": train_path.name, "val_data": val_path.name}).decision


@dataclass(frozen=True)
class Tracked:
    """Tracked is a model trained, logged and registered, and what became of it."""

    run_id: str
    decision: Decision


def track(s: Settings, train: pd.DataFrame, val: pd.DataFrame, params: dict, margin: float = 0.0) -> Tracked:
    """Fit on train and log the run to MLflow with params, register the
    model and move the alias to it when its RMSE on val is lower than the
    current model's on the same val by more than margin (a share: 0.02
    wants 2 % lower). Both scores and the decision are logged on the run."""
    mlflow.set_tracking_uri(s.tracking_uri)
    mlflow.set_experiment(s.experiment)
    client = mlflow.MlflowClient(tracking_uri=s.tracking_uri)
    if s.model_layout not in LAYOUTS:
        raise ValueError(f"MODEL_LAYOUT: {s.model_layout!r} is not one of {', '.join(LAYOUTS)}")
    model, features = LAYOUTS[s.model_layout]
    with mlflow.start_run() as active:
        mlflow.log_params(
            {
                "model": model,
                "features": features,
                "layout": s.model_layout,
                "train_rows": len(train),
                "val_rows": len(val),
                "min_improvement": margin,
                **params,
            }
        )
        pipeline, val_rmse = fit(train, val, s.model_layout)
        train_rmse = rmse(train[TARGET], pipeline.predict(train[list(RIDE_FIELDS)]))
        mlflow.log_metrics({"val_rmse": val_rmse, "train_rmse": train_rmse})
        log_reference(train, s.reference_rows)
        signature = infer_signature(EXAMPLE, pipeline.predict(EXAMPLE))
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=signature,
            input_example=EXAMPLE,
            registered_model_name=s.model_name,
            # The pipeline holds this package's feature function, which
            # skops does not load without a trust list; the server runs
            # the same package, so cloudpickle is safe here.
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
            # Named, not inferred: inference loads the model in a child
            # Python to see what it imports, which took most of a run.
            pip_requirements=requirements(),
        )
        version = str(info.registered_model_version)
        client.set_model_version_tag(s.model_name, version, "val_rmse", f"{val_rmse:.4f}")

        def score_current(current: str) -> float:
            model = mlflow.sklearn.load_model(f"models:/{s.model_name}/{current}")
            return rmse(val[TARGET], model.predict(val[list(RIDE_FIELDS)]))

        decision = promote_if_better(client, s.model_name, s.model_alias, version, val_rmse, score_current, margin)
        record(client, s.model_name, decision)
        log.info(
            "run %s: val_rmse %.3f, %s",
            active.info.run_id,
            val_rmse,
            links.run_url(s.tracking_uri, active.info.experiment_id, active.info.run_id),
        )
    return Tracked(active.info.run_id, decision)


def requirements() -> list[str]:
    """Pinned requirements of the logged model: the sklearn flavor's own
    (scikit-learn, cloudpickle) plus pandas, which its feature step uses."""
    return [*mlflow.sklearn.get_default_pip_requirements(include_cloudpickle=True), f"pandas=={pd.__version__}"]


def record(client: mlflow.MlflowClient, model_name: str, d: Decision) -> None:
    """Log the decision and both scores on the active run and tag the version."""
    mlflow.set_tags(
        {
            "promoted": str(d.promoted).lower(),
            "decision": "promoted" if d.promoted else "rejected",
            "promotion_reason": d.reason,
            "champion_version": d.previous_version or "",
        }
    )
    scores = {"challenger_rmse": d.rmse}
    if d.previous_rmse is not None:
        scores["champion_rmse"] = d.previous_rmse
    mlflow.log_metrics(scores)
    client.set_model_version_tag(model_name, d.version, "decision", "promoted" if d.promoted else "rejected")


def log_reference(train: pd.DataFrame, rows: int) -> None:
    """Log a sample of the training rides as the run's artifact REFERENCE:
    the monitor compares traffic with the production model's own training
    data."""
    sample = train[list(RIDE_FIELDS)]
    if len(sample) > rows:
        sample = sample.sample(rows, random_state=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(REFERENCE).name
        sample.reset_index(drop=True).to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path=str(Path(REFERENCE).parent))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the train job."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    s = Settings()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--train",
        type=Path,
        default=s.train_data,
        help="training trips (parquet or csv)",
    )
    p.add_argument("--val", type=Path, default=s.val_data, help="validation trips (parquet or csv)")
    args = p.parse_args(argv)
    try:
        d = run(s, args.train, args.val)
    except (FileNotFoundError, ValueError) as exc:
        print(f"train: {exc}", file=sys.stderr)
        return 1
    if d.promoted:
        print(f"{s.model_name} version {d.version} (val RMSE {d.rmse:.3f}) is now @{s.model_alias}: {d.reason}")
    else:
        print(
            f"{s.model_name} version {d.version} (val RMSE {d.rmse:.3f}) not promoted: "
            f"version {d.previous_version} has {d.previous_rmse:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
