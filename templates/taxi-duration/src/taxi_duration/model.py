"""The model: ride features -> DictVectorizer -> linear regression, and a
lean scorer that evaluates the same model without per-request sklearn calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from taxi_duration.features import ride_dicts


def build_pipeline() -> Pipeline:
    """Return an unfitted pipeline that takes raw rides (a DataFrame)."""
    return Pipeline(
        [
            ("rides", FunctionTransformer(ride_dicts)),
            ("dv", DictVectorizer()),
            ("lr", LinearRegression()),
        ]
    )


def rmse(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Root mean squared error."""
    diff = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(diff**2)))


class Scorer:
    """Scorer predicts durations for validated rides.

    For the pipeline above it reads the fitted coefficients once and scores
    a ride with two dictionary look-ups; any other model falls back to its
    own predict on a one-row DataFrame.
    """

    def __init__(self, model: Any):
        self.model = model
        self._coef: dict[str, float] | None = None
        self._intercept = 0.0
        steps = getattr(model, "named_steps", {})
        dv, lr = steps.get("dv"), steps.get("lr")
        if isinstance(dv, DictVectorizer) and lr is not None and hasattr(lr, "coef_"):
            coef = np.ravel(lr.coef_)
            self._coef = {name: float(coef[i]) for name, i in dv.vocabulary_.items()}
            self._intercept = float(np.ravel(lr.intercept_)[0]) if np.ndim(lr.intercept_) else float(lr.intercept_)
            self._distance = self._coef.get("trip_distance", 0.0)

    @property
    def fast(self) -> bool:
        """Fast reports whether the lean path is in use."""
        return self._coef is not None

    def predict_one(self, pu: int, do: int, distance: float) -> float:
        """Predict the duration in minutes of one ride."""
        if self._coef is None:
            return self.predict_many([(pu, do, distance)])[0]
        return self._intercept + self._coef.get(f"PU_DO={pu}_{do}", 0.0) + self._distance * distance

    def predict_many(self, rides: Sequence[tuple[int, int, float]]) -> list[float]:
        """Predict the durations in minutes of several rides."""
        if self._coef is not None:
            return [self.predict_one(*r) for r in rides]
        import pandas as pd

        frame = pd.DataFrame(rides, columns=["PULocationID", "DOLocationID", "trip_distance"])
        return [float(x) for x in self.model.predict(frame)]
