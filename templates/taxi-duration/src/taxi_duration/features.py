"""The feature pipeline shared by training, serving and monitoring.

A ride is what a client sends: {"PULocationID": 10, "DOLocationID": 50,
"trip_distance": 40}. The model sees the pickup/dropoff pair as one
categorical feature (PU_DO) and the distance as a number, as in the course.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

RIDE_FIELDS = ("PULocationID", "DOLocationID", "trip_distance")
TARGET = "duration"
MIN_MINUTES, MAX_MINUTES = 1.0, 60.0
MAX_DISTANCE = 1000.0


class RideError(ValueError):
    """RideError is a ride that cannot be scored; its message names the field."""


def read_trips(path: str | Path) -> pd.DataFrame:
    """Read a TLC green-taxi file (parquet or csv) and compute the duration target."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such data file (run `make data` or use the sample)")
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    missing = [c for c in ("lpep_pickup_datetime", "lpep_dropoff_datetime", *RIDE_FIELDS) if c not in df]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    pickup = pd.to_datetime(df["lpep_pickup_datetime"])
    dropoff = pd.to_datetime(df["lpep_dropoff_datetime"])
    df = df.assign(duration=(dropoff - pickup).dt.total_seconds() / 60)
    df = df[(df.duration >= MIN_MINUTES) & (df.duration <= MAX_MINUTES)]
    df = df.dropna(subset=list(RIDE_FIELDS))
    out = df[list(RIDE_FIELDS)].copy()
    out["PULocationID"] = out["PULocationID"].astype("int64")
    out["DOLocationID"] = out["DOLocationID"].astype("int64")
    out["trip_distance"] = out["trip_distance"].astype("float64")
    out[TARGET] = df["duration"].astype("float64")
    return out.reset_index(drop=True)


def ride_dict(pu: Any, do: Any, distance: Any) -> dict[str, Any]:
    """Return the model's features for one ride."""
    return {"PU_DO": f"{int(pu)}_{int(do)}", "trip_distance": float(distance)}


def ride_dicts(
    rides: pd.DataFrame | Iterable[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Turn rides (a DataFrame or dicts) into feature dicts for DictVectorizer."""
    if isinstance(rides, pd.DataFrame):
        cols = zip(
            rides["PULocationID"],
            rides["DOLocationID"],
            rides["trip_distance"],
            strict=True,
        )
        return [ride_dict(pu, do, d) for pu, do, d in cols]
    return [ride_dict(r["PULocationID"], r["DOLocationID"], r["trip_distance"]) for r in rides]


def _location(ride: Mapping[str, Any], name: str, where: str) -> int:
    if name not in ride:
        raise RideError(f"{where}{name}: required")
    value = ride[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise RideError(f"{where}{name}: must be a whole number, got {value!r}")
    if not 1 <= value <= 1000:
        raise RideError(f"{where}{name}: must be a TLC zone id between 1 and 1000, got {value!r}")
    return int(value)


def check_ride(ride: Any, where: str = "") -> tuple[int, int, float]:
    """Validate a ride from a request; RideError names the bad field."""
    if not isinstance(ride, Mapping):
        raise RideError(f"{where or 'body'}: must be a JSON object with {', '.join(RIDE_FIELDS)}")
    pu = _location(ride, "PULocationID", where)
    do = _location(ride, "DOLocationID", where)
    if "trip_distance" not in ride:
        raise RideError(f"{where}trip_distance: required")
    d = ride["trip_distance"]
    if isinstance(d, bool) or not isinstance(d, int | float) or not math.isfinite(d):
        raise RideError(f"{where}trip_distance: must be a number of miles, got {d!r}")
    if not 0 <= d <= MAX_DISTANCE:
        raise RideError(f"{where}trip_distance: must be between 0 and {MAX_DISTANCE:g} miles, got {d!r}")
    return pu, do, float(d)
