"""The server's fast path: a fitted linear pipeline turned into plain Python
look-ups, so scoring a ride builds no DataFrame and calls no sklearn code.

compile_pipeline reads what it needs from the fitted model itself:

- the preprocessing: a feature function (FunctionTransformer) feeding a
  DictVectorizer (its vocabulary_ and separator), or a ColumnTransformer
  over the ride's columns (feature_names_in_, output_indices_) made of
  OneHotEncoder (categories_), StandardScaler (mean_, scale_), passthrough
  and drop;
- element-wise scalers between the preprocessing and the regressor
  (StandardScaler, MaxAbsScaler), folded into the coefficients;
- a regressor with coef_ and intercept_ (LinearRegression, Ridge, Lasso, ...).

It then checks the result against the model's own predict on probe rides.
Anything else gives Unsupported with the reason, and the server keeps the
general path (the model's predict on a one-row DataFrame).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from taxi_duration.features import RIDE_FIELDS

# (pickup zone, dropoff zone, miles) -> minutes
ScoreFn = Callable[[int, int, float], float]

PROBE_RIDES = (
    (10, 50, 40.0),
    (74, 75, 1.2),
    (166, 41, 2.5),
    (7, 7, 0.0),
    (999, 998, 1000.0),
)


class Unsupported(Exception):
    """Unsupported is a model the fast path cannot evaluate; the message says why."""


def describe(model: Any) -> str:
    """Name a model's steps for the log: "DictVectorizer -> Ridge"."""
    steps = getattr(model, "steps", None)
    if not steps:
        return type(model).__name__
    return " -> ".join(type(est).__name__ if est not in (None, "passthrough") else "passthrough" for _, est in steps)


def compile_pipeline(model: Any) -> ScoreFn:
    """Return a function scoring one ride as the model does; Unsupported otherwise."""
    steps = [est for _, est in getattr(model, "steps", []) if est not in (None, "passthrough")]
    if not steps:
        raise Unsupported(f"{type(model).__name__} is not a scikit-learn Pipeline")
    try:
        coef, intercept = _linear(steps[-1])
        head, scalers = _split(steps[:-1])
        coef, intercept = _fold_scalers(scalers, coef, intercept)
        score = _head(head, coef, intercept)
        _verify(model, score)
    except Unsupported:
        raise
    except Exception as exc:  # a fitted step shaped unlike the ones it knows
        raise Unsupported(f"reading the fitted steps: {type(exc).__name__}: {exc}") from exc
    return score


def _linear(est: Any) -> tuple[np.ndarray, float]:
    coef, intercept = getattr(est, "coef_", None), getattr(est, "intercept_", None)
    from sklearn.base import is_regressor

    if coef is None or intercept is None or not is_regressor(est):
        raise Unsupported(f"the final step {type(est).__name__} is not a fitted linear regressor")
    coef = np.asarray(coef, dtype=float)
    if coef.ndim > 1 and coef.shape[0] != 1:
        raise Unsupported(f"{type(est).__name__} predicts {coef.shape[0]} targets, not one")
    intercept = np.ravel(np.asarray(intercept, dtype=float))
    return coef.ravel(), float(intercept[0]) if intercept.size else 0.0


def _split(steps: list[Any]) -> tuple[list[Any], list[Any]]:
    """Split the preprocessing into what makes features and the scalers after it."""
    from sklearn.preprocessing import MaxAbsScaler, StandardScaler

    i = len(steps)
    while i > 0 and isinstance(steps[i - 1], StandardScaler | MaxAbsScaler):
        i -= 1
    return steps[:i], steps[i:]


def _fold_scalers(scalers: list[Any], coef: np.ndarray, intercept: float) -> tuple[np.ndarray, float]:
    """coef . (x - mean) / scale + b == (coef / scale) . x + (b - coef / scale . mean)."""
    for scaler in reversed(scalers):
        scale = getattr(scaler, "scale_", None)
        mean = getattr(scaler, "mean_", None)
        if scale is not None:
            coef = coef / np.asarray(scale, dtype=float)
        if mean is not None and getattr(scaler, "with_mean", False):
            intercept -= float(coef @ np.asarray(mean, dtype=float))
    return coef, intercept


def _head(head: list[Any], coef: np.ndarray, intercept: float) -> ScoreFn:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.preprocessing import FunctionTransformer

    kinds = [type(step).__name__ for step in head]
    if len(head) == 2 and isinstance(head[0], FunctionTransformer) and isinstance(head[1], DictVectorizer):
        return _dict_features(head[0], head[1], coef, intercept)
    if len(head) == 1 and isinstance(head[0], ColumnTransformer):
        return _columns(head[0], coef, intercept)
    raise Unsupported(f"preprocessing {' -> '.join(kinds) or '(none)'} is not one the fast path knows")


