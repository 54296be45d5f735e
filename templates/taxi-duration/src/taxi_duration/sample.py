"""Generate the small offline sample of green-taxi trips in data/sample/.

The rows are GENERATED, not real TLC data: location popularity, distances
and speeds follow realistic shapes so the pipeline behaves as on the real
files, which `make data` downloads when the internet is reachable.

    python -m taxi_duration.sample [--rows 5000] [--out data/sample] 2024-01 2024-02

A drifted month (--drifted) is new data for the monitor and the retrain
flow to react to: pickups move to other zones and trips get longer, while
the streets stay as slow as before, so a model trained on it predicts it
better than one trained on the old months.

    python -m taxi_duration.sample --drifted --out data/incoming 2024-03 2024-04
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ZONES = 265
DRIFT_ZONE_SHIFT = 97  # drifted pickups: each zone's popularity moves this many zones on
DRIFT_LONGER = 0.6  # drifted trips: log-distance mean this much higher (about 1.8 times longer)


def generate(month: str, rows: int, seed: int, drifted: bool = False) -> pd.DataFrame:
    """Return rows generated trips for month (YYYY-MM) in the TLC schema;
    drifted shifts the pickup zones and lengthens the trips."""
    rng = np.random.default_rng(seed)
    zone_rng = np.random.default_rng(7)  # zones look the same every month
    popularity = zone_rng.zipf(1.6, ZONES).astype(float)
    popularity /= popularity.sum()
    slowness = zone_rng.uniform(0.7, 1.6, ZONES + 1)  # minutes per mile factor by zone
    pickup_popularity = np.roll(popularity, DRIFT_ZONE_SHIFT) if drifted else popularity

    start = pd.Timestamp(f"{month}-01")
    span = (start + pd.offsets.MonthBegin(1) - start).total_seconds()
    pickup = start + pd.to_timedelta(np.sort(rng.uniform(0, span, rows)), unit="s")
    pu = rng.choice(np.arange(1, ZONES + 1), rows, p=pickup_popularity)
    do = rng.choice(np.arange(1, ZONES + 1), rows, p=popularity)
    distance = np.round(np.clip(rng.lognormal(0.75 + (DRIFT_LONGER if drifted else 0.0), 0.75, rows), 0.1, 60), 2)
    hour = pickup.hour.to_numpy()
    rush = np.where(((hour >= 7) & (hour <= 9)) | ((hour >= 16) & (hour <= 19)), 1.3, 1.0)
    minutes = 2.0 + distance * 3.2 * (slowness[pu] + slowness[do]) / 2 * rush
    minutes = np.clip(minutes * rng.lognormal(0, 0.25, rows), 0.2, 180)
    dropoff = pickup + pd.to_timedelta(minutes * 60, unit="s").round("s")
    fare = np.round(3.0 + 2.5 * distance + 0.5 * minutes, 2)
    return pd.DataFrame(
        {
            "VendorID": rng.choice([1, 2], rows, p=[0.2, 0.8]).astype("int32"),
            "lpep_pickup_datetime": pickup.astype("datetime64[us]"),
            "lpep_dropoff_datetime": dropoff.astype("datetime64[us]"),
            "store_and_fwd_flag": rng.choice(["N", "Y"], rows, p=[0.995, 0.005]),
            "RatecodeID": np.ones(rows),
            "PULocationID": pu.astype("int32"),
            "DOLocationID": do.astype("int32"),
            "passenger_count": rng.choice([1.0, 2.0, 3.0, 5.0], rows, p=[0.8, 0.12, 0.04, 0.04]),
            "trip_distance": distance,
            "fare_amount": fare,
            "tip_amount": np.round(fare * rng.choice([0, 0.15, 0.2], rows, p=[0.4, 0.3, 0.3]), 2),
            "total_amount": np.round(fare * 1.25, 2),
            "payment_type": rng.choice([1.0, 2.0], rows, p=[0.6, 0.4]),
            "trip_type": np.ones(rows),
        }
    )


def month_seed(month: str) -> int:
    """A random seed of its own for month (YYYY-MM)."""
    year, number = month.split("-")
    return 200 + int(year) * 12 + int(number)


def main(argv: list[str] | None = None) -> None:
    """Write one generated parquet file per month."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("months", nargs="*", default=["2024-01", "2024-02"])
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--out", type=Path, default=Path("data/sample"))
    p.add_argument("--drifted", action="store_true", help="shifted pickup zones and longer trips")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    kind = "drifted" if args.drifted else "generated"
    for i, month in enumerate(args.months):
        path = args.out / f"green_tripdata_{month}.parquet"
        # A drifted month's draws depend on the month alone, so it comes out
        # the same whichever months are generated with it.
        seed = month_seed(month) if args.drifted else 100 + i
        frame = generate(month, args.rows, seed=seed, drifted=args.drifted)
        # Written whole under another name, then renamed: a watcher never
        # sees half a month.
        tmp = path.with_suffix(".part")
        frame.to_parquet(tmp, index=False, compression="zstd")
        tmp.replace(path)
        print(f"wrote {path} ({kind} sample, {args.rows} rows)")


if __name__ == "__main__":
    main()
