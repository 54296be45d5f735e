"""The model: ride features -> preprocessing -> a linear regressor, in one
of the LAYOUTS train can fit (MODEL_LAYOUT), and a lean scorer that
evaluates any of them without per-request sklearn calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from taxi_duration import fastpath
from taxi_duration.features import RIDE_FIELDS, ride_dicts

# MODEL_LAYOUT -> what train logs as the model and its features.
LAYOUTS = {
    "pu-do": ("DictVectorizer+LinearRegression", "PU_DO,trip_distance"),
    "zones": (
        "OneHotEncoder+StandardScaler+Ridge",
        "PULocationID,DOLocationID,trip_distance",
    ),
}
DEFAULT_LAYOUT = "pu-do"


def build_pipeline(layout: str = DEFAULT_LAYOUT) -> Pipeline:
    """Return an unfitted pipeline that takes raw rides (a DataFrame).

    pu-do (the course's): the pickup/dropoff pair as one categorical
    feature and the distance, DictVectorizer, LinearRegression. zones: the
    two zones one-hot encoded apart, the distance standardised, Ridge.
    """
    if layout == "pu-do":
        return Pipeline(
            [
                ("rides", FunctionTransformer(ride_dicts)),
                ("dv", DictVectorizer()),
                ("lr", LinearRegression()),
            ]
        )
    if layout == "zones":
        zones, distance = list(RIDE_FIELDS[:2]), [RIDE_FIELDS[2]]
        return Pipeline(
            [
                (
                    "columns",
                    ColumnTransformer(
                        [
                            ("zones", OneHotEncoder(handle_unknown="ignore"), zones),
                            ("distance", StandardScaler(), distance),
                        ]
                    ),
                ),
                ("ridge", Ridge(alpha=1.0)),
            ]
        )
    raise ValueError(f"MODEL_LAYOUT: {layout!r} is not one of {', '.join(LAYOUTS)}")


def rmse(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Root mean squared error."""
    diff = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(diff**2)))


class Scorer:
    """Scorer predicts durations for validated rides.

    When the fast path can evaluate the model (see taxi_duration.fastpath)
    a ride costs a few dictionary look-ups; any other model falls back to
    its own predict on a DataFrame, and reason says why.
    """

    def __init__(self, model: Any):
        self.model = model
        self.steps = fastpath.describe(model)
        self.reason = ""
        self._score: fastpath.ScoreFn | None = None
        try:
            self._score = fastpath.compile_pipeline(model)
        except fastpath.Unsupported as exc:
            self.reason = str(exc)

    @property
    def fast(self) -> bool:
        """Fast reports whether the lean path is in use."""
        return self._score is not None

    @property
    def path(self) -> str:
        """Path names the path in use and why, for the log."""
        if self._score is not None:
            return f"fast path ({self.steps}, no DataFrame per request)"
        return f"general path ({self.steps}, a DataFrame per request): {self.reason}"

    def predict_one(self, pu: int, do: int, distance: float) -> float:
        """Predict the duration in minutes of one ride."""
        if self._score is None:
            return self.predict_many([(pu, do, distance)])[0]
        return self._score(pu, do, distance)

    def predict_many(self, rides: Sequence[tuple[int, int, float]]) -> list[float]:
        """Predict the durations in minutes of several rides."""
        if self._score is not None:
            score = self._score
            return [score(*r) for r in rides]
        import pandas as pd

        frame = pd.DataFrame(rides, columns=list(RIDE_FIELDS))
        return [float(x) for x in self.model.predict(frame)]
