"""Drift between the training reference and logged predictions, computed
with Evidently and turned into Prometheus metrics.

The location IDs are tested with chi-square on the two samples' zone
counts, the rare zones pooled (pooled_chisquare below): a p-value, so it
accounts for both sample sizes. Evidently's default for large references,
the Jensen-Shannon distance, flags a few hundred rides drawn from the
training data itself as drifted, every time, over some 260 sparse zones;
its plain chi-square does too whenever a ride lands in a zone the reference
lacks; its permutation test (TVD) is sound but takes seconds a column. The
distance and the prediction keep the normed Wasserstein distance."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest
from evidently.legacy.core import ColumnType
from evidently.presets import DataDriftPreset
from scipy import stats

COLUMNS = ["PULocationID", "DOLocationID", "trip_distance", "prediction"]
CATEGORICAL_P_VALUE = 0.05
MIN_EXPECTED = 5  # rides a zone must expect to be tested on its own


def pooled_chisquare(reference: pd.Series, current: pd.Series, feature_type, threshold: float) -> tuple[float, bool]:
    """Chi-square test that reference and current share one distribution of
    categories (a 2 x k contingency table, so both samples' noise counts).
    Categories expecting fewer than MIN_EXPECTED rows in the smaller sample
    are pooled into one, as the test needs. Returns the p-value and whether
    it is under threshold (drift)."""
    table = pd.DataFrame({"reference": reference.value_counts(), "current": current.value_counts()}).fillna(0)
    n_ref, n_cur = len(reference), len(current)
    expected_small = table.sum(axis=1) * min(n_ref, n_cur) / (n_ref + n_cur)
    big = expected_small >= MIN_EXPECTED
    rows = table[big]
    if (~big).any():
        rows = pd.concat([rows, table[~big].sum().to_frame("pooled").T])
    if len(rows) < 2 or (rows.sum(axis=0) == 0).any():
        return 1.0, False  # too few rows to test anything
    p_value = float(stats.chi2_contingency(rows.to_numpy().T).pvalue)
    return p_value, p_value < threshold


# Evidently takes custom tests by name once they are registered.
register_stattest(
    StatTest(
        name="pooled_chisquare",
        display_name="chi-square p_value (rare categories pooled)",
        allowed_feature_types=[ColumnType.Categorical],
        default_threshold=CATEGORICAL_P_VALUE,
    ),
    pooled_chisquare,
)

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
    preset = DataDriftPreset(drift_share=drift_share, cat_method="pooled_chisquare", cat_threshold=CATEGORICAL_P_VALUE)
    report = Report([preset], include_tests=True)
    snapshot = report.run(
        current_data=Dataset.from_pandas(current[COLUMNS], data_definition=DEFINITION),
        reference_data=Dataset.from_pandas(reference[COLUMNS], data_definition=DEFINITION),
    )
    return parse(snapshot.dict(), len(reference), len(current)), snapshot


def parse(report: dict, reference_rows: int, current_rows: int) -> DriftResult:
    """Read the preset's metrics (and, when included, its per-column tests,
    Evidently's own drift verdicts) out of a snapshot's dict()."""
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
            # Without tests: p-value tests drift when small, distances when large.
            out.drifted[column] = score < threshold if "p_value" in method else score >= threshold
    for t in report.get("tests", []):
        column = t.get("metric_config", {}).get("params", {}).get("column")
        if t.get("id") == "drift" and column:
            status = t.get("status")
            out.drifted[column] = str(getattr(status, "value", status)) == "FAIL"
    return out
