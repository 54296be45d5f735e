"""Drift between the training reference and logged predictions, computed
with Evidently and turned into Prometheus metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

COLUMNS = ["PULocationID", "DOLocationID", "trip_distance", "prediction"]
DEFINITION = DataDefinition(
    numerical_columns=["trip_distance", "prediction"],
    categorical_columns=["PULocationID", "DOLocationID"],
)


@dataclass
class DriftResult:
    """DriftResult is what the monitor exports."""

    share: float = 0.0
    drifted_columns: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    drifted: dict[str, bool] = field(default_factory=dict)
    reference_rows: int = 0
    current_rows: int = 0

    @property
    def prediction_drift(self) -> float:
        """Prediction_drift is the drift score of the prediction column."""
        return self.scores.get("prediction", 0.0)


def compute(reference: pd.DataFrame, current: pd.DataFrame, drift_share: float = 0.5):
    """Run the Evidently data drift preset; return the result and the snapshot."""
    for name, frame in (("reference", reference), ("current", current)):
        missing = [c for c in COLUMNS if c not in frame]
        if missing:
            raise ValueError(f"{name} data: missing columns {', '.join(missing)}")
        if frame.empty:
            raise ValueError(f"{name} data: no rows")
    report = Report([DataDriftPreset(drift_share=drift_share)])
    snapshot = report.run(
        current_data=Dataset.from_pandas(current[COLUMNS], data_definition=DEFINITION),
        reference_data=Dataset.from_pandas(reference[COLUMNS], data_definition=DEFINITION),
    )
    return parse(snapshot.dict(), len(reference), len(current)), snapshot


def parse(report: dict, reference_rows: int, current_rows: int) -> DriftResult:
    """Read the preset's metrics out of a snapshot's dict()."""
    out = DriftResult(reference_rows=reference_rows, current_rows=current_rows)
    for m in report.get("metrics", []):
        config, value = m.get("config", {}), m.get("value")
        kind = config.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            out.share = float(value["share"])
            out.drifted_columns = int(value["count"])
        elif kind.endswith("ValueDrift"):
            column, method = config["column"], config.get("method", "")
            score, threshold = float(value), float(config.get("threshold", 0.05))
            out.scores[column] = score
            # p-value tests drift when small, distance metrics when large.
            out.drifted[column] = score < threshold if "p_value" in method else score >= threshold
    return out
