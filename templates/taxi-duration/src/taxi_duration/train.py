"""The training job: fit the model, track it in MLflow, register it and
promote it to the production alias when it beats the current one.

    python -m taxi_duration.train [--train FILE] [--val FILE]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature

from taxi_duration.features import RIDE_FIELDS, TARGET, read_trips
from taxi_duration.model import build_pipeline, rmse
from taxi_duration.registry import Decision, promote_if_better
from taxi_duration.settings import Settings

log = logging.getLogger("taxi_duration.train")
EXAMPLE = pd.DataFrame([{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40.0}])


def fit(train: pd.DataFrame, val: pd.DataFrame):
    """Fit the pipeline on train and return it with its validation RMSE."""
    if train.empty:
        raise ValueError("training data: no trips left after filtering durations to 1-60 minutes")
    if val.empty:
        raise ValueError("validation data: no trips left after filtering durations to 1-60 minutes")
    pipeline = build_pipeline()
    pipeline.fit(train[list(RIDE_FIELDS)], train[TARGET])
    return pipeline, rmse(val[TARGET], pipeline.predict(val[list(RIDE_FIELDS)]))


def run(s: Settings, train_path: Path, val_path: Path) -> Decision:
    """Train, log, register and maybe promote; return the promotion decision."""
    train, val = read_trips(train_path), read_trips(val_path)
    mlflow.set_tracking_uri(s.tracking_uri)
    mlflow.set_experiment(s.experiment)
    client = mlflow.MlflowClient(tracking_uri=s.tracking_uri)
    with mlflow.start_run() as active:
        mlflow.log_params(
            {
                "model": "DictVectorizer+LinearRegression",
                "features": "PU_DO,trip_distance",
                "train_data": train_path.name,
                "val_data": val_path.name,
                "train_rows": len(train),
                "val_rows": len(val),
            }
        )
        pipeline, val_rmse = fit(train, val)
        train_rmse = rmse(train[TARGET], pipeline.predict(train[list(RIDE_FIELDS)]))
        mlflow.log_metrics({"val_rmse": val_rmse, "train_rmse": train_rmse})
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
        )
        version = str(info.registered_model_version)
        client.set_model_version_tag(s.model_name, version, "val_rmse", f"{val_rmse:.4f}")

        def score_current(current: str) -> float:
            model = mlflow.sklearn.load_model(f"models:/{s.model_name}/{current}")
            return rmse(val[TARGET], model.predict(val[list(RIDE_FIELDS)]))

        decision = promote_if_better(client, s.model_name, s.model_alias, version, val_rmse, score_current)
        mlflow.set_tags(
            {
                "promoted": str(decision.promoted).lower(),
                "promotion_reason": decision.reason,
            }
        )
        log.info("run %s: val_rmse %.3f", active.info.run_id, val_rmse)
    return decision


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