def _dict_features(ft: Any, dv: Any, coef: np.ndarray, intercept: float) -> ScoreFn:
    """A feature function making dicts, then a DictVectorizer."""
    if ft.func is None or ft.kw_args or ft.validate:
        raise Unsupported("the FunctionTransformer has arguments or validation the fast path does not replay")
    if len(dv.vocabulary_) != coef.size:
        raise Unsupported("the DictVectorizer's vocabulary and the coefficients differ in size")
    func, sep = ft.func, dv.separator
    table = {name: float(coef[i]) for name, i in dv.vocabulary_.items()}
    get = table.get

    def features(pu: int, do: int, distance: float) -> Mapping[str, Any]:
        return func([{"PULocationID": pu, "DOLocationID": do, "trip_distance": distance}])[0]

    try:
        features(*PROBE_RIDES[0])
    except Exception as exc:
        raise Unsupported(
            f"the feature function {getattr(func, '__name__', func)} does not take ride dicts: {exc}"
        ) from exc

    def score(pu: int, do: int, distance: float) -> float:
        total = intercept
        for key, value in features(pu, do, distance).items():
            if isinstance(value, str):
                total += get(f"{key}{sep}{value}", 0.0)
            elif isinstance(value, list | tuple | set | frozenset):
                total += sum(get(f"{key}{sep}{v}", 0.0) for v in value)
            else:
                total += get(key, 0.0) * value
        return total

    return score


def _columns(ct: Any, coef: np.ndarray, intercept: float) -> ScoreFn:
    """A ColumnTransformer over the ride's columns."""
    names = [str(n) for n in getattr(ct, "feature_names_in_", [])]
    if not names or any(n not in RIDE_FIELDS for n in names):
        raise Unsupported(f"the ColumnTransformer reads columns {names}, not the ride's {list(RIDE_FIELDS)}")
    weights = dict.fromkeys(RIDE_FIELDS, 0.0)
    tables: dict[str, dict[Any, float]] = {}
    for name, trans, cols in ct.transformers_:
        out = ct.output_indices_[name]
        w = coef[out]
        if trans == "drop" or out.stop == out.start:
            continue
        cols = _column_names(cols, names)
        intercept += _transformer(trans, cols, w, weights, tables)
    pu_w, do_w, d_w = (weights[f] for f in RIDE_FIELDS)
    lookups = [(RIDE_FIELDS.index(f), t.get) for f, t in tables.items()]

    def score(pu: int, do: int, distance: float) -> float:
        ride = (pu, do, distance)
        total = intercept + pu_w * pu + do_w * do + d_w * distance
        for i, get in lookups:
            total += get(ride[i], 0.0)
        return total

    return score


def _column_names(cols: Any, names: list[str]) -> list[str]:
    if isinstance(cols, str | int | np.integer):
        cols = [cols]
    cols = list(cols)
    if cols and isinstance(cols[0], bool | np.bool_):
        return [n for n, keep in zip(names, cols, strict=True) if keep]
    return [names[c] if isinstance(c, int | np.integer) else str(c) for c in cols]


def _transformer(
    trans: Any,
    cols: list[str],
    w: np.ndarray,
    weights: dict[str, float],
    tables: dict[str, dict[Any, float]],
) -> float:
    """Add one ColumnTransformer part's terms; return what it adds to the intercept."""
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    if trans == "passthrough" or (isinstance(trans, FunctionTransformer) and trans.func is None):
        for col, wi in zip(cols, w, strict=True):
            weights[col] += float(wi)
        return 0.0
    if isinstance(trans, StandardScaler):
        coef, shift = _fold_scalers([trans], w, 0.0)
        for col, wi in zip(cols, coef, strict=True):
            weights[col] += float(wi)
        return shift
    if isinstance(trans, OneHotEncoder):
        return _one_hot(trans, cols, w, tables)
    raise Unsupported(f"the ColumnTransformer part {type(trans).__name__} is not one the fast path knows")


def _one_hot(enc: Any, cols: list[str], w: np.ndarray, tables: dict[str, dict[Any, float]]) -> float:
    if getattr(enc, "drop_idx_", None) is not None:
        raise Unsupported("OneHotEncoder with drop is not one the fast path knows")
    if any(c is not None for c in getattr(enc, "infrequent_categories_", None) or []):
        raise Unsupported("OneHotEncoder with infrequent categories is not one the fast path knows")
    if enc.handle_unknown == "error":
        raise Unsupported("OneHotEncoder(handle_unknown='error') fails on unseen zones; the fast path would not")
    at = 0
    for col, cats in zip(cols, enc.categories_, strict=True):
        table = tables.setdefault(col, {})
        for cat in cats:
            key = cat.item() if hasattr(cat, "item") else cat
            table[key] = table.get(key, 0.0) + float(w[at])
            at += 1
    if at != w.size:
        raise Unsupported("the OneHotEncoder's categories and the coefficients differ in size")
    return 0.0


def _verify(model: Any, score: ScoreFn, rides: Sequence[tuple[int, int, float]] = PROBE_RIDES) -> None:
    """Check the fast path against the model's own predict on probe rides."""
    import pandas as pd

    frame = pd.DataFrame(rides, columns=list(RIDE_FIELDS))
    want = [float(x) for x in model.predict(frame)]
    got = [score(*r) for r in rides]
    if not np.allclose(got, want, rtol=1e-7, atol=1e-7):
        raise Unsupported(f"its predictions differ from the model's on probe rides ({got} vs {want})")
