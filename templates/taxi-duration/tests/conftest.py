"""Shared fixtures: tiny generated trip data and a fitted model."""

from __future__ import annotations

import pandas as pd
import pytest

from taxi_duration.features import RIDE_FIELDS, TARGET, read_trips
from taxi_duration.model import build_pipeline
from taxi_duration.sample import generate


@pytest.fixture(scope="session")
def trips_files(tmp_path_factory) -> tuple:
    """Two small months of generated trips as parquet files."""
    root = tmp_path_factory.mktemp("data")
    paths = []
    for i, month in enumerate(("2024-01", "2024-02")):
        path = root / f"green_tripdata_{month}.parquet"
        generate(month, 600, seed=10 + i).to_parquet(path, index=False)
        paths.append(path)
    return tuple(paths)


@pytest.fixture(scope="session")
def trips(trips_files) -> pd.DataFrame:
    return read_trips(trips_files[0])


@pytest.fixture(scope="session")
def fitted(trips):
    """A pipeline fitted on the tiny training month."""
    pipeline = build_pipeline()
    pipeline.fit(trips[list(RIDE_FIELDS)], trips[TARGET])
    return pipeline
