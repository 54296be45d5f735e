import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import Lasso, PoissonRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    OneHotEncoder,
    StandardScaler,
)

from taxi_duration import fastpath
from taxi_duration.features import RIDE_FIELDS, TARGET, ride_dicts
from taxi_duration.model import Scorer

UNSEEN = [(999, 998, 2.0), (1, 1, 0.0), (265, 264, 1000.0)]


def fitted(steps, trips):
    return Pipeline(steps).fit(trips[list(RIDE_FIELDS)], trips[TARGET])


def assert_same_as_predict(model, trips):
    scorer = Scorer(model)
    assert scorer.fast, scorer.path
    rides = [tuple(r) for r in trips[list(RIDE_FIELDS)].head(100).itertuples(index=False)] + UNSEEN
    want = [float(x) for x in model.predict(pd.DataFrame(rides, columns=list(RIDE_FIELDS)))]
    assert scorer.predict_many(rides) == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_scalers_after_the_vectorizer_are_folded_in(trips):
    model = fitted(
        [
            ("rides", FunctionTransformer(ride_dicts)),
            ("dv", DictVectorizer()),
            ("scale", StandardScaler(with_mean=False)),
            ("maxabs", MaxAbsScaler()),
            ("lasso", Lasso(alpha=0.01)),
        ],
        trips,
    )
    assert_same_as_predict(model, trips)


def test_column_parts_passthrough_and_remainder(trips):
    columns = ColumnTransformer(
        [
            (
                "pickup",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["PULocationID"],
            )
        ],
        remainder="passthrough",
    )
    model = fitted(
        [("columns", columns), ("scale", StandardScaler()), ("lr", Lasso(alpha=0.001))],
        trips,
    )
    assert_same_as_predict(model, trips)


def test_a_dense_one_hot_of_only_the_distance_dropped(trips):
    columns = ColumnTransformer(
        [
            ("zones", OneHotEncoder(handle_unknown="ignore"), [0, 1]),
            ("distance", "drop", ["trip_distance"]),
        ]
    )
    assert_same_as_predict(fitted([("columns", columns), ("lr", Lasso(alpha=0.001))], trips), trips)


@pytest.mark.parametrize(
    "steps, reason",
    [
        (
            [
                ("rides", FunctionTransformer(ride_dicts)),
                ("dv", DictVectorizer()),
                ("rf", RandomForestRegressor(3)),
            ],
            "not a fitted linear regressor",
        ),
        (
            [
                ("rides", FunctionTransformer(ride_dicts)),
                ("dv", DictVectorizer()),
                ("glm", PoissonRegressor()),
            ],
            "differ from the model's",
        ),
        (
            [
                (
                    "columns",
                    ColumnTransformer([("z", OneHotEncoder(), ["PULocationID", "DOLocationID"])]),
                ),
                ("lr", Lasso()),
            ],
            "handle_unknown='error'",
        ),
        (
            [
                (
                    "columns",
                    ColumnTransformer([("z", OneHotEncoder(drop="first"), ["PULocationID"])]),
                ),
                ("lr", Lasso()),
            ],
            "drop",
        ),
    ],
)
def test_models_it_cannot_evaluate_take_the_general_path(steps, reason, trips):
    model = fitted(steps, trips)
    scorer = Scorer(model)
    assert not scorer.fast
    assert reason in scorer.path and "general path" in scorer.path
    ride = tuple(next(trips[list(RIDE_FIELDS)].itertuples(index=False)))  # seen zones: no model refuses it
    frame = pd.DataFrame([ride], columns=list(RIDE_FIELDS))
    assert scorer.predict_one(*ride) == pytest.approx(float(model.predict(frame)[0]))


def test_describe_names_the_steps(fitted):
    assert fastpath.describe(fitted) == "FunctionTransformer -> DictVectorizer -> LinearRegression"
    assert fastpath.describe(object()) == "object"
